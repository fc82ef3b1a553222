"""Join hubs and pickups to the nearest point on a road, not only to a junction.

After chains are merged an edge can be kilometres long, so joining a pickup to the
nearer end of its road could send the van past it and back. Instead the road is cut
where the point's perpendicular meets it: a new node sits there and the edge (and its
twin in the other direction) is split in two, length, time and climbs shared by the
share of the road's length on each side. The copy of the network is made once per
set of points; node ids of the original stay valid.

Only roads in the largest strongly connected part of the network are candidates, so a
point is never joined to a fragment the vehicle could not leave (a one-way stub, a
piece cut off by a weight limit it may not pass).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from shapely.ops import substring

from routing.errors import NetworkError, Problem
from routing.network import MAX_SNAP_M, FloatArray, Node, RoadNetwork, SnapResult
from routing.roads.elevation import ElevationModel, climbs
from routing.roads.graph import (
    RoadEdges,
    edges_of,
    empty_geometry_array,
    node_positions,
    project,
)
from routing.roads.graph import to_network as _to_network
from routing.roads.vehicle import vehicle_times

#: A point this close (metres) to a road's end joins that end's node.
END_TOLERANCE_M: Final = 1.0


@dataclass(frozen=True)
class _Cut:
    edge: int
    at_m: float
    node: Node


def _candidates(edges: RoadEdges, n: int, avoid_road_classes: Sequence[str]) -> np.ndarray:
    """Mask of usable edges inside the largest strongly connected part of the usable ones."""
    usable = ~np.isin(edges.road_class.astype(str), list(avoid_road_classes))
    src, dst = edges.src[usable], edges.dst[usable]
    graph = coo_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(label, minlength=label.max() + 1)
    sizes[np.setdiff1d(np.arange(len(sizes)), label[src])] = 0
    main = int(np.argmax(sizes))
    mask: np.ndarray = usable & (label[edges.src] == main) & (label[edges.dst] == main)
    return mask


def _twins(edges: RoadEdges) -> dict[int, int]:
    """Edge -> the edge along the same road in the other direction (reversed geometry)."""
    by_ends: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (u, v) in enumerate(zip(edges.src.tolist(), edges.dst.tolist(), strict=True)):
        by_ends[(u, v)].append(i)
    out: dict[int, int] = {}
    for (u, v), items in by_ends.items():
        for i in items:
            line = shapely.get_coordinates(edges.geometry[i])
            for j in by_ends.get((v, u), []):
                other = shapely.get_coordinates(edges.geometry[j])
                if other.shape == line.shape and np.allclose(other[::-1], line, atol=1e-9):
                    out[i] = j
                    break
    return out


@dataclass(frozen=True, eq=False)
class Located:
    """Where each point meets its nearest usable road (the network is not changed).

    Per point: ``edge`` (index into ``edges``), ``at_m`` (metres along it from its
    start), ``length_m`` (its length) and ``snap_m`` (metres from the point to it).
    """

    edges: RoadEdges
    twins: dict[int, int]
    node_lonlat: FloatArray
    node_xy: FloatArray
    lines_xy: npt.NDArray[np.object_]
    edge: npt.NDArray[np.int64]
    at_m: FloatArray
    length_m: FloatArray
    snap_m: FloatArray


def locate(
    network: RoadNetwork,
    points: Sequence[tuple[str, float, float]],
    *,
    max_snap_m: float = MAX_SNAP_M,
    kind: str = "location",
    avoid_road_classes: Sequence[str] = (),
) -> Located:
    """Find each point's nearest usable road and the position along it.

    Raises
    ------
    NetworkError
        Listing every point farther than ``max_snap_m`` from every usable road.
    """
    edges = edges_of(network)
    lonlat, node_xy = node_positions(network)
    usable = (
        np.flatnonzero(_candidates(edges, len(lonlat), avoid_road_classes))
        if len(edges)
        else np.zeros(0, np.int64)
    )
    if usable.size == 0:
        raise NetworkError(Problem("road network", "", "has no open roads to snap to"))
    to_xy = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    lines_xy = np.empty(len(edges), dtype=object)
    lines_xy[usable] = shapely.transform(
        edges.geometry[usable], lambda c: np.column_stack(to_xy.transform(c[:, 0], c[:, 1]))
    )
    px, py = to_xy.transform([p[1] for p in points], [p[2] for p in points])
    where = shapely.points(np.column_stack([px, py]))
    (_, nearest), dist = shapely.STRtree(lines_xy[usable]).query_nearest(
        where, return_distance=True, all_matches=False
    )
    problems = [
        Problem(
            f"{kind} {pid!r}",
            "lon/lat",
            f"{d / 1000:.1f} km from the nearest road (limit {max_snap_m / 1000:.1f} km); "
            "check its coordinates",
        )
        for (pid, _, _), d in zip(points, dist, strict=True)
        if d > max_snap_m
    ]
    if problems:
        raise NetworkError(problems)
    edge = usable[nearest].astype(np.int64)
    return Located(
        edges=edges,
        twins=_twins(edges),
        node_lonlat=lonlat,
        node_xy=node_xy,
        lines_xy=lines_xy,
        edge=edge,
        at_m=np.asarray(shapely.line_locate_point(lines_xy[edge], where), dtype=np.float64),
        length_m=np.asarray(shapely.length(lines_xy[edge]), dtype=np.float64),
        snap_m=np.asarray(dist, dtype=np.float64),
    )


def with_points(
    network: RoadNetwork,
    points: Sequence[tuple[str, float, float]],
    *,
    max_snap_m: float = MAX_SNAP_M,
    kind: str = "location",
    avoid_road_classes: Sequence[str] = (),
    found: Located | None = None,
) -> tuple[RoadNetwork, SnapResult]:
    """A copy of an OSM network with a node at each point's nearest road position.

    Parameters
    ----------
    network
        An OSM network (or a vehicle's view of one).
    points
        ``(id, lon, lat)`` in WGS84.
    max_snap_m
        Farthest a point may be from the road, metres.
    kind
        What the points are, for messages.
    avoid_road_classes
        Road classes the vehicle may not use: never joined to.
    found
        The points already located on this network (saves locating them again).

    Returns
    -------
    (RoadNetwork, SnapResult)
        The split network and, per point, its node and the metres from the point to
        the road.

    Raises
    ------
    NetworkError
        Listing every point farther than ``max_snap_m`` from every usable road.
    """
    if found is None:
        found = locate(
            network, points, max_snap_m=max_snap_m, kind=kind, avoid_road_classes=avoid_road_classes
        )
    edges, lonlat, node_xy, twins = found.edges, found.node_lonlat, found.node_xy, found.twins
    to_xy = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    to_ll = Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    cuts: dict[int, list[_Cut]] = defaultdict(list)
    new_xy: list[tuple[float, float]] = []
    point_node: list[Node] = []
    n0 = len(lonlat)
    for e_np, a_m, total_m in zip(found.edge, found.at_m, found.length_m, strict=True):
        e = int(e_np)
        if a_m <= END_TOLERANCE_M:
            point_node.append(int(edges.src[e]))
            continue
        if a_m >= total_m - END_TOLERANCE_M:
            point_node.append(int(edges.dst[e]))
            continue
        same = next((c for c in cuts[e] if abs(c.at_m - a_m) < END_TOLERANCE_M), None)
        if same is not None:
            point_node.append(same.node)
            continue
        node = n0 + len(new_xy)
        hit = shapely.line_interpolate_point(found.lines_xy[e], a_m)
        new_xy.append((hit.x, hit.y))
        cuts[e].append(_Cut(e, float(a_m), node))
        if e in twins:
            cuts[twins[e]].append(_Cut(twins[e], float(total_m - a_m), node))
        point_node.append(node)
    extra = np.array(new_xy, dtype=np.float64).reshape(-1, 2)
    extra_ll = np.column_stack(to_ll.transform(extra[:, 0], extra[:, 1])) if len(extra) else extra
    split = _split_edges(edges, cuts, to_xy, to_ll)
    dem = network.graph.graph.get("elevation_model")
    if dem is not None and len(split) > len(edges) - len(cuts):
        split = _measure_pieces(split, len(edges) - len(cuts), dem, network)
    all_ll = np.vstack([lonlat, extra_ll])
    all_xy = np.vstack([node_xy, extra])
    meta = dict(network.graph.graph)
    meta.pop("crs", None)
    result = _to_network(all_ll, split, crs=network.crs, meta=meta, node_xy=all_xy)
    return result, SnapResult(tuple(point_node), tuple(float(d) for d in found.snap_m))


def _split_edges(
    edges: RoadEdges,
    cuts: dict[int, list[_Cut]],
    to_xy: Transformer,
    to_ll: Transformer,
) -> RoadEdges:
    """Replace each cut edge by its pieces; values shared by length."""
    keep = np.ones(len(edges), dtype=bool)
    pieces: list[tuple[int, int, int, float, shapely.LineString]] = []
    for e, items in cuts.items():
        keep[e] = False
        geom = edges.geometry[e]
        line = shapely.transform(geom, lambda c: np.column_stack(to_xy.transform(c[:, 0], c[:, 1])))
        total = float(line.length)
        stops = sorted(items, key=lambda c: c.at_m)
        bounds = [
            (0.0, int(edges.src[e])),
            *[(c.at_m, c.node) for c in stops],
            (total, int(edges.dst[e])),
        ]
        for (a, u), (b, v) in itertools.pairwise(bounds):
            part = substring(line, a, b)
            part_ll = shapely.transform(
                part, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1]))
            )
            pieces.append((e, u, v, (b - a) / total if total > 0 else 0.0, part_ll))
    base = edges.take(keep)
    if not pieces:
        return base
    origin = np.array([p[0] for p in pieces], dtype=np.int64)
    share = np.array([p[3] for p in pieces], dtype=np.float64)
    parts = edges.take(origin)

    def scaled(values: FloatArray) -> FloatArray:
        return values * share

    parts = RoadEdges(
        src=np.array([p[1] for p in pieces], dtype=np.int64),
        dst=np.array([p[2] for p in pieces], dtype=np.int64),
        geometry=empty_geometry_array([p[4] for p in pieces]),
        length_m=scaled(parts.length_m),
        base_time_s=scaled(parts.base_time_s),
        travel_time_s=scaled(parts.travel_time_s),
        road_class=parts.road_class,
        highway=parts.highway,
        road_id=parts.road_id,
        name=parts.name,
        unpaved=parts.unpaved,
        max_weight_t=parts.max_weight_t,
        max_axle_load_t=parts.max_axle_load_t,
        max_height_m=parts.max_height_m,
        max_width_m=parts.max_width_m,
        max_length_m=parts.max_length_m,
        ascent_m=scaled(parts.ascent_m),
        descent_m=scaled(parts.descent_m),
        steep_descent_m=scaled(parts.steep_descent_m),
    )
    return RoadEdges(
        **{
            name: np.concatenate([getattr(base, name), getattr(parts, name)])
            for name in base.__dataclass_fields__
        }
    )


def _measure_pieces(
    edges: RoadEdges, first_piece: int, dem: ElevationModel, network: RoadNetwork
) -> RoadEdges:
    """Climbs of the cut pieces from the elevation tiles, not shared by length.

    Shares by length would break a closed run's balance of ascent and descent
    wherever the grade is not uniform along the cut road.
    """
    pieces = edges.geometry[first_piece:]
    coords, part = shapely.get_coordinates(pieces, return_index=True)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(part, minlength=len(pieces)))])
    xy = project(coords, network.crs)
    up, down, steep, _ = climbs(coords, xy, offsets.astype(np.int64), dem)
    ascent, descent, steep_descent = (
        np.concatenate([values[:first_piece], new])
        for values, new in (
            (edges.ascent_m, up),
            (edges.descent_m, down),
            (edges.steep_descent_m, steep),
        )
    )
    edges = replace(edges, ascent_m=ascent, descent_m=descent, steep_descent_m=steep_descent)
    climb = network.graph.graph.get("climb_s_per_100m")
    times = edges.base_time_s if climb is None else vehicle_times(edges, float(climb))
    return edges.with_times(
        np.concatenate([edges.travel_time_s[:first_piece], times[first_piece:]])
    )
