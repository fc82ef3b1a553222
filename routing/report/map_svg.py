"""The report's SVG map: background roads, runs, pickups, hubs and the legend.

Run paths and background roads are simplified to about 20 m, so a 2,000-pickup plan
stays well under 5 MB; until the map is first zoomed, runs are drawn simplified to
under a pixel.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from routing.model import Plan
from routing.report.figures import (
    RUN_COLOURS,
    _cost_bins,
    _cost_class,
    _e,
    _rmb,
    _run_key,
    _run_per_parcel,
)
from routing.report.geometry import (
    _OVERVIEW_KEEP,
    _OVERVIEW_PX,
    _ROAD_CELL_PX,
    _ROAD_TIERS,
    _SIMPLIFY_M,
    LonLat,
    _cell_pieces,
    _Frame,
    _path_d,
    _simplified,
)
from routing.report.sections import _nice_step


@dataclass
class _MapParts:
    svg: str
    legend: str
    bins: list[float] = field(default_factory=list)


def _map(
    plan: Plan,
    roads: Sequence[Sequence[LonLat]],
    road_classes: Sequence[str] | None,
    hubs: Mapping[str, LonLat],
    unassigned_lonlat: Mapping[str, LonLat],
    places: Sequence[tuple[str, LonLat]] = (),
    attribution: str = "",
) -> _MapParts:
    stops = [s for r in plan.runs for s in r.stops]
    frame = _Frame.around(_map_extent(plan, roads, hubs, unassigned_lonlat))
    parts: list[str] = [
        f'<svg id="map" viewBox="0 0 {frame.width_m} {frame.height_m}" '
        'preserveAspectRatio="xMidYMid meet" '
        'role="img" aria-label="map of runs and pickups">'
    ]
    parts += _road_paths(frame, roads, road_classes)
    parts += _run_paths(frame, plan, hubs)
    rpp = [s.cost_per_parcel_rmb for s in stops if s.cost_per_parcel_rmb is not None]
    bins = _cost_bins(rpp)
    max_parcels = max((s.parcels + s.delivery_parcels for s in stops), default=1) or 1
    parts += _pickup_marks(frame, plan, bins, max_parcels, unassigned_lonlat)
    parts += _hub_marks(frame, plan, hubs)
    parts += _station_marks(frame, plan)
    if places or attribution:
        parts.append(_overlay(frame, places, attribution))
    parts.append("</svg>")
    return _MapParts("\n".join(parts), _legend(bins, max_parcels, bool(plan.unassigned)), bins)


def _map_extent(
    plan: Plan,
    roads: Sequence[Sequence[LonLat]],
    hubs: Mapping[str, LonLat],
    unassigned_lonlat: Mapping[str, LonLat],
) -> list[LonLat]:
    """What the map must show: stops, paths, hubs and placed unassigned pickups."""
    extent: list[LonLat] = [s.location for r in plan.runs for s in r.stops]
    extent += [p for r in plan.runs for p in r.path]
    extent += list(hubs.values())
    extent += [
        unassigned_lonlat[u.pickup_id] for u in plan.unassigned if u.pickup_id in unassigned_lonlat
    ]
    if not extent:
        extent = [p for road in roads for p in road]
    return extent


def _road_paths(
    frame: _Frame, roads: Sequence[Sequence[LonLat]], road_classes: Sequence[str] | None
) -> list[str]:
    """Roads: one path per drawing tier and grid cell, only those near the map's extent.

    Chromium draws the map in tiles of 256 px and skips only the paths whose bounding
    box misses a tile: one path per tier across the whole map was stroked and dashed
    again for every tile, a third of the time to draw the map of a big plan.
    """
    by_cell: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    cell_m = _ROAD_CELL_PX * frame.units_per_px
    margin = 0.5 * max(frame.width_m, frame.height_m)
    for i, road in enumerate(roads):
        if len(road) < 2:
            continue
        xy = frame.xy(road)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        if (
            hi[0] < -margin
            or hi[1] < -margin
            or lo[0] > frame.width_m + margin
            or lo[1] > frame.height_m + margin
        ):
            continue
        cls = road_classes[i] if road_classes is not None and i < len(road_classes) else ""
        tier = _ROAD_TIERS.get(cls.lower(), 3)
        for cell, piece in _cell_pieces(_simplified(xy, _SIMPLIFY_M), cell_m):
            d = _path_d(piece)
            if d:
                by_cell[(-tier, *cell)].append(d)
    return [
        '<g class="roads">',
        *(f'<path class="rd{-key[0]}" d="{"".join(by_cell[key])}"/>' for key in sorted(by_cell)),
        "</g>",
    ]


def _run_paths(frame: _Frame, plan: Plan, hubs: Mapping[str, LonLat]) -> list[str]:
    """Runs along their road paths; straight dashed lines when the path is unknown."""
    upp = frame.units_per_px
    parts = ['<g class="runs">']
    for k, run in enumerate(plan.runs):
        straight = not run.path
        if straight:
            line = [s.location for s in run.stops]
            if run.hub_id in hubs:
                line = [hubs[run.hub_id], *line, hubs[run.hub_id]]
        else:
            line = list(run.path)
        xy = frame.xy(line) if len(line) >= 2 else np.empty((0, 2))
        fine = _simplified(xy, _SIMPLIFY_M)
        d = _path_d(fine)
        if not d and run.stops:  # a single stop and no hub: a dot-length line
            x, y = frame.point(run.stops[0].location)
            d = f"M{x} {y}l0 0"
        # The whole map shows road paths with fewer vertices, which halves the time to
        # draw it; report.js swaps the full detail in from data-d on the first zoom.
        detail = ""
        if not straight:
            coarse = _simplified(xy, _OVERVIEW_PX * upp)
            if len(coarse) >= 2 and len(coarse) < _OVERVIEW_KEEP * len(fine):
                detail, d = f' data-d="{d}"', _path_d(coarse)
        parts.append(
            f'<path class="run r{k % len(RUN_COLOURS)}{" straight" if straight else ""}'
            f'{f" tier-{run.tier}" if run.tier else ""}" '
            f'{_run_key(run)} data-time="{run.start_time}–{run.end_time}" '
            f'data-stops="{len(run.stops)}" data-parcels="{run.parcels}" '
            f'data-km="{run.distance_km:.1f}" data-rmb="{run.cost_rmb:.2f}" '
            f'data-rpp="{_rmb(_run_per_parcel(run))}" d="{d}"{detail}/>'
        )
    parts.append("</g>")
    return parts


def _pickup_marks(
    frame: _Frame,
    plan: Plan,
    bins: Sequence[float],
    max_parcels: int,
    unassigned_lonlat: Mapping[str, LonLat],
) -> list[str]:
    """Pickups: circle area by parcels, fill by cost class; unassigned ones as crosses.

    Big circles come first so that small ones stay on top and can be hovered.
    """
    upp = frame.units_per_px
    owners = [(s, run) for run in plan.runs for s in run.stops]
    owners.sort(key=lambda sr: -(sr[0].parcels + sr[0].delivery_parcels))
    parts = ['<g class="pickups">']
    for s, run in owners:
        x, y = frame.point(s.location)
        r = upp * (2.5 + 7.5 * math.sqrt((s.parcels + s.delivery_parcels) / max_parcels))
        parts.append(
            f'<circle class="pickup {_cost_class(s.cost_per_parcel_rmb, bins)}" '
            f'data-pickup-id="{_e(s.pickup_id)}" data-village="{_e(s.village)}" '
            f'data-parcels="{s.parcels}" data-drop="{s.delivery_parcels}" '
            f'data-arrival="{s.arrival_time}" data-rpp="{_rmb(s.cost_per_parcel_rmb)}" '
            f'{_run_key(run)} cx="{x}" cy="{y}" r="{r:.0f}"/>'
        )
    parts += _unassigned_marks(frame, plan, unassigned_lonlat)
    parts.append("</g>")
    return parts


def _unassigned_marks(
    frame: _Frame, plan: Plan, unassigned_lonlat: Mapping[str, LonLat]
) -> list[str]:
    """A red cross with a white halo for each unassigned pickup whose position is known."""
    arm = round(frame.units_per_px * 5)
    parts: list[str] = []
    for u in plan.unassigned:
        if u.pickup_id not in unassigned_lonlat:
            continue
        x, y = frame.point(unassigned_lonlat[u.pickup_id])
        cross = f"M{x - arm} {y - arm}l{2 * arm} {2 * arm}m0 {-2 * arm}l{-2 * arm} {2 * arm}"
        parts.append(
            f'<path class="unassigned-halo" d="{cross}"/>'
            f'<path class="pickup unassigned" data-pickup-id="{_e(u.pickup_id)}" '
            f'data-village="{_e(u.village or u.pickup_id)}" data-reason="{_e(u.reason.value)}" '
            f'data-detail="{_e(u.detail)}" d="{cross}"/>'
        )
    return parts


def _hub_marks(frame: _Frame, plan: Plan, hubs: Mapping[str, LonLat]) -> list[str]:
    half = round(frame.units_per_px * 6)
    names = {h.id: h.name for h in plan.hubs}
    parts: list[str] = []
    for hub_id, lonlat in hubs.items():
        x, y = frame.point(lonlat)
        parts.append(
            f'<rect class="hub" data-hub="{_e(names.get(hub_id, hub_id))}" x="{x - half}" '
            f'y="{y - half}" '
            f'width="{2 * half}" height="{2 * half}" rx="{half // 3}"/>'
        )
    return parts


def _station_marks(frame: _Frame, plan: Plan) -> list[str]:
    """Township stations of a three-tier plan: diamonds, hollow where nothing is handed over."""
    half = round(frame.units_per_px * 6)
    used = {t.station_id for t in plan.transfers}
    parts: list[str] = []
    for st in plan.stations:
        x, y = frame.point(st.location)
        parts.append(
            f'<polygon class="station{"" if st.id in used else " unused"}" '
            f'data-station="{_e(st.name or st.id)}" '
            f'points="{x},{y - half} {x + half},{y} {x},{y + half} {x - half},{y}"/>'
        )
    return parts


def _overlay(frame: _Frame, places: Sequence[tuple[str, LonLat]], attribution: str) -> str:
    """Place names, a scale bar and the map data's attribution, drawn over the map."""
    upp = frame.units_per_px
    font = f'font-family="sans-serif" font-size="{round(11 * upp)}"'
    halo = f'stroke="#fff" stroke-width="{round(3 * upp)}" paint-order="stroke"'
    out = ['<g class="places" pointer-events="none">']
    for name, lonlat in places:
        x, y = frame.point(lonlat)
        if 0 <= x <= frame.width_m and 0 <= y <= frame.height_m:
            out.append(
                f'<text x="{x + round(4 * upp)}" y="{y - round(4 * upp)}" {font} '
                f'fill="#444" {halo}>{_e(name)}</text>'
            )
    bar = _nice_step(frame.width_m / 8)
    # Bottom right, above the attribution and the zoom hint (the legend is bottom left).
    x0, y0 = round(frame.width_m - 10 * upp - bar), round(frame.height_m - 52 * upp)
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    out.append(
        f'<rect class="scalebar" x="{x0}" y="{y0}" width="{round(bar)}" '
        f'height="{round(3 * upp)}" fill="#222"/>'
        f'<text x="{x0}" y="{y0 - round(5 * upp)}" {font} fill="#222" {halo}>{label}</text>'
    )
    if attribution:
        out.append(
            f'<text class="attribution" x="{frame.width_m - round(8 * upp)}" '
            f'y="{frame.height_m - round(30 * upp)}" text-anchor="end" {font} fill="#333" '
            f"{halo}>{_e(attribution)}</text>"
        )
    out.append("</g>")
    return "".join(out)


def _legend(bins: Sequence[float], max_parcels: int, unassigned: bool) -> str:
    rows: list[str] = ["<b>RMB per parcel at the stop</b>"]
    n = len(bins) + 1
    for i in range(n):
        lo = f"{bins[i - 1]:.2f}" if i > 0 else ""
        hi = f"{bins[i]:.2f}" if i < len(bins) else ""
        text = f"≤ {hi}" if not lo and hi else f"> {lo}" if lo and not hi else f"{lo} – {hi}"
        if not lo and not hi:
            text = "all stops"
        cls = _cost_class(bins[i] if i < len(bins) else math.inf, bins) if bins else "c0"
        rows.append(
            f'<div class="row"><svg width="14" height="14"><circle class="{cls}" cx="7" cy="7" '
            'r="6" '
            f'stroke="#2d3339" stroke-width=".8"/></svg>{text}</div>'
        )
    small = max(1, max_parcels // 10)
    rows.append(
        f'<div class="row"><svg width="44" height="20"><circle class="cn" cx="6" cy="14" r="3.3" '
        'stroke="#2d3339" stroke-width=".8"/><circle class="cn" cx="28" cy="10" r="10" '
        'stroke="#2d3339" '
        f'stroke-width=".8"/></svg>size: parcels ({small:,} – {max_parcels:,})</div>'
    )
    rows.append(
        '<div class="row"><svg width="14" height="14"><rect class="legend-hub" x="1" y="1" '
        'width="12" '
        'height="12" rx="3"/></svg>hub <svg width="22" height="10"><path class="legend-run r0" '
        'd="M1 5h20"/></svg>run (colour per run)</div>'
    )
    if unassigned:
        rows.append(
            '<div class="row"><svg width="14" height="14"><path class="legend-cross" '
            'd="M3 3l8 8m0-8l-8 8"/></svg>not collected</div>'
        )
    return "\n".join(rows)
