"""Tests for routing.report.html and its sections: the offline HTML dispatch report."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest
from shapely.geometry import LineString

from routing.report import (
    DemoPlan,
    demo_plan,
    render_report,
    write_map_png,
    write_report,
)
from tests.routing.report.pages import Network, parse, render


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


def test_village_table_rows_sum_to_its_total_and_to_the_plan(
    small: DemoPlan, small_html: str
) -> None:
    doc = parse(small_html)
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
    doc = parse(render_report(plan))
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
    assert render(small) == small_html


def test_plan_without_runs_still_renders() -> None:
    demo = demo_plan(1, 1, seed=2, n_unassigned=3)
    plan = demo.plan.model_copy(update={"runs": (), "villages": ()})
    doc = parse(render_report(plan, pickups_unassigned_lonlat=demo.unassigned_lonlat))
    assert doc.having("path", "run") == []
    assert len(doc.having("path", "pickup", "unassigned")) == 3


def test_write_report_writes_html_with_network_roads(small: DemoPlan, tmp_path: Path) -> None:
    g = nx.MultiDiGraph()
    g.add_edge(
        1,
        2,
        geometry=LineString([small.hub, (101.95, 24.0)]),
        road_class="provincial",
        length_m=5000.0,
    )
    out = write_report(small.plan, tmp_path / "out", network=Network(g))
    assert out == tmp_path / "out" / "report.html"
    doc = parse(out.read_text(encoding="utf-8"))
    assert len(doc.having("path", "rd2")) == 1


@pytest.mark.slow
def test_a_2000_pickup_plan_renders_under_5_mb(tmp_path: Path) -> None:
    demo = demo_plan(125, 16, seed=0, n_unassigned=20)
    text = render(demo)
    assert len(text.encode("utf-8")) < 5_000_000
    doc = parse(text)
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

    network = read_roads(Path(__file__).resolve().parents[2] / "data" / "osm" / "plain.osm")
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


def test_run_cost_per_parcel_counts_parcels_dropped_as_the_summary_does() -> None:
    """A run collecting 10 and dropping 30 parcels for RMB 80 costs RMB 2.00 a parcel."""
    demo = demo_plan(1, 2, seed=1, n_unassigned=0)
    run = demo.plan.runs[0].model_copy(
        update={"parcels": 10, "delivery_parcels": 30, "cost_rmb": 80.0}
    )
    plan = demo.plan.model_copy(update={"runs": (run,)})
    text = render_report(plan, roads=demo.roads, road_classes=demo.road_classes, hub=demo.hub)
    table = re.search(r'<table class="runs-table">.*?</table>', text, flags=re.S)
    assert table is not None
    row = re.search(r"<tbody><tr [^>]*>(.*?)</tr>", table.group(0), flags=re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells[-2:] == ["80.00", "2.00"]
    sheet = re.search(r'<details class="run-detail".*?</details>', text, flags=re.S)
    assert sheet is not None
    assert sheet.group(0).split("<tfoot>")[1].count("<td class=n>2.00</td>") == 1
    paths = [a for t, a in parse(text).tags if t == "path" and "data-rpp" in a]
    assert [a["data-rpp"] for a in paths] == ["2.00"]
