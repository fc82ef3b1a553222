"""Map geometry of the report: a metric frame, line simplification and road lines.

The map is drawn in an equirectangular projection scaled by ``cos(lat)``, in whole
metres from the top-left corner of the map's extent (which keeps a precision of about
1 m, as five decimals of a degree would).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely

LonLat = tuple[float, float]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_METRES_PER_DEGREE = 111_320.0
_SIMPLIFY_M = 20.0
_MAP_PX = 1100.0
"""Nominal on-screen width of the map, used to size markers in map units."""
_ROAD_CELL_PX = 128.0
"""Side of the grid cells background roads are grouped by, in nominal map pixels."""
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


# --------------------------------------------------------------------------- roads


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
