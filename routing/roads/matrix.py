"""Travel matrices between points on roads, without adding the points to the graph.

Each point sits part-way along a road (``routing.roads.snap.locate``). Rather than
cutting the road at every point (which grows the graph by a node per point and makes
every Dijkstra longer), each point is joined to the junctions at its road's ends: it
leaves by the end it drives towards (either end of a two-way road) and is reached
from the end it is driven to from, at the part of the road's time, length and climbs
driven. One scipy Dijkstra runs on the contracted junction graph from each distinct
junction the points leave by, and a pair's time is the best of at most four
combinations. Two points on the same road may also drive straight along it. Lengths,
ascent and descent are summed along the same fastest paths
(``routing.costs.tree_sums``).

Shares of a road's time, length and climbs are taken in proportion to the length
driven on it (a road's grade and speed are taken as even along it; speeds are even
by construction, since chains are merged only where the rules, speed included, agree).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from routing.costs import tree_sums
from routing.matrix import TravelMatrix
from routing.network import FloatArray, IntArray, ProfileGraph, RoadNetwork, profile_graph
from routing.roads.elevation import climbs
from routing.roads.snap import END_TOLERANCE_M, Located
from routing.roads.vehicle import DESCENT_SHARE
from routing.units import UNREACHABLE


@dataclass(frozen=True)
class PointMatrices:
    """Travel matrix plus metres climbed and descended along each fastest path."""

    matrix: TravelMatrix
    ascent_m: FloatArray
    descent_m: FloatArray


def measured_climbs(
    network: RoadNetwork, lines_xy: Iterable[object], start_m: FloatArray, end_m: FloatArray
) -> FloatArray | None:
    """Climbs along each line between two distances from its start, ``(P, 4)``.

    Columns: ascent, descent and steep descent in the line's direction, and steep
    descent the other way (the steep ascent).

    Measured on the network's elevation tiles (a share by length would misplace the
    climb of a road that rises then falls); ``None`` when the network has none.
    """
    dem = network.graph.graph.get("elevation_model")
    if dem is None:
        return None
    from shapely.ops import substring

    to_ll = Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    parts = [
        substring(line, float(a), float(b))
        for line, a, b in zip(lines_xy, start_m.tolist(), end_m.tolist(), strict=True)
    ]
    result = np.zeros((len(parts), 4))
    if not parts:
        return result
    xy, part = shapely.get_coordinates(parts, return_index=True)
    counts = np.bincount(part, minlength=len(parts))
    keep = np.flatnonzero(counts >= 2)  # a point at a road's end: nothing to climb
    if keep.size:
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        sel = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in keep])
        lonlat = np.column_stack(to_ll.transform(xy[sel, 0], xy[sel, 1]))
        sub_offsets = np.concatenate([[0], np.cumsum(counts[keep])]).astype(np.int64)
        up, down, steep, _ = climbs(lonlat, xy[sel], sub_offsets, dem)
        # The same lines backwards (all vertices reversed: the lines come out reversed).
        back = climbs(lonlat[::-1], xy[sel][::-1], sub_offsets[-1] - sub_offsets[::-1], dem)
        result[keep, 0], result[keep, 1], result[keep, 2] = up, down, steep
        result[keep, 3] = back[2][::-1]
    return result


@dataclass(frozen=True, eq=False)
class Joined:
    """Points joined to their roads: where each can leave and be reached, at what cost.

    ``exit_node``/``entry_node`` are ``(P, 2)`` (along the road, then against it; -1
    where the road is one-way); ``exit_values``/``entry_values`` are ``(P, 2, 4)``:
    seconds, metres, ascent, descent of the part of the road driven.
    """

    found: Located
    exit_node: IntArray
    entry_node: IntArray
    exit_values: FloatArray
    entry_values: FloatArray


def join_points(network: RoadNetwork, found: Located) -> Joined:
    """Join located points to their roads (see :class:`Joined`).

    Seconds are the share of the road's flat time plus the vehicle's climbing time
    for the part's own climbs.
    """
    e = found.edges
    p = len(found.edge)
    f = np.where(found.length_m > 0, found.at_m / np.maximum(found.length_m, 1e-9), 0.0)
    f = np.clip(f, 0.0, 1.0)
    twin = np.array([found.twins.get(int(i), -1) for i in found.edge], dtype=np.int64)
    climb = network.graph.graph.get("climb_s_per_100m")
    per_m = 0.0 if climb is None else float(climb) / 100.0
    fwd = found.edge
    lines = found.lines_xy[fwd]
    first = measured_climbs(network, lines, np.zeros(p), found.at_m)  # start -> point
    second = measured_climbs(network, lines, found.at_m, found.length_m)  # point -> end
    tw = np.where(twin >= 0, twin, fwd)
    totals = np.column_stack(
        [e.ascent_m[fwd], e.descent_m[fwd], e.steep_descent_m[fwd], e.steep_descent_m[tw]]
    )
    a_up, a_down, a_steep, a_steep_back = (totals * f[:, None] if first is None else first).T
    b_up, b_down, b_steep, b_steep_back = (
        totals * (1 - f)[:, None] if second is None else second
    ).T

    def part(
        edge: IntArray, share: FloatArray, up: FloatArray, down: FloatArray, steep: FloatArray
    ) -> FloatArray:
        seconds = e.base_time_s[edge] * share + per_m * (up + DESCENT_SHARE * steep)
        out: FloatArray = np.column_stack([seconds, e.length_m[edge] * share, up, down])
        return out

    exit_node = np.full((p, 2), -1, dtype=np.int64)
    entry_node = np.full((p, 2), -1, dtype=np.int64)
    exit_val = np.zeros((p, 2, 4))
    entry_val = np.zeros((p, 2, 4))
    exit_node[:, 0] = e.dst[fwd]
    exit_val[:, 0] = part(fwd, 1 - f, b_up, b_down, b_steep)
    entry_node[:, 0] = e.src[fwd]
    entry_val[:, 0] = part(fwd, f, a_up, a_down, a_steep)
    has = twin >= 0
    back = twin[has]
    # The twin runs end -> start: it leaves the point towards the start (the first
    # part, reversed) and reaches it from the end (the second part, reversed).
    exit_node[has, 1] = e.dst[back]
    exit_val[has, 1] = part(back, f[has], a_down[has], a_up[has], a_steep_back[has])
    entry_node[has, 1] = e.src[back]
    entry_val[has, 1] = part(back, 1 - f[has], b_down[has], b_up[has], b_steep_back[has])
    # A point at a road's end is at that junction: it may leave by any road from it.
    for at_end, node in (
        (found.at_m <= END_TOLERANCE_M, e.src[fwd]),
        (found.at_m >= found.length_m - END_TOLERANCE_M, e.dst[fwd]),
    ):
        exit_node[at_end] = entry_node[at_end] = -1
        exit_node[at_end, 0] = entry_node[at_end, 0] = node[at_end]
        exit_val[at_end] = entry_val[at_end] = 0.0
    return Joined(found, exit_node, entry_node, exit_val, entry_val)


def _edge_values(network: RoadNetwork, graph: ProfileGraph, avoid: Sequence[str]) -> FloatArray:
    """Metres, ascent and descent of each profile-graph edge (parallel to its CSR data)."""
    from routing.roads.graph import edges_of

    e = edges_of(network)
    n = len(graph.nodes)
    src = np.array([graph.index[int(u)] for u in e.src], dtype=np.int64)
    dst = np.array([graph.index[int(v)] for v in e.dst], dtype=np.int64)
    keep = ~np.isin(e.road_class.astype(str), list(avoid)) & (src != dst)
    order = np.lexsort((e.length_m[keep], e.travel_time_s[keep], dst[keep], src[keep]))
    code = src[keep][order] * n + dst[keep][order]
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    if not np.array_equal(code[first], graph.edge_code):
        raise RuntimeError("edge values do not line up with the profile graph's edges")
    chosen = order[first]
    out: FloatArray = np.column_stack(
        [e.length_m[keep][chosen], e.ascent_m[keep][chosen], e.descent_m[keep][chosen]]
    )
    return out


def point_matrices(
    network: RoadNetwork,
    joined: Joined,
    ids: Sequence[str],
    *,
    avoid_road_classes: Sequence[str] = (),
    profile: str = "all",
) -> PointMatrices:
    """Fastest-path seconds, metres and climbs between located points.

    Parameters
    ----------
    network
        The network the points were located on (a vehicle's view).
    joined
        From :func:`join_points` on points located with the same ``avoid_road_classes``.
    ids
        One id per point.
    avoid_road_classes
        Classes the vehicle may not use.
    profile
        Name stored on the matrix.
    """
    best_t, best_v = _combine(network, joined, avoid_road_classes, with_values=True)
    p = len(ids)
    _along_the_same_road(network, joined.found, best_t, best_v)
    np.fill_diagonal(best_t, 0.0)
    best_v[np.arange(p), np.arange(p)] = 0.0
    unreachable = ~np.isfinite(best_t)
    duration = np.where(unreachable, UNREACHABLE, np.rint(np.where(unreachable, 0, best_t)))
    distance = np.where(unreachable, UNREACHABLE, np.rint(best_v[..., 0]))
    return PointMatrices(
        matrix=TravelMatrix(
            ids=tuple(ids),
            distance_m=distance.astype(np.int64),
            duration_s=duration.astype(np.int64),
            profile=profile,
        ),
        ascent_m=best_v[..., 1],
        descent_m=best_v[..., 2],
    )


def point_durations(
    network: RoadNetwork, joined: Joined, *, avoid_road_classes: Sequence[str] = ()
) -> FloatArray:
    """Fastest-path seconds only (``inf`` where unreachable), without the path sums."""
    best_t, best_v = _combine(network, joined, avoid_road_classes, with_values=False)
    _along_the_same_road(network, joined.found, best_t, best_v)
    np.fill_diagonal(best_t, 0.0)
    return best_t


def _core(
    graph: ProfileGraph, values: FloatArray, needed: IntArray
) -> tuple[ProfileGraph, FloatArray, IntArray]:
    """The graph without dangling trees that no point needs, for faster Dijkstras.

    A dead end (one neighbour) that no point leaves or enters by lies on no fastest
    path between other junctions; removing it can make its neighbour a dead end, and
    so on. Returns the smaller graph, its edge values and each old row's new row (-1
    when removed).
    """
    n = len(graph.nodes)
    coo = graph.travel_time_s.tocoo()
    src, dst = coo.row.astype(np.int64), coo.col.astype(np.int64)
    pairs = np.unique(np.sort(np.column_stack([src, dst]), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    keep = np.ones(n, dtype=bool)
    wanted = np.zeros(n, dtype=bool)
    wanted[needed] = True
    while True:
        live = keep[pairs[:, 0]] & keep[pairs[:, 1]]
        degree = np.bincount(pairs[live].ravel(), minlength=n)
        leaves = keep & (degree <= 1) & ~wanted
        if not leaves.any():
            break
        keep &= ~leaves
    new_row = np.where(keep, np.cumsum(keep) - 1, -1)
    m = int(keep.sum())
    on = keep[src] & keep[dst]
    a, b = new_row[src[on]], new_row[dst[on]]
    csr = csr_array((coo.data[on], (a, b)), shape=(m, m))
    core = ProfileGraph(
        nodes=tuple(range(m)),
        index={i: i for i in range(m)},
        travel_time_s=csr,
        length_m=values[on, 0],
        edge_code=a * m + b,
        geometry=np.empty(0, dtype=object),
    )
    return core, values[on], new_row


def _combine(
    network: RoadNetwork, joined: Joined, avoid: Sequence[str], *, with_values: bool
) -> tuple[FloatArray, FloatArray]:
    """Seconds (and metres, ascent, descent) from each point to each point via junctions.

    One Dijkstra runs from each distinct junction a point can leave by (fewer than the
    points: neighbours share their roads' ends); a pair's time is the best of the (at
    most) two ways out of the first point's road and two ways into the second's.
    """
    graph = profile_graph(network, avoid_road_classes=avoid)
    exit_node, entry_node = joined.exit_node, joined.entry_node
    exit_val, entry_val = joined.exit_values, joined.entry_values
    p = len(exit_node)
    # Graph rows of the junctions; nodes are 0 .. n-1 in the networks read from OSM.
    index = np.fromiter((graph.index[int(v)] for v in graph.nodes), np.int64, len(graph.nodes))
    needed = np.unique(
        index[np.concatenate([exit_node[exit_node >= 0], entry_node[entry_node >= 0]])]
    )
    values = (
        _edge_values(network, graph, avoid) if with_values else np.zeros((len(graph.edge_code), 3))
    )
    core, core_values, new_row = _core(graph, values, needed)
    exit_core = np.where(exit_node >= 0, new_row[index[np.maximum(exit_node, 0)]], -1)
    entry_core = np.where(entry_node >= 0, new_row[index[np.maximum(entry_node, 0)]], -1)
    starts = np.unique(exit_core[exit_core >= 0])
    if with_values:
        time_s, pred = dijkstra(
            core.travel_time_s, directed=True, indices=starts, return_predecessors=True
        )
        sums = tree_sums(core, np.atleast_2d(pred), core_values, reverse=False)
        sums = np.pad(sums, ((0, 1), (0, 1), (0, 0)))
    else:
        time_s = dijkstra(core.travel_time_s, directed=True, indices=starts)
    # A last row and column of inf stand for "no road this way" (index -1).
    time_s = np.pad(np.atleast_2d(time_s), ((0, 1), (0, 1)), constant_values=np.inf)
    exit_row = np.where(exit_core >= 0, np.searchsorted(starts, exit_core), -1)
    entry_col = entry_core
    best_t = np.full((p, p), np.inf)
    best_v = np.zeros((p, p, 3))
    for sx in (0, 1):
        out = time_s[exit_row[:, sx]] + exit_val[:, sx, 0][:, None]
        for sy in (0, 1):
            t = out[:, entry_col[:, sy]] + entry_val[:, sy, 0][None, :]
            if not with_values:
                np.minimum(best_t, t, out=best_t)
                continue
            better = t < best_t
            best_t[better] = t[better]
            v = (
                sums[exit_row[:, sx]][:, entry_col[:, sy]]
                + exit_val[:, sx, None, 1:]
                + entry_val[None, :, sy, 1:]
            )
            best_v[better] = v[better]
    return best_t, best_v


def _along_the_same_road(
    network: RoadNetwork, found: Located, best_t: FloatArray, best_v: FloatArray
) -> None:
    """Two points on one road: driving straight along it may beat leaving it."""
    e = found.edges
    groups: dict[int, list[int]] = defaultdict(list)
    at_c: dict[int, float] = {}
    for k, (edge, at, length) in enumerate(
        zip(found.edge.tolist(), found.at_m.tolist(), found.length_m.tolist(), strict=True)
    ):
        twin = found.twins.get(edge, -1)
        if 0 <= twin < edge:  # describe the point on the lower-numbered direction
            edge, at = twin, length - at
        groups[edge].append(k)
        at_c[k] = at
    pairs = np.array(
        [(c, a, b) for c, members in groups.items() for a in members for b in members if a != b],
        dtype=np.int64,
    ).reshape(-1, 3)
    c, a, b = pairs.T
    at_along = np.array([at_c[k] for k in range(len(found.edge))])
    twin_of = np.array([found.twins.get(int(x), -1) for x in c], dtype=np.int64)
    forward = at_along[b] >= at_along[a]
    road = np.where(forward, c, twin_of)
    share = np.abs(at_along[b] - at_along[a]) / np.maximum(found.length_m[a], 1e-9)
    flat = e.base_time_s[road] * share
    # Climbing only adds time: pairs whose flat time already loses are dropped first.
    keep = (road >= 0) & (flat < best_t[a, b])
    c, a, b, road, share, flat, forward = (x[keep] for x in (c, a, b, road, share, flat, forward))
    if not len(c):
        return
    lo, hi = np.minimum(at_along[a], at_along[b]), np.maximum(at_along[a], at_along[b])
    measured = measured_climbs(network, found.lines_xy[c], lo, hi)
    if measured is None:
        up, down = e.ascent_m[road] * share, e.descent_m[road] * share
        steep = e.steep_descent_m[road] * share
    else:  # measured along the lower-numbered direction: swap going back
        up = np.where(forward, measured[:, 0], measured[:, 1])
        down = np.where(forward, measured[:, 1], measured[:, 0])
        steep = np.where(forward, measured[:, 2], measured[:, 3])
    climb = network.graph.graph.get("climb_s_per_100m")
    per_m = 0.0 if climb is None else float(climb) / 100.0
    t = flat + per_m * (up + DESCENT_SHARE * steep)
    better = t < best_t[a, b]
    a, b = a[better], b[better]
    best_t[a, b] = t[better]
    best_v[a, b] = np.column_stack([e.length_m[road] * share, up, down])[better]
