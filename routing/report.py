"""Dispatch reports: one self-contained HTML page and a static map for a :class:`Plan`.

The HTML report (:func:`render_report`, :func:`write_report`) is what planners and drivers
open: summary figures, an SVG map with zoom, pan and hover details, run tables, a load
chart, the cost per village and printable run sheets. It works offline: CSS and
JavaScript are inlined and nothing is fetched (no CDN, tiles, web fonts or images), so it
can be mailed or copied to a phone in a village without signal.

The map is drawn from the plan's own data in an equirectangular projection scaled by
``cos(lat)``, in whole metres from the top-left corner of the map's extent (which keeps
a precision of about 1 m, as five decimals of a degree would). Run paths and background
roads are simplified to about 20 m, so a 2,000-pickup plan stays well under 5 MB; until
the map is first zoomed, runs are drawn simplified to under a pixel, and the run
details and run sheets are laid out only when scrolled to or printed, so that big
reports open quickly.

:func:`write_map_png` draws the same picture with matplotlib for slides and chat.
:func:`demo_plan` builds a random but valid plan for demonstrations, tests and
benchmarks.
"""

from __future__ import annotations

import html
import io
import itertools
import math
import random
import string
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely

from routing.model import Hub, Plan, Run, Stop, Summary, Unassigned, UnassignedReason, VillageCost
from routing.units import format_clock

__all__ = [
    "RUN_COLOURS",
    "DemoPlan",
    "demo_plan",
    "render_report",
    "roads_from_network",
    "write_map_png",
    "write_report",
]

LonLat = tuple[float, float]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Colours of runs, cycled by run index; shared by the HTML map and the PNG. Greens and
#: reds are left out because pickups use them for cost per parcel.
RUN_COLOURS: tuple[str, ...] = (
    "#1f77b4",
    "#9467bd",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#393b79",
    "#bcbd22",
    "#7b4173",
    "#3182bd",
    "#ff7f0e",
)
#: Cost-per-parcel classes from cheap to dear (ColorBrewer RdYlGn, reversed).
COST_COLOURS: tuple[str, ...] = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
_NO_COST_COLOUR = "#bcccdc"

_METRES_PER_DEGREE = 111_320.0
_SIMPLIFY_M = 20.0
_MAP_PX = 1100.0
"""Nominal on-screen width of the map, used to size markers in map units."""
_ROAD_CELL_PX = 128.0
"""Side of the grid cells background roads are grouped by, in nominal map pixels."""
#: Estimated heights in CSS pixels of the run details and run sheets, which the page
#: lays out only once they are scrolled to (``content-visibility: auto``); the page
#: reserves them so that its scrollbar does not jump. One table row or closed run
#: detail, a run sheet without its rows, and the run details card without its runs
#: (measured in Chromium 1400 px wide).
_ROW_PX = 35
_SHEET_PX = 145
_DETAILS_PX = 64
_OVERVIEW_PX = 0.75
"""Simplification of run paths on the whole map, in nominal map pixels."""
_OVERVIEW_KEEP = 0.8
"""A run gets an overview geometry only when it has under this share of the vertices."""

#: Road class to drawing tier (1: widest). Unknown classes are drawn as tier 3.
_ROAD_TIERS: dict[str, int] = {
    **dict.fromkeys(("motorway", "expressway", "trunk", "national", "motorway_link"), 1),
    **dict.fromkeys(("primary", "secondary", "provincial", "trunk_link", "primary_link"), 2),
    **dict.fromkeys(("tertiary", "county", "township", "unclassified", "residential"), 3),
    **dict.fromkeys(("village", "track", "path", "service", "unpaved", "dirt"), 4),
}


class _HasGraph(Protocol):
    """Anything with a networkx ``graph`` such as :class:`routing.network.RoadNetwork`."""

    @property
    def graph(self) -> Any: ...


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Frame:
    """Equirectangular projection to whole metres, y down, origin at the top-left."""

    west: float
    north: float
    kx: float
    width_m: float
    height_m: float

    @classmethod
    def around(
        cls, points: Sequence[LonLat], *, pad: float = 0.05, min_m: float = 2_000.0
    ) -> _Frame:
        arr = np.asarray(points, dtype=float).reshape(-1, 2)
        if len(arr) == 0:
            arr = np.array([[101.99, 24.07]])  # Xinping county seat, for an empty plan
        west, south = arr.min(axis=0)
        east, north = arr.max(axis=0)
        kx = _METRES_PER_DEGREE * math.cos(math.radians((south + north) / 2))
        w = max((east - west) * kx, min_m)
        h = max((north - south) * _METRES_PER_DEGREE, min_m)
        cx, cy = (west + east) / 2, (south + north) / 2
        w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
        return cls(
            west=cx - w / 2 / kx,
            north=cy + h / 2 / _METRES_PER_DEGREE,
            kx=kx,
            width_m=round(w),
            height_m=round(h),
        )

    def xy(self, lonlat: Sequence[LonLat] | FloatArray) -> FloatArray:
        arr = _as_array(lonlat)
        out = np.empty_like(arr)
        out[:, 0] = (arr[:, 0] - self.west) * self.kx
        out[:, 1] = (self.north - arr[:, 1]) * _METRES_PER_DEGREE
        return out

    def point(self, lonlat: LonLat) -> tuple[int, int]:
        x, y = self.xy([lonlat])[0]
        return round(x), round(y)

    @property
    def units_per_px(self) -> float:
        return max(self.width_m, self.height_m * 1.6) / _MAP_PX


def _as_array(lonlat: Sequence[LonLat] | FloatArray) -> FloatArray:
    """``(n, 2)`` float array; ``fromiter`` is ~20x faster than ``asarray`` on tuples."""
    if isinstance(lonlat, np.ndarray):
        return lonlat.astype(float).reshape(-1, 2)
    flat = itertools.chain.from_iterable(lonlat)
    return np.fromiter(flat, dtype=float, count=2 * len(lonlat)).reshape(-1, 2)


def _simplified(xy: FloatArray, tolerance_m: float) -> IntArray:
    """Simplify a projected line and round it to whole metres, dropping repeats."""
    if len(xy) > 2 and tolerance_m > 0:
        xy = shapely.get_coordinates(
            shapely.simplify(shapely.linestrings(xy), tolerance_m, preserve_topology=False)
        )
    pts = np.rint(xy).astype(np.int64)
    if len(pts) > 1:
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
        pts = pts[keep]
    return pts


def _lonlat_simplified(frame: _Frame, line: Sequence[LonLat], tolerance_m: float) -> FloatArray:
    """A line simplified in metres, back in lon/lat: for drawing at a known scale."""
    pts = _simplified(frame.xy(line), tolerance_m).astype(float)
    return np.column_stack(
        (frame.west + pts[:, 0] / frame.kx, frame.north - pts[:, 1] / _METRES_PER_DEGREE)
    )


def _cell_pieces(pts: IntArray, cell_m: float) -> list[tuple[tuple[int, int], IntArray]]:
    """Cut a line where it enters another square grid cell of ``cell_m``.

    Each piece is tagged with the cell of its first vertex and ends on the first vertex
    of the next piece, so the pieces drawn together still join up.
    """
    if len(pts) < 2:
        return []
    cells = np.floor_divide(pts, max(cell_m, 1.0)).astype(np.int64)
    change = np.flatnonzero(np.any(cells[1:] != cells[:-1], axis=1)) + 1
    starts = [0, *change.tolist()]
    ends = [*change.tolist(), len(pts) - 1]
    return [
        ((int(cells[a, 0]), int(cells[a, 1])), pts[a : b + 1])
        for a, b in zip(starts, ends, strict=True)
        if b > a
    ]


def _path_d(pts: IntArray) -> str:
    """SVG path data with relative moves: ``M x y l dx dy ...`` (compact integers)."""
    if len(pts) < 2:
        return ""
    deltas = np.diff(pts, axis=0).ravel().tolist()
    body = " ".join(str(v) for v in deltas).replace(" -", "-")
    return f"M{pts[0, 0]} {pts[0, 1]}l{body}"


# --------------------------------------------------------------------------- formatting


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rmb(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _num(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _run_key(run: Run) -> str:
    return f'data-vehicle="{_e(run.vehicle)}" data-run="{run.run}"'


def _per_parcel(cost: float, parcels: int) -> float | None:
    return cost / parcels if parcels > 0 else None


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class _Saving:
    name: str
    baseline_per_parcel_rmb: float
    saving_per_parcel_rmb: float


def _savings(plan: Plan) -> list[_Saving]:
    """Compare with each baseline in ``plan.baselines`` that states a cost per parcel.

    A baseline is a mapping with ``cost_per_parcel_rmb`` or ``total_cost_rmb`` (as the
    plan's summary), or a bare number: RMB per parcel when its name says ``per_parcel``,
    else a total in RMB.
    """
    own = plan.summary.cost_per_parcel_rmb
    parcels = plan.summary.parcels
    if own is None or parcels <= 0:
        return []
    found: list[_Saving] = []
    for name, value in plan.baselines.items():
        per: float | None = None
        if isinstance(value, Mapping):
            if isinstance(value.get("cost_per_parcel_rmb"), int | float):
                per = float(value["cost_per_parcel_rmb"])
            elif isinstance(value.get("total_cost_rmb"), int | float):
                per = float(value["total_cost_rmb"]) / parcels
        elif isinstance(value, int | float) and not isinstance(value, bool):
            per = float(value) if "per_parcel" in name else float(value) / parcels
        if per is not None:
            found.append(_Saving(str(name), per, per - own))
    return found


def _village_saving(villages: Sequence[VillageCost]) -> float | None:
    """Parcel-weighted mean saving per parcel over villages that state one."""
    num = den = 0.0
    for v in villages:
        if v.saving_per_parcel_rmb is not None and v.parcels > 0:
            num += v.saving_per_parcel_rmb * v.parcels
            den += v.parcels
    return num / den if den else None


def _villages(plan: Plan) -> tuple[VillageCost, ...]:
    """The plan's per-village costs, or the same figures grouped from its stops."""
    if plan.villages:
        return plan.villages
    pickups: dict[str, set[str]] = defaultdict(set)
    parcels: dict[str, int] = defaultdict(int)
    cost: dict[str, float] = defaultdict(float)
    for run in plan.runs:
        for s in run.stops:
            pickups[s.village].add(s.pickup_id)
            parcels[s.village] += s.parcels
            cost[s.village] += s.cost_rmb
    return tuple(
        VillageCost(
            village=v,
            pickups=len(pickups[v]),
            parcels=parcels[v],
            cost_rmb=cost[v],
            cost_per_parcel_rmb=_per_parcel(cost[v], parcels[v]),
        )
        for v in pickups
    )


def _cost_bins(values: Sequence[float]) -> list[float]:
    """Upper edges of up to five quantile classes of RMB per parcel."""
    if not values:
        return []
    edges = np.quantile(np.asarray(values, dtype=float), [0.2, 0.4, 0.6, 0.8]).tolist()
    uniq: list[float] = []
    for e in edges:
        if not uniq or e > uniq[-1] + 1e-9:
            uniq.append(float(e))
    return uniq


def _cost_class(value: float | None, edges: Sequence[float]) -> str:
    if value is None:
        return "cn"
    i = int(np.searchsorted(np.asarray(edges), value, side="left")) if edges else 0
    # Spread fewer classes over the whole palette so cheap stays green and dear red.
    n = len(edges) + 1
    return f"c{round(i * 4 / (n - 1)) if n > 1 else 0}"


def _initial_load(run: Run) -> int:
    """Parcels on board when the run leaves the hub (parcels to drop in villages)."""
    if not run.stops:
        return run.delivery_parcels
    s = run.stops[0]
    return s.load_parcels - s.parcels + s.delivery_parcels


# --------------------------------------------------------------------------- sections


def _kpis(plan: Plan, villages: Sequence[VillageCost], savings: Sequence[_Saving]) -> str:
    s: Summary = plan.summary
    parcels_label = "parcels collected"
    if s.delivery_parcels:
        parcels_label += f" · {s.delivery_parcels:,} dropped"
    cards: list[tuple[str, str, str]] = [
        ("main", f"<small>RMB</small> {_rmb(s.total_cost_rmb, 0)}", "total cost"),
        ("main", f"<small>RMB</small> {_rmb(s.cost_per_parcel_rmb)}", "per parcel"),
    ]
    saving = savings[0].saving_per_parcel_rmb if savings else _village_saving(villages)
    if saving is not None:
        label = f"saving per parcel vs {_e(savings[0].name)}" if savings else "saving per parcel"
        cards.append(
            ("good" if saving >= 0 else "warn", f"<small>RMB</small> {_rmb(saving)}", label)
        )
    cards += [
        ("", f"{s.parcels:,}", parcels_label),
        ("", f"{s.runs:,}", f"runs · {s.vehicles:,} vehicles"),
        ("", _num(s.distance_km), "km driven"),
        ("", _num(s.duration_h), "vehicle hours"),
        ("", f"{s.pickups - s.unassigned:,} / {s.pickups:,}", "pickups served"),
        ("warn" if s.unassigned else "", f"{s.unassigned:,}", "unassigned"),
    ]
    return "\n".join(
        f'<div class="kpi {cls}"><div class="v">{v}</div><div class="k">{k}</div></div>'
        for cls, v, k in cards
    )


def _baselines_section(plan: Plan, savings: Sequence[_Saving]) -> str:
    if not savings:
        return ""
    own = plan.summary.cost_per_parcel_rmb
    rows = "".join(
        f"<tr><td>{_e(b.name)}</td><td class=n>{_rmb(b.baseline_per_parcel_rmb)}</td>"
        f"<td class=n>{_rmb(own)}</td><td class='n "
        f"{'good' if b.saving_per_parcel_rmb >= 0 else 'bad'}'>"
        f"{_rmb(b.saving_per_parcel_rmb)}</td></tr>"
        for b in savings
    )
    return (
        '<section id="baselines" class="card"><h2>Against the baselines</h2><table>'
        "<thead><tr><th>baseline</th><th class=n>its RMB/parcel</th><th class=n>this plan</th>"
        f"<th class=n>saving RMB/parcel</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


@dataclass
class _MapParts:
    svg: str
    legend: str
    bins: list[float] = field(default_factory=list)


def _hubs(plan: Plan, hub: LonLat | None) -> dict[str, LonLat]:
    """Hub positions by id: the plan's hubs, else ``hub``, else where run paths start."""
    found: dict[str, LonLat] = {h.id: h.location for h in plan.hubs}
    if hub is not None:
        for run in plan.runs:
            found.setdefault(run.hub_id, hub)
        if not found:
            found["hub"] = hub
    for run in plan.runs:
        if run.path:
            found.setdefault(run.hub_id, run.path[0])
    return found


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
    extent: list[LonLat] = [s.location for s in stops]
    extent += [p for r in plan.runs for p in r.path]
    extent += list(hubs.values())
    extent += [
        unassigned_lonlat[u.pickup_id] for u in plan.unassigned if u.pickup_id in unassigned_lonlat
    ]
    if not extent:
        extent = [p for road in roads for p in road]
    frame = _Frame.around(extent)
    upp = frame.units_per_px
    parts: list[str] = [
        f'<svg id="map" viewBox="0 0 {frame.width_m} {frame.height_m}" '
        'preserveAspectRatio="xMidYMid meet" '
        'role="img" aria-label="map of runs and pickups">'
    ]

    # Roads: one path per drawing tier and grid cell, only those near the map's extent.
    # Chromium draws the map in tiles of 256 px and skips only the paths whose bounding
    # box misses a tile: one path per tier across the whole map was stroked and dashed
    # again for every tile, a third of the time to draw the map of a big plan.
    by_cell: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    cell_m = _ROAD_CELL_PX * upp
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
    parts.append('<g class="roads">')
    parts += [f'<path class="rd{-key[0]}" d="{"".join(by_cell[key])}"/>' for key in sorted(by_cell)]
    parts.append("</g>")

    # Runs along their road paths; straight dashed lines when the path is unknown.
    parts.append('<g class="runs">')
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
            f'<path class="run r{k % len(RUN_COLOURS)}{" straight" if straight else ""}" '
            f'{_run_key(run)} data-time="{run.start_time}–{run.end_time}" '
            f'data-stops="{len(run.stops)}" data-parcels="{run.parcels}" '
            f'data-km="{run.distance_km:.1f}" data-rmb="{run.cost_rmb:.2f}" '
            f'data-rpp="{_rmb(_per_parcel(run.cost_rmb, run.parcels))}" d="{d}"{detail}/>'
        )
    parts.append("</g>")

    # Pickups: circle area by parcels, fill by cost class; big ones first so small
    # ones stay on top and can be hovered.
    rpp = [s.cost_per_parcel_rmb for s in stops if s.cost_per_parcel_rmb is not None]
    bins = _cost_bins(rpp)
    max_parcels = max((s.parcels + s.delivery_parcels for s in stops), default=1) or 1
    owners = [(s, run) for run in plan.runs for s in run.stops]
    owners.sort(key=lambda sr: -(sr[0].parcels + sr[0].delivery_parcels))
    parts.append('<g class="pickups">')
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
    arm = round(upp * 5)
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
    parts.append("</g>")
    half = round(upp * 6)
    names = {h.id: h.name for h in plan.hubs}
    for hub_id, lonlat in hubs.items():
        x, y = frame.point(lonlat)
        parts.append(
            f'<rect class="hub" data-hub="{_e(names.get(hub_id, hub_id))}" x="{x - half}" '
            f'y="{y - half}" '
            f'width="{2 * half}" height="{2 * half}" rx="{half // 3}"/>'
        )
    if places or attribution:
        parts.append(_overlay(frame, places, attribution))
    parts.append("</svg>")
    return _MapParts("\n".join(parts), _legend(bins, max_parcels, bool(plan.unassigned)), bins)


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


def _runs_table(plan: Plan) -> str:
    rows: list[str] = []
    for k, run in enumerate(plan.runs):
        rows.append(
            f'<tr {_run_key(run)}><td><span class="sw r{k % len(RUN_COLOURS)}"></span>'
            f"{_e(run.vehicle)}</td>"
            f"<td>{_e(run.vehicle_type)}</td><td class=n>{run.run}</td><td>{run.start_time}</td>"
            f"<td>{run.end_time}</td><td class=n>{len(run.stops)}</td><td class=n>{run.parcels:,}<"
            "/td>"
            f"<td class=n>{run.delivery_parcels:,}</td><td class=n>{run.distance_km:.1f}</td>"
            f"<td class=n>{run.duration_h:.2f}</td><td class=n>{_rmb(run.cost_rmb)}</td>"
            f"<td class=n>{_rmb(_per_parcel(run.cost_rmb, run.parcels))}</td></tr>"
        )
    s = plan.summary
    return (
        '<div class="scroll"><table class="runs-table"><thead><tr><th>vehicle</th><th>type</th>'
        "<th class=n>run</th><th>leaves</th><th>back</th><th class=n>stops</th>"
        "<th class=n>parcels</th><th class=n>to drop</th><th class=n>km</th><th class=n>h</th>"
        "<th class=n>RMB</th><th class=n>RMB/parcel</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr><td colspan=5>{s.runs} runs</td>"
        f"<td class=n>{sum(len(r.stops) for r in plan.runs):,}</td><td class=n>{s.parcels:,}</td>"
        f"<td class=n>{s.delivery_parcels:,}</td><td class=n>{s.distance_km:.1f}</td>"
        f"<td class=n>{s.duration_h:.2f}</td><td class=n>{_rmb(s.total_cost_rmb)}</td>"
        f"<td class=n>{_rmb(s.cost_per_parcel_rmb)}</td></tr></tfoot></table></div>"
    )


def _load_chart(plan: Plan) -> str:
    runs = [r for r in plan.runs if r.stops]
    if not runs:
        return '<p class="note">No runs.</p>'
    w, h, left, right, top, bottom = 1000, 280, 48, 12, 10, 28
    t0 = min(r.start for r in runs)
    t1 = max(r.end for r in runs)
    t0, t1 = (t0 // 3600) * 3600, -(-t1 // 3600) * 3600
    t1 = max(t1, t0 + 3600)
    peak = max(max(_initial_load(r), *(s.load_parcels for s in r.stops)) for r in runs)
    ymax = max(1, peak) * 1.08

    def px(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * (w - left - right)

    def py(v: float) -> float:
        return top + (1 - v / ymax) * (h - top - bottom)

    out = [f'<svg id="load-chart" class="chart" viewBox="0 0 {w} {h}">']
    step = 3600 * max(1, math.ceil((t1 - t0) / 3600 / 14))
    for t in range(t0, t1 + 1, step):
        x = px(t)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{h - bottom}"/>'
            f'<text x="{x:.1f}" y="{h - 10}" text-anchor="middle">{format_clock(t)}</text>'
        )
    ystep = _nice_step(ymax / 5)
    v = 0.0
    while v <= ymax:
        y = py(v)
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>'
        )
        v += ystep
    out.append(
        f'<line class="axis" x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}"/>'
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}"/>'
    )
    for k, run in enumerate(plan.runs):
        if not run.stops:
            continue
        load = _initial_load(run)
        pts = [(run.start, load)]
        for s in run.stops:
            pts += [(s.arrival, load), (s.departure, s.load_parcels)]
            load = s.load_parcels
        pts += [(run.end, load), (run.end, 0)]
        coords = " ".join(f"{px(t):.1f},{py(v):.1f}" for t, v in pts)
        out.append(
            f'<polyline class="load r{k % len(RUN_COLOURS)}" {_run_key(run)} points="{coords}">'
            f"<title>{_e(run.vehicle)} · run {run.run}: up to {max(v for _, v in pts):,} parcels<"
            "/title></polyline>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _nice_step(raw: float) -> float:
    mag = 10 ** math.floor(math.log10(max(raw, 1e-9)))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def _villages_table(plan: Plan, villages: Sequence[VillageCost]) -> str:
    has_base = any(v.baseline_direct_per_parcel_rmb is not None for v in villages)
    has_save = any(v.saving_per_parcel_rmb is not None for v in villages)
    head = (
        "<th>village</th><th>township</th><th class=n>pickups</th><th class=n>parcels</th>"
        "<th class=n>RMB</th><th class=n>RMB/parcel</th>"
        + ("<th class=n>direct RMB/parcel</th>" if has_base else "")
        + ("<th class=n>saving RMB/parcel</th>" if has_save else "")
    )
    ordered = sorted(villages, key=lambda v: -(v.cost_per_parcel_rmb or 0.0))
    rows: list[str] = []
    for v in ordered:
        extra = ""
        if has_base:
            extra += f"<td class=n>{_rmb(v.baseline_direct_per_parcel_rmb)}</td>"
        if has_save:
            cls = (
                ""
                if v.saving_per_parcel_rmb is None
                else "good"
                if v.saving_per_parcel_rmb >= 0
                else "bad"
            )
            extra += f"<td class='n {cls}'>{_rmb(v.saving_per_parcel_rmb)}</td>"
        rows.append(
            f'<tr data-village="{_e(v.village)}"><td>{_e(v.village)}</td><td>{_e(v.township)}</td>'
            f'<td class=n data-pickups="{v.pickups}">{v.pickups:,}</td>'
            f'<td class=n data-parcels="{v.parcels}">{v.parcels:,}</td>'
            f'<td class=n data-cost="{v.cost_rmb:.2f}">{_rmb(v.cost_rmb)}</td>'
            f"<td class=n>{_rmb(v.cost_per_parcel_rmb)}</td>{extra}</tr>"
        )
    pickups = sum(v.pickups for v in villages)
    parcels = sum(v.parcels for v in villages)
    cost = sum(v.cost_rmb for v in villages)
    pad = "<td></td>" * (int(has_base) + int(has_save))
    source = "" if plan.villages else '<p class="note">Grouped from the stops of the runs.</p>'
    return (
        f'{source}<div class="scroll"><table class="villages-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr><td>{len(villages)} villages</td><td></td>"
        f'<td class=n data-pickups="{pickups}">{pickups:,}</td><td class=n '
        f'data-parcels="{parcels}">{parcels:,}</td>'
        f'<td class=n data-cost="{cost:.2f}">{_rmb(cost)}</td><td class=n>'
        f"{_rmb(_per_parcel(cost, parcels))}</td>"
        f"{pad}</tr></tfoot></table></div>"
    )


def _unassigned_section(unassigned: Sequence[Unassigned]) -> str:
    if not unassigned:
        return ""
    reasons: dict[str, int] = defaultdict(int)
    for u in unassigned:
        reasons[str(u.reason)] += 1
    counts = " · ".join(f"{_e(str(r))}: {n}" for r, n in sorted(reasons.items()))
    rows = "".join(
        f"<tr><td>{_e(u.pickup_id)}</td><td>{_e(u.village)}</td><td>{_e(str(u.reason))}</td>"
        f"<td>{_e(u.detail)}</td></tr>"
        for u in unassigned
    )
    return (
        f'<section id="unassigned" class="card"><h2>Not collected ({len(unassigned)})</h2>'
        f'<p class="note">{counts}</p><div class="scroll"><table><thead><tr><th>pickup</th>'
        f"<th>village</th><th>reason</th><th>detail</th></tr></thead><tbody>{rows}</tbody>"
        "</table></div></section>"
    )


def _stop_rows(run: Run) -> str:
    rows = []
    for i, s in enumerate(run.stops, 1):
        wait = f"{s.waiting_time // 60} min" if s.waiting_time else ""
        rows.append(
            f"<tr><td class=n>{i}</td><td>{_e(s.village)}</td><td>{_e(s.pickup_id)}</td>"
            f"<td>{s.arrival_time}</td><td>{wait}</td><td>{s.departure_time}</td>"
            f"<td class=n>{s.parcels:,}</td><td class=n>{s.delivery_parcels:,}</td>"
            f"<td class=n>{s.load_parcels:,}</td><td class=n>{s.distance / 1000:.1f}</td>"
            f"<td class=n>{_rmb(s.cost_rmb)}</td><td class=n>{_rmb(s.cost_per_parcel_rmb)}</td><"
            "/tr>"
        )
    return "".join(rows)


def _run_details_px(plan: Plan) -> int:
    """Estimated height of the closed run details, kept until they are first drawn."""
    return _DETAILS_PX + _ROW_PX * len(plan.runs)


def _run_details(plan: Plan) -> str:
    out: list[str] = []
    for k, run in enumerate(plan.runs):
        out.append(
            f'<details class="run-detail" {_run_key(run)}><summary><span class="sw '
            f'r{k % len(RUN_COLOURS)}">'
            f"</span><b>{_e(run.vehicle)}</b> · run {run.run} — {run.start_time}–{run.end_time} · "
            f"{len(run.stops)} stops · {run.parcels:,} parcels · {run.distance_km:.1f} km · "
            f"RMB {_rmb(run.cost_rmb)} (fixed {_rmb(run.fixed_cost_rmb)}, distance "
            f"{_rmb(run.distance_cost_rmb)}, time {_rmb(run.time_cost_rmb)})</summary>"
            "<table><thead><tr><th class=n>#</th><th>village</th><th>pickup</th><th>arrives</th>"
            "<th>waits</th><th>leaves</th><th class=n>collect</th><th class=n>drop</th>"
            "<th class=n>on board after</th><th class=n>km so far</th><th class=n>RMB share</th>"
            f"<th class=n>RMB/parcel</th></tr></thead><tbody>{_stop_rows(run)}</tbody>"
            f"<tfoot><tr><td></td><td colspan=2>back at hub {_e(run.hub_id)}</td><td>"
            f"{run.end_time}</td>"
            f"<td></td><td></td><td class=n>{run.parcels:,}</td><td class=n>"
            f"{run.delivery_parcels:,}</td>"
            f"<td></td><td class=n>{run.distance_km:.1f}</td><td class=n>{_rmb(run.cost_rmb)}</td>"
            f"<td class=n>{_rmb(_per_parcel(run.cost_rmb, run.parcels))}</td></tr></tfoot></table>"
            "</details>"
        )
    return "\n".join(out) or '<p class="note">No runs.</p>'


def _sheets(plan: Plan) -> str:
    contact = any(s.contact for r in plan.runs for s in r.stops)
    out: list[str] = []
    for run in plan.runs:
        rows = "".join(
            f"<tr><td class=n>{i}</td><td>{_e(s.village)} <small>{_e(s.pickup_id)}</small></td>"
            f"<td>{s.arrival_time}</td><td class=n>{s.parcels:,}</td><td class=n>"
            f"{s.delivery_parcels:,}</td>"
            + (f"<td>{_e(s.contact)}</td>" if contact else "")
            + '<td class="sig"></td><td class="memo"></td></tr>'
            for i, s in enumerate(run.stops, 1)
        )
        out.append(
            f'<section class="sheet" {_run_key(run)} '
            f'style="contain-intrinsic-size:auto {_SHEET_PX + _ROW_PX * len(run.stops)}px">'
            f"<h3>Run sheet · {_e(run.vehicle)} · run "
            f"{run.run}</h3>"
            f'<div class="meta">{_e(run.vehicle_type)} · hub {_e(run.hub_id)} · leave '
            f"{run.start_time} · "
            f"back {run.end_time} · {len(run.stops)} stops · {run.distance_km:.1f} km · collect "
            f"{run.parcels:,} parcels ({run.weight_kg:,.0f} kg) · drop {run.delivery_parcels:,} "
            "parcels</div>"
            "<table><thead><tr><th class=n>#</th><th>village</th><th>expected</th>"
            "<th class=n>collect</th><th class=n>drop</th>"
            + ("<th>contact</th>" if contact else "")
            + "<th>signature</th><th>note</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            '<div class="foot"><div>Driver<span></span></div><div>Checked at hub<span></span><'
            "/div></div>"
            "</section>"
        )
    return "\n".join(out)


def _palette_css() -> str:
    return (
        "\n".join(
            f".r{i}{{stroke:{c}}}.sw.r{i}{{background:{c}}}" for i, c in enumerate(RUN_COLOURS)
        )
        + "\ntr.hl{background:#e6f0fa}"
    )


def _template(name: str) -> str:
    return (files("routing") / "templates" / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- public API


def render_report(
    plan: Plan,
    *,
    roads: Sequence[Sequence[LonLat]] | None = None,
    road_classes: Sequence[str] | None = None,
    hub: LonLat | None = None,
    pickups_unassigned_lonlat: Mapping[str, LonLat] | None = None,
    places: Sequence[tuple[str, LonLat]] = (),
    attribution: str = "",
) -> str:
    """Render a plan as one self-contained, offline HTML dispatch report.

    The page holds the summary (cost, RMB per parcel and the saving per parcel where
    the plan states a baseline), an SVG map with zoom, pan and hover details, a table
    of runs, a chart of parcels on board over the day, run details, the cost per
    village and a printable run sheet per run. It loads nothing from the network.

    Parameters
    ----------
    plan : Plan
        The plan to show; not modified.
    roads : sequence of sequences of (lon, lat), optional
        Background road lines in WGS84, drawn grey; simplified to about 20 m. Lines far
        outside the plan's extent are left out.
    road_classes : sequence of str, optional
        One road class per line of ``roads`` (``"expressway"``, ``"provincial"``,
        ``"county"``, ``"village"``, ``"track"``, OSM highway values...); higher classes
        are drawn thicker. Unknown classes are drawn as county roads.
    hub : (lon, lat), optional
        Where the hub is. By default the first vertex of each hub's run paths.
    pickups_unassigned_lonlat : mapping of pickup id to (lon, lat), optional
        Positions of unassigned pickups, marked with red crosses; those not given are
        listed in the report but not drawn.
    places : sequence of (name, (lon, lat)), optional
        Place names to label on the map; with them or an attribution the map also
        gets a scale bar.
    attribution : str, optional
        The map data's credit, drawn on the map and in the footer (OpenStreetMap data:
        "© OpenStreetMap contributors, ODbL").

    Returns
    -------
    str
        The HTML document (UTF-8 text).
    """
    unassigned_lonlat = dict(pickups_unassigned_lonlat or {})
    villages = _villages(plan)
    savings = _savings(plan)
    hubs = _hubs(plan, hub)
    m = _map(plan, roads or (), road_classes, hubs, unassigned_lonlat, places, attribution)
    s = plan.summary
    subtitle = (
        f"{s.runs} runs · {s.parcels:,} parcels · RMB {_rmb(s.total_cost_rmb)} · "
        f"RMB {_rmb(s.cost_per_parcel_rmb)} per parcel · allocation: {_e(plan.allocation_method)}"
    )
    footer = f"solver {_e(s.solver)} · " if s.solver else ""
    footer += (
        "map: equirectangular, simplified to about 20 m; background roads as given to the report"
    )
    if attribution:
        footer += f" · map data {_e(attribution)}"
    return string.Template(_template("report.html")).substitute(
        title=_e(plan.name),
        subtitle=subtitle,
        css=_template("report.css") + _palette_css(),
        js=_template("report.js"),
        kpis=_kpis(plan, villages, savings),
        baselines=_baselines_section(plan, savings),
        map=m.svg,
        legend=m.legend,
        runs_table=_runs_table(plan),
        load_chart=_load_chart(plan),
        villages=_villages_table(plan, villages),
        unassigned=_unassigned_section(plan.unassigned),
        run_details=_run_details(plan),
        run_details_px=_run_details_px(plan),
        sheets=_sheets(plan),
        footer=footer,
    )


def roads_from_network(
    network: _HasGraph, *, tolerance_m: float = _SIMPLIFY_M
) -> tuple[list[list[LonLat]], list[str]]:
    """Background road lines and their classes from a road network.

    Two-way roads appear once although the graph has an edge each way. Each line is
    simplified (tolerance about ``tolerance_m`` metres, in degrees of latitude) and its
    coordinates rounded to 5 decimals (about 1 m).

    Parameters
    ----------
    network : RoadNetwork
        Anything with a networkx ``graph`` whose edges carry ``geometry`` (a shapely
        LineString in lon/lat) and ``road_class``; edges without geometry are drawn
        straight between their nodes' ``lon``/``lat`` (else ``x``/``y``).
    tolerance_m : float, default 20
        Simplification tolerance in metres.

    Returns
    -------
    tuple of (list of lines, list of str)
        Lines of ``(lon, lat)`` and one road class per line.
    """
    graph = network.graph
    tol_deg = tolerance_m / _METRES_PER_DEGREE
    seen: set[tuple[Any, Any, int]] = set()
    lines: list[list[LonLat]] = []
    classes: list[str] = []
    for u, v, data in graph.edges(data=True):
        length = data.get("length_m", data.get("length", 0.0)) or 0.0
        key = (min(u, v, key=repr), max(u, v, key=repr), round(float(length)))
        if key in seen:
            continue
        seen.add(key)
        geom = data.get("geometry")
        if geom is None:
            nu, nv = graph.nodes[u], graph.nodes[v]
            try:
                # RoadNetwork nodes keep WGS84 in lon/lat (x/y are projected metres);
                # bare OSMnx-style graphs have lon/lat in x/y.
                coords = [
                    (float(n.get("lon", n.get("x"))), float(n.get("lat", n.get("y"))))
                    for n in (nu, nv)
                ]
            except (TypeError, ValueError):
                continue
        else:
            coords = [(float(x), float(y)) for x, y, *_ in shapely.simplify(geom, tol_deg).coords]
        lines.append([(round(x, 5), round(y, 5)) for x, y in coords])
        classes.append(str(data.get("road_class", "")))
    return lines, classes


def write_report(
    plan: Plan,
    out_dir: str | Path,
    *,
    network: _HasGraph | None = None,
    hub: LonLat | None = None,
    pickups_unassigned_lonlat: Mapping[str, LonLat] | None = None,
    filename: str = "report.html",
) -> Path:
    """Write ``report.html`` for a plan into ``out_dir`` (created if missing).

    Parameters
    ----------
    plan : Plan
        The plan to report on.
    out_dir : str or Path
        Directory for the report.
    network : RoadNetwork, optional
        Road network drawn as the map's background (see :func:`roads_from_network`).
    hub, pickups_unassigned_lonlat
        As for :func:`render_report`.
    filename : str, default "report.html"
        Name of the file written.

    Returns
    -------
    Path
        The path of the written file.
    """
    roads, classes = roads_from_network(network) if network is not None else ([], [])
    meta = network.graph.graph if network is not None else {}
    osm = meta.get("source") == "osm"  # routing.roads: label its places, credit OSM
    text = render_report(
        plan,
        roads=roads,
        road_classes=classes,
        hub=hub,
        pickups_unassigned_lonlat=pickups_unassigned_lonlat,
        places=[
            (p.name, (p.lon, p.lat))
            for p in meta.get("places", ())
            if osm and p.kind in ("city", "town", "village", "hamlet")
        ],
        attribution="© OpenStreetMap contributors, ODbL" if osm else "",
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    path.write_text(text, encoding="utf-8")
    return path


def write_map_png(
    plan: Plan,
    path: str | Path,
    *,
    network: _HasGraph | None = None,
    roads: Sequence[Sequence[LonLat]] | None = None,
    road_classes: Sequence[str] | None = None,
    hub: LonLat | None = None,
    pickups_unassigned_lonlat: Mapping[str, LonLat] | None = None,
    width_px: int = 1200,
    max_bytes: int = 500_000,
) -> Path:
    """Draw a static map of the plan to a PNG file with matplotlib (no display needed).

    Roads grey (thicker for higher classes), runs coloured as in the HTML report, the
    hub, pickups sized by parcels and coloured by RMB per parcel, unassigned pickups as
    red crosses; the title gives the total cost and RMB per parcel. The image is
    reduced to a palette of 256 colours or fewer when it would exceed ``max_bytes``.

    Parameters
    ----------
    plan : Plan
        The plan to draw.
    path : str or Path
        Where to write the PNG (its directory is created if missing).
    network : RoadNetwork, optional
        Background roads; ``roads``/``road_classes`` may be given instead.
    roads, road_classes, hub, pickups_unassigned_lonlat
        As for :func:`render_report`.
    width_px : int, default 1200
        Width of the image in pixels.
    max_bytes : int, default 500000
        Size above which the image is palettised (best effort: at least 32 colours).

    Returns
    -------
    Path
        The path written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from PIL import Image

    if network is not None and roads is None:
        roads, road_classes = roads_from_network(network)
    roads = roads or []
    unassigned_lonlat = dict(pickups_unassigned_lonlat or {})
    hubs = _hubs(plan, hub)
    stops = [(s, k) for k, r in enumerate(plan.runs) for s in r.stops]
    extent: list[LonLat] = [s.location for s, _ in stops] + [p for r in plan.runs for p in r.path]
    extent += list(hubs.values()) + [
        unassigned_lonlat[u.pickup_id] for u in plan.unassigned if u.pickup_id in unassigned_lonlat
    ]
    frame = _Frame.around(extent)
    x0, x1 = frame.west, frame.west + frame.width_m / frame.kx
    y1, y0 = frame.north, frame.north - frame.height_m / _METRES_PER_DEGREE
    lat_c = (y0 + y1) / 2
    aspect = 1 / math.cos(math.radians(lat_c))
    fig_w = width_px / 100
    fig_h = min(max(fig_w * (y1 - y0) * aspect / (x1 - x0) + 0.7, 3.0), fig_w * 1.4)

    fig = Figure(figsize=(fig_w, fig_h), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98 - 0.6 / fig_h))
    ax.set_facecolor("#fbfaf6")
    widths = {1: 1.8, 2: 1.2, 3: 0.7, 4: 0.45}
    tiered: dict[int, list[FloatArray]] = defaultdict(list)
    for i, road in enumerate(roads):
        cls = road_classes[i] if road_classes is not None and i < len(road_classes) else ""
        if len(road) >= 2:
            simple = _lonlat_simplified(frame, road, frame.width_m / width_px)
            tiered[_ROAD_TIERS.get(cls.lower(), 3)].append(simple)
    for tier in sorted(tiered, reverse=True):
        ax.add_collection(
            LineCollection(tiered[tier], colors="#b8b2a7", linewidths=widths[tier], zorder=1)
        )
    for k, run in enumerate(plan.runs):
        line = list(run.path) or [
            *([hubs[run.hub_id]] if run.hub_id in hubs else []),
            *(s.location for s in run.stops),
            *([hubs[run.hub_id]] if run.hub_id in hubs else []),
        ]
        if len(line) >= 2:
            arr = _lonlat_simplified(frame, line, frame.width_m / width_px)
            ax.plot(
                arr[:, 0],
                arr[:, 1],
                color=RUN_COLOURS[k % len(RUN_COLOURS)],
                lw=1.6,
                ls="-" if run.path else "--",
                zorder=2,
                solid_capstyle="round",
            )
    bins = _cost_bins(
        [s.cost_per_parcel_rmb for s, _ in stops if s.cost_per_parcel_rmb is not None]
    )
    if stops:
        max_parcels = max(s.parcels + s.delivery_parcels for s, _ in stops) or 1
        order = sorted(stops, key=lambda sk: -(sk[0].parcels + sk[0].delivery_parcels))
        xs = [s.lon for s, _ in order]
        ys = [s.lat for s, _ in order]
        sizes = [6 + 90 * (s.parcels + s.delivery_parcels) / max_parcels for s, _ in order]
        colours = [
            _NO_COST_COLOUR
            if s.cost_per_parcel_rmb is None
            else COST_COLOURS[int(_cost_class(s.cost_per_parcel_rmb, bins)[1:])]
            for s, _ in order
        ]
        ax.scatter(xs, ys, s=sizes, c=colours, edgecolors="#2d3339", linewidths=0.5, zorder=3)
        if bins:
            edges = [-1e9, *bins, 1e9]
            used = [COST_COLOURS[int(_cost_class(e, bins)[1:])] for e in [*bins, math.inf]]
            sm = _scalar_mappable(ListedColormap(used), BoundaryNorm(edges, len(used)))
            cax = ax.inset_axes((0.93, 0.04, 0.016, 0.28))
            cb = fig.colorbar(sm, cax=cax, ticks=bins)
            cax.yaxis.set_label_position("left")
            cb.ax.set_yticklabels([f"{b:.2f}" for b in bins], fontsize=8)
            cb.set_label("RMB per parcel", fontsize=8)
    crosses = [
        unassigned_lonlat[u.pickup_id] for u in plan.unassigned if u.pickup_id in unassigned_lonlat
    ]
    if crosses:
        arr = np.asarray(crosses)
        ax.scatter(arr[:, 0], arr[:, 1], marker="x", s=40, c="#e41a1c", linewidths=2, zorder=4)
    for lon, lat in hubs.values():
        ax.scatter(
            [lon],
            [lat],
            marker="s",
            s=90,
            c="#102a43",
            edgecolors="white",
            linewidths=1.5,
            zorder=5,
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#d9e2ec")
    s = plan.summary
    ax.set_title(
        f"{plan.name} — RMB {_rmb(s.total_cost_rmb)} · RMB {_rmb(s.cost_per_parcel_rmb)} per "
        "parcel · "
        f"{s.runs} runs · {s.parcels:,} parcels · {s.distance_km:,.0f} km",
        fontsize=11,
        loc="left",
    )
    handles = [
        Line2D([], [], marker="s", ls="", color="#102a43", label="hub"),
        Line2D([], [], color=RUN_COLOURS[0], label="run (colour per run)"),
    ]
    if crosses:
        handles.append(Line2D([], [], marker="x", ls="", color="#e41a1c", label="not collected"))
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)

    buf = io.BytesIO()
    with warnings.catch_warnings():
        # A plan or village name in Chinese on a machine without a CJK font must not
        # stop the map from being written; the glyphs show as boxes instead.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(
            buf, format="png", dpi=100, facecolor="white", bbox_inches="tight", pad_inches=0.08
        )
    data = buf.getvalue()
    n_colours = 256
    while len(data) > max_bytes and n_colours >= 32:
        # Fewer palette colours until it fits: antialiased lines survive 64 colours well.
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=n_colours)
        small = io.BytesIO()
        img.save(small, format="PNG", optimize=True)
        data = small.getvalue()
        n_colours //= 2
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def _scalar_mappable(cmap: Any, norm: Any) -> Any:
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(norm=norm, cmap=cmap)
    sm.set_array([])
    return sm


# --------------------------------------------------------------------------- demo data


@dataclass(frozen=True)
class DemoPlan:
    """A synthetic plan with what the report needs beside it."""

    plan: Plan
    hub: LonLat
    unassigned_lonlat: dict[str, LonLat]
    roads: list[list[LonLat]]
    road_classes: list[str]


_DEMO_TOWNSHIPS = (
    "Gasa",
    "Mosha",
    "Shuitang",
    "Yaojie",
    "Zhelong",
    "Jianxing",
    "Pingzhang",
    "Yangwu",
)
_DEMO_HUB: LonLat = (101.9887, 24.0729)


def _wiggly(
    a: LonLat, b: LonLat, rng: random.Random, *, spacing_m: float, detour: float
) -> list[LonLat]:
    """A mountain-road-like line from ``a`` to ``b`` with a vertex every ``spacing_m``."""
    kx = _METRES_PER_DEGREE * math.cos(math.radians(a[1]))
    dx, dy = (b[0] - a[0]) * kx, (b[1] - a[1]) * _METRES_PER_DEGREE
    dist = math.hypot(dx, dy)
    n = max(2, int(dist * detour / spacing_m))
    t = np.linspace(0.0, 1.0, n)
    amp = min(dist * (detour - 1) * 0.3, 3_000.0)
    off = np.zeros(n)
    for octave in range(4):  # meanders: slow wide bends plus quicker small ones
        freq = rng.uniform(1.0, 2.5) * 2**octave * (1 + dist / 40_000)
        off += amp / 2.2**octave * np.sin(np.pi * t * freq + rng.uniform(0, 6.28))
    off *= np.sin(np.pi * t)  # pinned at both ends
    nx, ny = (-dy / dist, dx / dist) if dist > 0 else (0.0, 0.0)
    xs = a[0] + (dx * t + nx * off) / kx
    ys = a[1] + (dy * t + ny * off) / _METRES_PER_DEGREE
    return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _rounded(line: Sequence[LonLat]) -> tuple[LonLat, ...]:
    rows = np.round(_as_array(line), 5).tolist()
    return tuple((x, y) for x, y in rows)


def demo_plan(
    n_runs: int = 3,
    stops_per_run: int = 5,
    *,
    seed: int = 0,
    n_unassigned: int = 2,
    bbox: tuple[float, float, float, float] = (101.3, 23.6, 102.3, 24.4),
    hub: LonLat = _DEMO_HUB,
    vertex_spacing_m: float = 25.0,
    with_paths: bool = True,
    extra_roads: int = 40,
) -> DemoPlan:
    """Build a random but valid plan over the Xinping area, for demos, tests and benchmarks.

    Stops of each run lie in a cluster; paths are wiggly "mountain roads" with a vertex
    every ``vertex_spacing_m`` metres (like OpenStreetMap geometry); costs are split over
    stops in proportion to parcels so that stop, run, village and plan totals agree.

    Parameters
    ----------
    n_runs, stops_per_run : int
        Size of the plan (``n_runs * stops_per_run`` pickups are served).
    seed : int, default 0
        Seed of the private random generator.
    n_unassigned : int, default 2
        Pickups left unassigned, with positions in ``unassigned_lonlat``.
    bbox : (west, south, east, north)
        Area in WGS84 degrees; the default is Xinping county.
    hub : (lon, lat)
        The hub; the default is the county seat.
    vertex_spacing_m : float, default 25
        Distance between path vertices.
    with_paths : bool, default True
        False leaves every run's ``path`` empty.
    extra_roads : int, default 40
        Background roads beside the run paths.

    Returns
    -------
    DemoPlan
        The plan, its hub, the unassigned pickups' positions and background roads.
    """
    rng = random.Random(seed)
    west, south, east, north = bbox
    runs: list[Run] = []
    roads: list[list[LonLat]] = []
    classes: list[str] = []
    serial = 0
    village_costs: dict[str, list[float]] = {}
    vehicle, run_no, prev_end = "van-0", 1, 0
    for k in range(n_runs):
        if k % 3 == 2:  # every third run is a second trip of the previous vehicle
            run_no, start = 2, prev_end + 1800
        else:
            vehicle, run_no = f"van-{k - k // 3 + 1}", 1
            start = 7 * 3600 + 300 * rng.randint(0, 6)
        cx, cy = rng.uniform(west, east), rng.uniform(south, north)
        spread = rng.uniform(0.03, 0.09)
        pts: list[LonLat] = []
        while len(pts) < stops_per_run:  # a cluster, redrawn where it leaves the area
            p = (cx + rng.gauss(0, spread), cy + rng.gauss(0, spread))
            if west <= p[0] <= east and south <= p[1] <= north:
                pts.append(p)
        pts.sort(key=lambda p: math.atan2(p[1] - cy, p[0] - cx))  # a loop round the cluster
        legs = [hub, *pts, hub]
        path: list[LonLat] = []
        leg_m: list[float] = []
        for a, b in itertools.pairwise(legs):
            seg = _wiggly(a, b, rng, spacing_m=vertex_spacing_m, detour=1.35)
            leg_m.append(float(shapely.length(shapely.linestrings(_Frame.around([a]).xy(seg)))))
            path += seg if not path else seg[1:]
            roads.append(seg)
            classes.append("county" if a == hub or b == hub else "village")
        distance = round(sum(leg_m))
        speed_mps = 38 / 3.6
        parcels = [rng.randint(3, 80) for _ in pts]
        drops = [rng.choice((0, 0, 0, rng.randint(1, 12))) for _ in pts]
        fixed, per_km, per_h = 80.0, 2.35, 35.0
        t = start
        clock: list[tuple[int, int, int, int]] = []
        for i in range(len(pts)):
            t += round(leg_m[i] / speed_mps)
            service = round(60 * (10 + 0.2 * (parcels[i] + drops[i])))
            wait = rng.choice((0, 0, 0, 600))
            clock.append((t, t + wait + service, wait, service))
            t += wait + service
        end = t + round(leg_m[-1] / speed_mps)
        prev_end = end
        cost = fixed + per_km * distance / 1000 + per_h * (end - start) / 3600
        total_parcels = sum(parcels)
        load = sum(drops)
        stops: list[Stop] = []
        dist_so_far = 0.0
        for i, (lon, lat) in enumerate(pts):
            serial += 1
            dist_so_far += leg_m[i]
            load += parcels[i] - drops[i]
            share = cost * parcels[i] / total_parcels
            village = f"{_DEMO_TOWNSHIPS[k % len(_DEMO_TOWNSHIPS)]}-{i % 4 + 1}"
            village_costs.setdefault(village, [0.0, 0.0, 0.0])
            vc = village_costs[village]
            vc[0] += 1
            vc[1] += parcels[i]
            vc[2] += share
            arr, dep, wait, service = clock[i]
            stops.append(
                Stop(
                    pickup_id=f"P{serial:04d}",
                    village=village,
                    lon=round(lon, 5),
                    lat=round(lat, 5),
                    location=(round(lon, 5), round(lat, 5)),
                    arrival=arr,
                    arrival_time=format_clock(arr),
                    departure=dep,
                    departure_time=format_clock(dep),
                    waiting_time=wait,
                    service=service,
                    parcels=parcels[i],
                    weight_kg=parcels[i] * 4.5,
                    delivery_parcels=drops[i],
                    delivery_weight_kg=drops[i] * 1.2,
                    load_parcels=load,
                    load_kg=load * 4.5,
                    distance=round(dist_so_far),
                    cost_rmb=round(share, 2),
                    cost_per_parcel_rmb=round(share / parcels[i], 4),
                    contact=f"138{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.7 else "",
                )
            )
        runs.append(
            Run(
                vehicle=vehicle,
                vehicle_type="van-1.5t",
                run=run_no,
                hub_id="xinping",
                start=start,
                start_time=format_clock(start),
                end=end,
                end_time=format_clock(end),
                distance=distance,
                duration=end - start,
                distance_km=round(distance / 1000, 2),
                duration_h=round((end - start) / 3600, 2),
                parcels=total_parcels,
                weight_kg=total_parcels * 4.5,
                delivery_parcels=sum(drops),
                cost_rmb=round(sum(s.cost_rmb for s in stops), 2),
                fixed_cost_rmb=fixed,
                distance_cost_rmb=round(per_km * distance / 1000, 2),
                time_cost_rmb=round(per_h * (end - start) / 3600, 2),
                stops=tuple(stops),
                path=_rounded(path) if with_paths else (),
            )
        )
    for _ in range(extra_roads):
        a = (rng.uniform(west, east), rng.uniform(south, north))
        b = (a[0] + rng.gauss(0, 0.15), a[1] + rng.gauss(0, 0.15))
        roads.append(_wiggly(a, b, rng, spacing_m=60, detour=1.3))
        classes.append(rng.choice(("county", "village", "track", "provincial")))
    roads.append(_wiggly((west, north - 0.1), (east, south + 0.25), rng, spacing_m=100, detour=1.1))
    classes.append("expressway")
    unassigned_lonlat: dict[str, LonLat] = {}
    unassigned: list[Unassigned] = []
    reasons = list(UnassignedReason)
    for j in range(n_unassigned):
        pid = f"U{j + 1:03d}"
        unassigned_lonlat[pid] = (
            round(rng.uniform(west, east), 5),
            round(rng.uniform(south, north), 5),
        )
        unassigned.append(
            Unassigned(
                pickup_id=pid,
                village=f"Remote-{j + 1}",
                reason=reasons[j % len(reasons)],
                detail="synthetic",
            )
        )
    all_stops = [s for r in runs for s in r.stops]
    total = round(sum(r.cost_rmb for r in runs), 2)
    parcels_total = sum(s.parcels for s in all_stops)
    summary = Summary(
        total_cost_rmb=total,
        cost_per_parcel_rmb=round(total / parcels_total, 4) if parcels_total else None,
        parcels=parcels_total,
        delivery_parcels=sum(s.delivery_parcels for s in all_stops),
        weight_kg=sum(s.weight_kg for s in all_stops),
        distance_km=round(sum(r.distance_km for r in runs), 2),
        duration_h=round(sum(r.duration_h for r in runs), 2),
        runs=len(runs),
        vehicles=len({r.vehicle for r in runs}),
        unassigned=len(unassigned),
        pickups=len(all_stops) + len(unassigned),
        solver="synthetic",
    )
    villages = tuple(
        VillageCost(
            village=v,
            township=v.split("-")[0],
            pickups=int(n),
            parcels=int(p),
            cost_rmb=round(c, 2),
            cost_per_parcel_rmb=round(c / p, 4) if p else None,
            baseline_direct_per_parcel_rmb=round(c / p + 0.3, 4) if p else None,
            saving_per_parcel_rmb=0.3 if p else None,
        )
        for v, (n, p, c) in village_costs.items()
    )
    plan = Plan(
        hubs=(Hub(id="xinping", name="Xinping county hub", lon=hub[0], lat=hub[1]),),
        name=f"Xinping demo · {n_runs * stops_per_run} pickups",
        summary=summary,
        runs=tuple(runs),
        unassigned=tuple(unassigned),
        villages=villages,
        baselines={
            "direct": {"cost_per_parcel_rmb": round((summary.cost_per_parcel_rmb or 0) + 0.3, 4)}
        },
    )
    return DemoPlan(plan, hub, unassigned_lonlat, roads, classes)
