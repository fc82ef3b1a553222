"""The dispatch report in a real headless Chromium, with the network cut off.

Needs Debian's Chromium at ``/usr/bin/chromium`` (``apt-get install -y chromium``);
Playwright's own browser downloads are not used. Set ``HUBROUTE_DOCS_SCREENSHOT=1`` to
also save the screenshot as ``docs/report.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing.report import DemoPlan, demo_plan, render_report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",  # a closed port: any request that slips through fails
    "--proxy-bypass-list=<-loopback>",
]
DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "report.png"


@pytest.fixture(scope="module")
def demo() -> DemoPlan:
    """Twelve runs of nine stops around the Xinping hub, three pickups not collected."""
    return demo_plan(12, 9, seed=7, n_unassigned=3)


@pytest.fixture(scope="module")
def report_file(demo: DemoPlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(
        render_report(
            demo.plan,
            roads=demo.roads,
            road_classes=demo.road_classes,
            hub=demo.hub,
            pickups_unassigned_lonlat=demo.unassigned_lonlat,
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(the Makefile's browser target does this); `playwright install` is not used."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_report_opens_offline_and_shows_runs_pickups_and_tooltips(
    browser: object, demo: DemoPlan, report_file: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, Route

    assert isinstance(browser, Browser)
    url = report_file.as_uri()
    requests: list[str] = []
    blocked: list[str] = []

    def only_the_report(route: Route) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    page = context.new_page()
    page.route("**/*", only_the_report)
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(url, wait_until="load")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("HUBROUTE_DOCS_SCREENSHOT"):
        DOCS_PNG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_PNG)

    plan = demo.plan
    assert page.locator("#map path.run").count() == len(plan.runs)
    n_stops = sum(len(r.stops) for r in plan.runs)
    assert page.locator("#map circle.pickup").count() == n_stops
    assert page.locator("#map .pickup.unassigned").count() == len(plan.unassigned)
    assert page.locator("#map .pickup").count() == n_stops + len(plan.unassigned)

    # Hover the smallest served pickup (drawn last, so on top) and read the tooltip.
    pickup = page.locator("#map circle.pickup").last
    pid = pickup.get_attribute("data-pickup-id")
    stop = next(s for r in plan.runs for s in r.stops if s.pickup_id == pid)
    assert page.locator("#tooltip").is_hidden()
    pickup.hover()
    tooltip = page.locator("#tooltip")
    assert tooltip.is_visible()
    text = tooltip.inner_text()
    assert stop.village in text
    assert f"Parcels {stop.parcels}" in text
    assert stop.arrival_time in text

    # And an unassigned pickup tells why it is not collected.
    cross = page.locator("#map .pickup.unassigned").first
    cross.hover(force=True)
    reason = cross.get_attribute("data-reason")
    assert reason
    assert reason in tooltip.inner_text()

    # Wheel zooms in (smaller viewBox), dragging pans, the button resets.
    def view() -> list[float]:
        box = page.locator("#map").get_attribute("viewBox") or ""
        return [float(v) for v in box.split()]

    home = view()
    simplified = page.locator("#map path.run[data-d]").count()
    assert simplified > 0
    box = page.locator("#map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -400)
    page.wait_for_function(f"document.getElementById('map').viewBox.baseVal.width < {home[2]}")
    zoomed = view()
    # Zoomed in, every run is drawn with its full geometry.
    assert page.locator("#map path.run[data-d]").count() == 0
    page.mouse.move(cx + 3, cy + 3)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 60, steps=5)
    page.mouse.up()
    panned = view()
    assert panned[0] < zoomed[0]
    assert panned[1] < zoomed[1]
    page.click("#reset-view")
    assert view() == home

    assert errors == []
    assert blocked == []
    assert requests == [url], f"the report made network requests: {requests[1:]}"
    context.close()


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def _pdf_text_runs(pdf: bytes) -> int:
    """Text-showing operators (``Tj``, ``TJ``) in the PDF's compressed streams."""
    found = 0
    for m in re.finditer(rb"/Length (\d+)>>\s*stream\r?\n", pdf):
        try:
            data = zlib.decompress(pdf[m.end() : m.end() + int(m.group(1))])
        except zlib.error:
            continue
        found += len(re.findall(rb"\bT[Jj]\b", data))
    return found


def test_printed_run_sheets_hold_every_run(
    browser: object, demo: DemoPlan, report_file: Path
) -> None:
    """Run sheets laid out only when scrolled to are all printed, one page per run."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(report_file.as_uri(), wait_until="load")
    # What the "Print run sheets" button prints (window.print() cannot be driven here);
    # the page drops the class after each print.
    page.evaluate("document.body.classList.add('sheets-only')")
    sheets = page.pdf(format="A4")
    assert _pdf_pages(sheets) == len(demo.plan.runs)
    page.add_style_tag(content=".sheet{content-visibility:visible!important}")
    page.evaluate("document.body.classList.add('sheets-only')")
    everything = page.pdf(format="A4")
    assert _pdf_text_runs(sheets) == _pdf_text_runs(everything) > 0
    page.close()
