"""Tests for routing.report: the offline HTML dispatch report and the static map PNG."""

from __future__ import annotations

import itertools
import re
import struct
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from shapely.geometry import LineString

from routing.model import Plan
from routing.report import (
    DemoPlan,
    demo_plan,
    render_report,
    roads_from_network,
    write_map_png,
    write_report,
)


class _Elements(HTMLParser):
    """Collect every start tag with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag

    def having(self, tag: str, *classes: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and set(classes) <= set(a.get("class", "").split())
        ]


def _parse(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    return parser


def _render(demo: DemoPlan, **kwargs: Any) -> str:
    return render_report(
        demo.plan,
        roads=demo.roads,
        road_classes=demo.road_classes,
        hub=demo.hub,
        pickups_unassigned_lonlat=demo.unassigned_lonlat,
        **kwargs,
    )


@pytest.fixture(scope="module")
def small() -> DemoPlan:
    """Four runs (one a second trip) of five stops and two unassigned pickups."""
    return demo_plan(4, 5, seed=3, n_unassigned=2)


@pytest.fixture(scope="module")
def small_html(small: DemoPlan) -> str:
    return _render(small)


def test_demo_plan_is_a_valid_plan_that_round_trips_through_json(small: DemoPlan) -> None:
    """The helper builds a plan the pydantic model accepts, with consistent totals."""
    again = Plan.model_validate(small.plan.model_dump(mode="json"))
    assert again == small.plan
    assert small.plan.summary.runs == 4
    assert sum(len(r.stops) for r in small.plan.runs) == 20
    assert small.plan.summary.parcels == sum(r.parcels for r in small.plan.runs)


def test_map_has_one_run_line_per_run_and_one_marker_per_pickup(
    small: DemoPlan, small_html: str
) -> None:
    doc = _parse(small_html)
    runs = doc.having("path", "run")
    assert len(runs) == len(small.plan.runs)
    assert Counter((r["data-vehicle"], r["data-run"]) for r in runs) == Counter(
        (r.vehicle, str(r.run)) for r in small.plan.runs
    )
    assert all(r["d"].startswith("M") for r in runs)
    served = doc.having("circle", "pickup")
    assert sorted(p["data-pickup-id"] for p in served) == sorted(
        s.pickup_id for r in small.plan.runs for s in r.stops
    )
    crosses = doc.having("path", "pickup", "unassigned")
    assert sorted(c["data-pickup-id"] for c in crosses) == sorted(small.unassigned_lonlat)
    all_markers = [a for _, a in doc.tags if "pickup" in a.get("class", "").split()]
    assert len(all_markers) == 20 + 2
    assert len([a for _, a in doc.tags if a.get("id") == "tooltip"]) == 1
    assert len(doc.having("rect", "hub")) == 1


def test_report_loads_nothing_from_the_network(small_html: str) -> None:
    """No CDN, tiles, web fonts or images: the page is usable offline."""
    lowered = small_html.lower()
    assert "http://" not in lowered
    assert "https://" not in lowered
    assert "<script src" not in lowered
    # The one link holds the first paint until an element of the page itself is read.
    links = re.findall(r"<link[^>]*>", lowered)
    assert links == ['<link rel="expect" href="#runs" blocking="render">']
    assert 'id="runs"' in lowered
    assert "@import" not in lowered
    assert not re.search(r"url\(", lowered)
    assert "<img" not in lowered
    assert "//cdn" not in lowered


def test_pickup_markers_carry_the_tooltip_details(small: DemoPlan, small_html: str) -> None:
    stop = small.plan.runs[1].stops[2]
    (marker,) = [
        p
        for p in _parse(small_html).having("circle", "pickup")
        if p["data-pickup-id"] == stop.pickup_id
    ]
    assert marker["data-village"] == stop.village
    assert marker["data-parcels"] == str(stop.parcels)
    assert marker["data-arrival"] == stop.arrival_time
    assert marker["data-rpp"] == f"{stop.cost_per_parcel_rmb:,.2f}"
    assert re.fullmatch(r"c[0-4]", marker["class"].split()[1])


def test_village_table_rows_sum_to_its_total_and_to_the_plan(
    small: DemoPlan, small_html: str
) -> None:
    doc = _parse(small_html)
    cells = [a for t, a in doc.tags if t == "td" and "data-parcels" in a]
    # Body rows then one footer row: the footer equals the sum of the rows.
    *rows, total = [int(a["data-parcels"]) for a in cells]
    assert len(rows) == len(small.plan.villages)
    assert sum(rows) == total == small.plan.summary.parcels
    *costs, cost_total = [float(a["data-cost"]) for t, a in doc.tags if "data-cost" in a]
    assert sum(costs) == pytest.approx(cost_total, abs=0.01 * len(costs))
    assert cost_total == pytest.approx(small.plan.summary.total_cost_rmb, abs=0.05)


def test_villages_are_grouped_from_stops_when_the_plan_has_none(small: DemoPlan) -> None:
    plan = small.plan.model_copy(update={"villages": ()})
    doc = _parse(render_report(plan))
    villages = {s.village for r in plan.runs for s in r.stops}
    rows = [a for t, a in doc.tags if t == "tr" and "data-village" in a]
    assert {r["data-village"] for r in rows} == villages
    parcels = [int(a["data-parcels"]) for t, a in doc.tags if t == "td" and "data-parcels" in a]
    assert parcels[-1] == sum(parcels[:-1]) == plan.summary.parcels


def test_summary_shows_cost_per_parcel_and_saving(small: DemoPlan, small_html: str) -> None:
    s = small.plan.summary
    assert f"<small>RMB</small> {s.total_cost_rmb:,.0f}" in small_html
    assert f"RMB {s.cost_per_parcel_rmb:,.2f} per parcel" in small_html
    assert "saving per parcel vs direct" in small_html
    assert "<small>RMB</small> 0.30" in small_html


def test_runs_without_path_are_drawn_straight_through_the_hub(small: DemoPlan) -> None:
    plan = demo_plan(2, 3, seed=5, with_paths=False).plan
    runs = _parse(render_report(plan, hub=small.hub)).having("path", "run")
    assert len(runs) == 2
    assert all("straight" in r["class"].split() for r in runs)
    # Hub, three stops, hub: a move then four relative segments (eight numbers).
    assert all(len(re.findall(r"-?\d+", r["d"].split("l", 1)[1])) <= 8 for r in runs)


def _points(d: str) -> list[list[tuple[int, int]]]:
    """The absolute vertices of each subpath of ``M x y l dx dy ...`` path data."""
    lines: list[list[tuple[int, int]]] = []
    for sub in re.findall(r"M[^M]+", d):
        head, _, rest = sub[1:].partition("l")
        x, y = (int(v) for v in re.findall(r"-?\d+", head))
        line = [(x, y)]
        deltas = [int(v) for v in re.findall(r"-?\d+", rest)]
        for dx, dy in zip(deltas[::2], deltas[1::2], strict=True):
            x, y = x + dx, y + dy
            line.append((x, y))
        lines.append(line)
    return lines


def _segments(html: str, cls: str) -> set[tuple[tuple[int, int], tuple[int, int]]]:
    return {
        (a, b)
        for path in _parse(html).having("path", cls)
        for line in _points(path["d"])
        for a, b in itertools.pairwise(line)
    }


def test_roads_are_cut_into_grid_cells_that_still_join_up(
    small: DemoPlan, small_html: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Roads are drawn per grid cell (so each map tile skips most), losing no segment."""
    import routing.report

    monkeypatch.setattr(routing.report, "_ROAD_CELL_PX", 1e9)  # cells wider than the map
    whole = _render(small)
    for t in (1, 3, 4):
        cut = _parse(small_html).having("path", f"rd{t}")
        assert len(cut) > 3 * len(_parse(whole).having("path", f"rd{t}"))
        assert _segments(small_html, f"rd{t}") == _segments(whole, f"rd{t}")


def test_run_paths_open_simplified_and_keep_the_full_detail_for_zoom(
    small: DemoPlan, small_html: str
) -> None:
    """The whole map draws fewer vertices per run; data-d keeps the 20 m geometry."""
    runs = _parse(small_html).having("path", "run")
    assert all("data-d" in r for r in runs)
    for r in runs:
        (overview,) = _points(r["d"])
        (detail,) = _points(r["data-d"])
        assert len(overview) < 0.8 * len(detail)
        assert overview[0] == detail[0]
        assert overview[-1] == detail[-1]
    straight = demo_plan(2, 3, seed=5, with_paths=False).plan
    assert not any("data-d" in r for r in _parse(render_report(straight)).having("path", "run"))


def test_run_sheets_list_stops_in_driving_order_with_a_signature_column(
    small: DemoPlan, small_html: str
) -> None:
    sheets = re.findall(r'<section class="sheet".*?</section>', small_html, flags=re.S)
    assert len(sheets) == len(small.plan.runs)
    first = sheets[0]
    positions = [first.index(f"<small>{s.pickup_id}</small>") for s in small.plan.runs[0].stops]
    assert positions == sorted(positions)
    assert "<th>signature</th>" in first
    assert "<th>contact</th>" in first
    assert "@media print" in small_html
    assert "break-before:page" in small_html


def test_user_text_is_escaped() -> None:
    demo = demo_plan(1, 2, seed=1, n_unassigned=0)
    run = demo.plan.runs[0]
    evil = '<script>alert("x")</script>&'
    stop = run.stops[0].model_copy(update={"village": evil})
    plan = demo.plan.model_copy(
        update={
            "name": evil,
            "villages": (),
            "runs": (run.model_copy(update={"stops": (stop, *run.stops[1:])}),),
        }
    )
    text = render_report(plan)
    assert evil not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in text
    assert text.count("<script>") == 1


def test_rendering_is_deterministic(small: DemoPlan, small_html: str) -> None:
    assert _render(small) == small_html


def test_plan_without_runs_still_renders() -> None:
    demo = demo_plan(1, 1, seed=2, n_unassigned=3)
    plan = demo.plan.model_copy(update={"runs": (), "villages": ()})
    doc = _parse(render_report(plan, pickups_unassigned_lonlat=demo.unassigned_lonlat))
    assert doc.having("path", "run") == []
    assert len(doc.having("path", "pickup", "unassigned")) == 3


class _Network:
    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph


def test_roads_from_network_draws_two_way_roads_once() -> None:
    g = nx.MultiDiGraph()
    line = LineString([(101.90, 24.00), (101.905, 24.0001), (101.91, 24.00), (101.92, 24.01)])
    back = LineString(list(line.coords)[::-1])
    g.add_edge("a", "b", geometry=line, road_class="county", length_m=2500.0)
    g.add_edge("b", "a", geometry=back, road_class="county", length_m=2500.0)
    g.add_edge(
        "b",
        "c",
        geometry=LineString([(101.92, 24.01), (101.95, 24.03)]),
        road_class="expressway",
        length_m=3900.0,
    )
    lines, classes = roads_from_network(_Network(g))
    assert sorted(classes) == ["county", "expressway"]
    county = lines[classes.index("county")]
    assert len(county) < 4  # simplified: the 11 m kink is dropped
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in county)


def test_write_report_writes_html_with_network_roads(small: DemoPlan, tmp_path: Path) -> None:
    g = nx.MultiDiGraph()
    g.add_edge(
        1,
        2,
        geometry=LineString([small.hub, (101.95, 24.0)]),
        road_class="provincial",
        length_m=5000.0,
    )
    out = write_report(small.plan, tmp_path / "out", network=_Network(g))
    assert out == tmp_path / "out" / "report.html"
    doc = _parse(out.read_text(encoding="utf-8"))
    assert len(doc.having("path", "rd2")) == 1


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_map_png_is_a_small_valid_png(small: DemoPlan, tmp_path: Path) -> None:
    out = write_map_png(
        small.plan,
        tmp_path / "map.png",
        roads=small.roads,
        road_classes=small.road_classes,
        hub=small.hub,
        pickups_unassigned_lonlat=small.unassigned_lonlat,
    )
    width, height = _png_size(out)
    assert 900 <= width <= 1300
    assert 300 <= height <= 1800
    assert out.stat().st_size < 500_000


def test_map_png_of_a_chinese_plan_name_does_not_fail(tmp_path: Path) -> None:
    """Without a CJK font the glyphs are boxes, but the map is still written."""
    plan = demo_plan(1, 3, seed=4).plan.model_copy(update={"name": "新平 戛洒镇"})
    _png_size(write_map_png(plan, tmp_path / "map.png", width_px=600))


@pytest.mark.slow
def test_a_2000_pickup_plan_renders_under_5_mb(tmp_path: Path) -> None:
    demo = demo_plan(125, 16, seed=0, n_unassigned=20)
    text = _render(demo)
    assert len(text.encode("utf-8")) < 5_000_000
    doc = _parse(text)
    assert len(doc.having("path", "run")) == 125
    assert len(doc.having("circle", "pickup")) == 2000
    out = write_map_png(
        demo.plan,
        tmp_path / "map.png",
        roads=demo.roads,
        road_classes=demo.road_classes,
        hub=demo.hub,
    )
    assert out.stat().st_size < 500_000


def test_report_on_osm_roads_labels_places_with_scale_bar_and_attribution(
    tmp_path: Path,
) -> None:
    """An OpenStreetMap network: place names, a scale bar and the ODbL credit on the map."""
    from routing.roads import read_roads
    from routing.roads.osm import Place

    network = read_roads(Path(__file__).resolve().parents[1] / "data" / "osm" / "plain.osm")
    plan = demo_plan().plan
    lon, lat = plan.runs[0].stops[0].location  # a place inside the map's frame
    network.graph.graph["places"] = (Place("Vila Nova", "village", lon, lat),)
    path = write_report(plan, tmp_path, network=network)
    html = path.read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors, ODbL" in html
    assert ">Vila Nova</text>" in html
    assert 'class="scalebar"' in html
    plain = write_report(plan, tmp_path / "plain").read_text(encoding="utf-8")
    assert "OpenStreetMap" not in plain
    assert 'class="scalebar"' not in plain
