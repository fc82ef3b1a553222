"""Metres per road class along the fastest paths: what mountain-road factors are charged on."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from routing.network import ROAD_CLASSES, ProfileGraph, RoadNetwork, profile_graph

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- road classes

_EDGE_CLASS: weakref.WeakKeyDictionary[RoadNetwork, dict[tuple[str, ...], IntArray]] = (
    weakref.WeakKeyDictionary()
)


def edge_road_class(network: RoadNetwork, avoid_road_classes: Sequence[str] = ()) -> IntArray:
    """Index in :data:`ROAD_CLASSES` of each edge of the profile graph.

    The result runs parallel to the CSR data of
    ``profile_graph(network, avoid_road_classes=...)``: the selection of the kept edge
    among parallel ones (fastest, then shortest) is repeated here on the same edge
    order, so the two agree edge for edge. Cached on the network per profile.
    """
    key = tuple(sorted({str(c).strip().lower() for c in avoid_road_classes}))
    cache = _EDGE_CLASS.setdefault(network, {})
    if key in cache:
        return cache[key]
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    n = len(graph.nodes)
    class_index = {c: i for i, c in enumerate(ROAD_CLASSES)}
    rows = list(network.graph.edges(data=True))
    src = np.fromiter((graph.index[a] for a, _, _ in rows), dtype=np.int64, count=len(rows))
    dst = np.fromiter((graph.index[b] for _, b, _ in rows), dtype=np.int64, count=len(rows))
    time_s = np.fromiter((d["travel_time_s"] for *_, d in rows), dtype=np.float64, count=len(rows))
    length = np.fromiter((d["length_m"] for *_, d in rows), dtype=np.float64, count=len(rows))
    names = [str(d["road_class"]).strip().lower() for *_, d in rows]
    cls = np.array([class_index.get(c, 0) for c in names], dtype=np.int64)
    keep = np.array([c not in key for c in names], dtype=bool) & (src != dst)
    src, dst, time_s, length, cls = src[keep], dst[keep], time_s[keep], length[keep], cls[keep]
    order = np.lexsort((length, time_s, dst, src))
    code = src[order] * n + dst[order]
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    out: IntArray = cls[order[first]]
    if len(out) != len(graph.edge_code) or not np.array_equal(code[first], graph.edge_code):
        raise RuntimeError("road classes do not line up with the profile graph's edges")
    cache[key] = out
    return out


def tree_sums(
    graph: ProfileGraph, pred: npt.NDArray[np.int32], edge_values: FloatArray, *, reverse: bool
) -> FloatArray:
    """Sum per-edge values from each tree's root to every node, along the tree.

    Parameters
    ----------
    graph
        The profile graph the trees were grown on.
    pred
        ``k x n`` scipy predecessors (``-9999`` for roots and unreached nodes).
    edge_values
        ``(E, C)`` values per edge of ``graph`` (parallel to its CSR data).
    reverse
        True when the trees were grown on the transposed graph (paths *to* the root):
        node ``v`` with predecessor ``u`` then uses the original edge ``v -> u``.

    Returns
    -------
    numpy.ndarray
        ``k x n x C``; unreached nodes get 0 (mask them by their infinite time).
    """
    k, n = pred.shape
    c = edge_values.shape[1]
    flat = pred.reshape(-1).astype(np.int64)
    has = np.flatnonzero(flat >= 0)
    node = has % n
    parent_node = flat[has]
    parent = np.arange(k * n, dtype=np.int64)
    parent[has] = parent_node + (has - node)
    along = np.zeros((k * n, c), dtype=np.float64)
    pos = (
        graph.edge_positions(node, parent_node)
        if reverse
        else graph.edge_positions(parent_node, node)
    )
    along[has] = edge_values[pos]
    active = has[parent[parent[has]] != parent[has]]
    while active.size:
        up = parent[active]
        along[active] += along[up]
        parent[active] = parent[up]
        active = active[parent[parent[active]] != parent[active]]
    return along.reshape(k, n, c)


def leg_values(
    network: RoadNetwork,
    pairs: Sequence[tuple[int, int]],
    *,
    avoid_road_classes: Sequence[str] = (),
) -> FloatArray:
    """Seconds, metres and metres per road class along the fastest path of each pair.

    Parameters
    ----------
    network
        The road network.
    pairs
        ``(from node, to node)`` graph nodes (from :func:`routing.paths.snap_points`).
    avoid_road_classes
        The vehicle's access profile.

    Returns
    -------
    numpy.ndarray
        ``len(pairs) x (2 + len(ROAD_CLASSES))``: seconds, metres, then metres on each
        class of :data:`ROAD_CLASSES`. ``inf`` seconds where there is no path.
    """
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    cls = edge_road_class(network, avoid_road_classes)
    nc = len(ROAD_CLASSES)
    values = np.zeros((len(cls), 1 + nc), dtype=np.float64)
    values[:, 0] = graph.length_m
    values[np.arange(len(cls)), 1 + cls] = graph.length_m
    out = np.zeros((len(pairs), 2 + nc), dtype=np.float64)
    if not pairs:
        return out
    rows = np.array([[graph.index[a], graph.index[b]] for a, b in pairs], dtype=np.int64)
    sources, where = np.unique(rows[:, 0], return_inverse=True)
    block = max(1, 2**22 // max(1, len(graph.nodes) * (1 + nc)))
    for start in range(0, len(sources), block):
        chunk = sources[start : start + block]
        time_s, pred = dijkstra(
            graph.travel_time_s, directed=True, indices=chunk, return_predecessors=True
        )
        time_s, pred = np.atleast_2d(time_s), np.atleast_2d(pred)
        sums = tree_sums(graph, pred, values, reverse=False)
        sel = np.flatnonzero((where >= start) & (where < start + len(chunk)))
        r = where[sel] - start
        out[sel, 0] = time_s[r, rows[sel, 1]]
        out[sel, 1:] = sums[r, rows[sel, 1]]
    return out
