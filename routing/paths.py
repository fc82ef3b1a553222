"""Snapping points onto the road network and the roads driven between them."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra

from routing.errors import NetworkError, Problem
from routing.network import (
    _DIJKSTRA_CELLS,
    MAX_SNAP_M,
    ProfileGraph,
    RoadNetwork,
    SnapResult,
    profile_graph,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Node = int


# ---------------------------------------------------------------------------------
# Snapping and paths
# ---------------------------------------------------------------------------------


def snap_points(
    network: RoadNetwork,
    points: Sequence[tuple[str, float, float]],
    *,
    max_snap_m: float = MAX_SNAP_M,
    kind: str = "pickup",
) -> SnapResult:
    """Join each point to the road graph at a node.

    The nearest road (edge) is found with a shapely STRtree in metres, cached on the
    network; the point then joins at the nearer of that edge's two end nodes, because
    travel matrices run node to node and splitting edges per point would change the
    graph (and every cached array) for each set of points.

    Parameters
    ----------
    network : RoadNetwork
    points : sequence of (id, lon, lat)
        WGS84 degrees.
    max_snap_m : float, default 2000
        Farthest a point may lie from the nearest road, metres.
    kind : str, default "pickup"
        What the points are, for error messages (``pickup 'V17': ...``).

    Returns
    -------
    SnapResult

    Raises
    ------
    NetworkError
        Listing every point farther than ``max_snap_m`` from all roads, or with
        coordinates that are not lon/lat, or if the network has no roads.
    """
    if not points:
        return SnapResult((), ())
    problems: list[Problem] = []
    for pid, lon, lat in points:
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            problems.append(
                Problem(
                    f"{kind} {pid!r}", "lon/lat", f"({lon}, {lat}) is not a WGS84 lon/lat position"
                )
            )
    if problems:
        raise NetworkError(problems)
    table = network._edges
    if len(table.src) == 0:
        raise NetworkError(Problem("road network", "", "has no open roads to snap to"))
    lonlat = np.array([(lon, lat) for _, lon, lat in points], dtype=np.float64)
    xy = network._project_xy(lonlat)
    (_, edge), road_m = network._spatial_index.query_nearest(
        shapely.points(xy), return_distance=True, all_matches=False
    )
    for (pid, _, _), d in zip(points, road_m, strict=True):
        if d > max_snap_m:
            problems.append(
                Problem(
                    f"{kind} {pid!r}",
                    "lon/lat",
                    f"{d / 1000:.1f} km from the nearest road (limit {max_snap_m / 1000:.1f} km); "
                    "check its coordinates",
                )
            )
    if problems:
        raise NetworkError(problems)
    node_xy = table.node_xy
    tail, head = table.src[edge], table.dst[edge]
    d_tail = np.hypot(*(node_xy[tail] - xy).T)
    d_head = np.hypot(*(node_xy[head] - xy).T)
    pick = np.where(d_head < d_tail, head, tail)
    return SnapResult(
        nodes=tuple(table.nodes[i] for i in pick),
        snap_distance_m=tuple(float(d) for d in np.minimum(d_tail, d_head)),
    )


def shortest_path_trees(
    graph: ProfileGraph, sources: IntArray
) -> Iterable[tuple[IntArray, FloatArray, npt.NDArray[np.int32]]]:
    """Run scipy Dijkstra from CSR rows ``sources`` in memory-bounded blocks.

    Yields
    ------
    (block_sources, travel_time_s, predecessors)
        ``k x n`` arrays for each block of ``k`` sources; unreachable nodes have
        ``inf`` time and predecessor ``-9999`` (scipy's convention).
    """
    n = max(len(graph.nodes), 1)
    block = max(1, _DIJKSTRA_CELLS // n)
    for start in range(0, len(sources), block):
        chunk = sources[start : start + block]
        time_s, pred = dijkstra(
            graph.travel_time_s, directed=True, indices=chunk, return_predecessors=True
        )
        yield chunk, np.atleast_2d(time_s), np.atleast_2d(pred)


def path_lonlat(
    network: RoadNetwork,
    sequences: Sequence[Sequence[Node]],
    *,
    avoid_road_classes: Sequence[str] = (),
) -> list[list[tuple[float, float]]]:
    """Return the (lon, lat) vertices along the fastest roads through each node sequence.

    Used to draw runs (hub, stop, ..., hub) along the real road geometry. One scipy
    Dijkstra runs per distinct departure node across all sequences.

    Parameters
    ----------
    network : RoadNetwork
    sequences : sequence of sequences of int
        Graph nodes to pass through in order, e.g. from :func:`snap_points`.
    avoid_road_classes : sequence of str, default ()
        The vehicle's access profile, as for its travel matrix.

    Returns
    -------
    list of list of (lon, lat)
        One polyline per sequence, starting at the first node and ending at the last;
        consecutive identical vertices at road joints are not repeated.

    Raises
    ------
    NetworkError
        If a node is not in the network or a leg has no path under the profile.
    """
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    problems: list[Problem] = []
    for s, seq in enumerate(sequences):
        for node in seq:
            if node not in graph.index:
                problems.append(
                    Problem(f"path {s + 1}", "nodes", f"node {node!r} is not in the network")
                )
    if problems:
        raise NetworkError(problems)
    legs = {
        (graph.index[a], graph.index[b]) for seq in sequences for a, b in itertools.pairwise(seq)
    }
    sources = np.array(sorted({a for a, b in legs if a != b}), dtype=np.int64)
    leg_coords: dict[tuple[int, int], FloatArray] = {}
    for chunk, _, pred in shortest_path_trees(graph, sources):
        row_of = {int(s): r for r, s in enumerate(chunk)}
        for a, b in legs:
            if a == b or a not in row_of:
                continue
            leg_coords[(a, b)] = _leg_coordinates(graph, pred[row_of[a]], a, b)
    result: list[list[tuple[float, float]]] = []
    for seq in sequences:
        if not seq:
            result.append([])
            continue
        first = network.graph.nodes[seq[0]]
        parts: list[FloatArray] = [np.array([[first["lon"], first["lat"]]], dtype=np.float64)]
        for a, b in itertools.pairwise(seq):
            ia, ib = graph.index[a], graph.index[b]
            if ia == ib:
                continue
            # Each leg starts at the vertex the previous one ended on: skip it.
            parts.append(leg_coords[(ia, ib)][1:])
        # One conversion per run: a vertex at a time took seconds on a 5,000-pickup day.
        result.append([(x, y) for x, y in np.concatenate(parts).tolist()])
    return result


def _leg_coordinates(
    graph: ProfileGraph,
    pred: npt.NDArray[np.int32],
    a: int,
    b: int,
) -> FloatArray:
    if pred[b] < 0:
        raise NetworkError(
            Problem(
                "path",
                "nodes",
                f"no road path from node {graph.nodes[a]!r} to node {graph.nodes[b]!r} for this "
                "profile; the solver should not have joined them",
            )
        )
    hops = [b]
    while hops[-1] != a:
        hops.append(int(pred[hops[-1]]))
    hops.reverse()
    hop_array = np.asarray(hops, dtype=np.int64)
    positions = graph.edge_positions(hop_array[:-1], hop_array[1:])
    coords, part = shapely.get_coordinates(graph.geometry[positions], return_index=True)
    # Drop each edge's first vertex except the first edge's: it repeats the joint.
    keep = np.ones(len(part), dtype=bool)
    keep[1:] = part[1:] == part[:-1]
    keep[0] = True
    result: FloatArray = coords[keep]
    return result
