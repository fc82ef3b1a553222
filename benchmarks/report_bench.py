"""Benchmark the dispatch report on a 2,000-pickup plan: file size and time to open.

A synthetic plan over Xinping (lon 101.3-102.3, lat 23.6-24.4): 125 runs of 16 stops,
paths with a vertex every 25 m as in OpenStreetMap geometry, 20 unassigned pickups and
about 2,000 background roads. Opens report.html in Debian's headless Chromium with the
network cut off and times navigation to the ``load`` event plus the first screenshot.

Run: ``python benchmarks/report_bench.py [--runs 125] [--stops 16] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from pathlib import Path

from routing.report import demo_plan, render_report, write_map_png

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
]


def _open_times(path: Path, repeat: int) -> list[float]:
    from playwright.sync_api import Route, sync_playwright

    url = path.as_uri()
    times: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            def only_file(route: Route) -> None:
                if route.request.url == url:
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", only_file)
            start = time.perf_counter()
            page.goto(url, wait_until="load")
            page.screenshot(path=str(path.with_suffix(".png")))
            times.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return times


def main() -> None:
    """Render, measure and print a small table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=125)
    parser.add_argument("--stops", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    demo = demo_plan(args.runs, args.stops, seed=0, n_unassigned=20)
    t1 = time.perf_counter()
    text = render_report(
        demo.plan,
        roads=demo.roads,
        road_classes=demo.road_classes,
        hub=demo.hub,
        pickups_unassigned_lonlat=demo.unassigned_lonlat,
    )
    t2 = time.perf_counter()
    raw = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        path.write_bytes(raw)
        t3 = time.perf_counter()
        png = write_map_png(
            demo.plan,
            Path(tmp) / "map.png",
            roads=demo.roads,
            road_classes=demo.road_classes,
            hub=demo.hub,
            pickups_unassigned_lonlat=demo.unassigned_lonlat,
        )
        t4 = time.perf_counter()
        png_kb = png.stat().st_size / 1e3
        opens = _open_times(path, args.repeat)

    pickups = sum(len(r.stops) for r in demo.plan.runs)
    vertices = sum(len(r.path) for r in demo.plan.runs)
    rows = [
        ("pickups served / runs", f"{pickups:,} / {len(demo.plan.runs)}"),
        ("path vertices in plan", f"{vertices:,}"),
        ("background roads", f"{len(demo.roads):,}"),
        ("synthetic plan built (s)", f"{t1 - t0:.2f}"),
        ("render_report (s)", f"{t2 - t1:.2f}"),
        ("report.html (MB)", f"{len(raw) / 1e6:.2f}"),
        ("report.html gzipped (MB)", f"{len(gzip.compress(raw)) / 1e6:.2f}"),
        (
            "open in Chromium, load + screenshot (s)",
            f"median {statistics.median(opens):.2f} (min {min(opens):.2f}, n={len(opens)})",
        ),
        ("write_map_png (s)", f"{t4 - t3:.2f}"),
        ("map.png (KB)", f"{png_kb:.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
