"""Tests for routing.report.map_svg: the SVG map of runs, pickups, hubs and roads."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest

from routing.report import (
    DemoPlan,
    demo_plan,
    render_report,
)
from tests.routing.report.pages import parse, render


def test_map_has_one_run_line_per_run_and_one_marker_per_pickup(
    small: DemoPlan, small_html: str
) -> None:
    doc = parse(small_html)
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


def test_pickup_markers_carry_the_tooltip_details(small: DemoPlan, small_html: str) -> None:
    stop = small.plan.runs[1].stops[2]
    (marker,) = [
        p
        for p in parse(small_html).having("circle", "pickup")
        if p["data-pickup-id"] == stop.pickup_id
    ]
    assert marker["data-village"] == stop.village
    assert marker["data-parcels"] == str(stop.parcels)
    assert marker["data-arrival"] == stop.arrival_time
    assert marker["data-rpp"] == f"{stop.cost_per_parcel_rmb:,.2f}"
    assert re.fullmatch(r"c[0-4]", marker["class"].split()[1])


def test_runs_without_path_are_drawn_straight_through_the_hub(small: DemoPlan) -> None:
    plan = demo_plan(2, 3, seed=5, with_paths=False).plan
    runs = parse(render_report(plan, hub=small.hub)).having("path", "run")
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
        for path in parse(html).having("path", cls)
        for line in _points(path["d"])
        for a, b in itertools.pairwise(line)
    }


def test_roads_are_cut_into_grid_cells_that_still_join_up(
    small: DemoPlan, small_html: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Roads are drawn per grid cell (so each map tile skips most), losing no segment."""
    import routing.report.map_svg

    monkeypatch.setattr(routing.report.map_svg, "_ROAD_CELL_PX", 1e9)  # cells wider than the map
    whole = render(small)
    for t in (1, 3, 4):
        cut = parse(small_html).having("path", f"rd{t}")
        assert len(cut) > 3 * len(parse(whole).having("path", f"rd{t}"))
        assert _segments(small_html, f"rd{t}") == _segments(whole, f"rd{t}")


def test_run_paths_open_simplified_and_keep_the_full_detail_for_zoom(
    small: DemoPlan, small_html: str
) -> None:
    """The whole map draws fewer vertices per run; data-d keeps the 20 m geometry."""
    runs = parse(small_html).having("path", "run")
    assert all("data-d" in r for r in runs)
    for r in runs:
        (overview,) = _points(r["d"])
        (detail,) = _points(r["data-d"])
        assert len(overview) < 0.8 * len(detail)
        assert overview[0] == detail[0]
        assert overview[-1] == detail[-1]
    straight = demo_plan(2, 3, seed=5, with_paths=False).plan
    assert not any("data-d" in r for r in parse(render_report(straight)).having("path", "run"))
