"""Merge degree-2 chains of the raw OSM graph into single edges.

An OSM way is a string of nodes every few metres; routing only needs the junctions.
A node is merged away when exactly two other nodes touch it and every segment into it
continues out of it to the other neighbour under the same rules (class, surface,
limits, direction): then the chain ``a - ... - b`` becomes one directed edge per
direction it can be driven, with the full geometry for drawing and the summed
length, flat time, ascent, descent and steep descent of that direction. Speeds may
differ along a chain (their times add); anything a vehicle checks may not, so a
bridge with a weight limit stays its own edge.

Only the largest weakly connected part of the road graph is kept: islands (a parking
lot closed to traffic around it, a fragment cut off at the extract's border) cannot
be driven to from anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from routing.errors import NetworkError, Problem
from routing.network import FloatArray, IntArray, RoadNetwork
from routing.roads.elevation import ElevationModel, climbs, sum_by
from routing.roads.graph import (
    OSM_SOURCE,
    RoadEdges,
    empty_geometry_array,
    project,
    to_network,
    utm_crs,
)
from routing.roads.osm import RawRoads


@dataclass(frozen=True)
class SegmentValues:
    """Per raw segment: metres, seconds on the flat, and climbs in its direction."""

    length_m: FloatArray
    time_s: FloatArray
    ascent_m: FloatArray
    descent_m: FloatArray
    steep_descent_m: FloatArray
    elevation_covered: float | None


def segment_values(raw: RawRoads, crs: str, elevation: ElevationModel | None) -> SegmentValues:
    """Measure every raw segment in metres of ``crs``; climbs when elevation is given."""
    xy = project(raw.coords, crs) if len(raw.coords) else np.zeros((0, 2))
    piece = np.hypot(*np.diff(xy, axis=0).T) if len(xy) > 1 else np.zeros(0)
    # Pieces that would join two segments are not road: drop them.
    joins = raw.offsets[1:-1] - 1
    piece_ok = np.ones(len(piece), dtype=bool)
    piece_ok[joins[joins < len(piece)]] = False
    seg_of_piece = np.searchsorted(raw.offsets, np.arange(len(piece)), side="right") - 1
    length = sum_by(seg_of_piece[piece_ok], piece[piece_ok], len(raw.src))
    speed = np.array([r.speed_kph for r in raw.rules], dtype=np.float64)
    time_s = length / (speed[raw.rule] / 3.6) if len(raw.rules) else np.zeros(0)
    zeros = np.zeros(len(raw.src))
    if elevation is None:
        return SegmentValues(length, time_s, zeros, zeros.copy(), zeros.copy(), None)
    up, down, steep, covered = climbs(raw.coords, xy, raw.offsets, elevation)
    return SegmentValues(length, time_s, up, down, steep, covered)


def _signatures(raw: RawRoads) -> IntArray:
    """Per segment, an id of its rules: class, speed, surface and limits (not direction)."""
    keys: dict[Any, int] = {}
    per_rule = [
        keys.setdefault(replace(r, forward=True, backward=True), len(keys)) for r in raw.rules
    ]
    return np.array(per_rule, dtype=np.int64)[raw.rule] if len(raw.rule) else raw.rule


def _next_segment(raw: RawRoads, signature: IntArray) -> IntArray:
    """For each segment ending at a mergeable node, the segment it continues into; else -1."""
    n, src, dst = raw.num_nodes, raw.src, raw.dst
    following = np.full(len(src), -1, dtype=np.int64)
    loops = src == dst
    a, b = np.minimum(src[~loops], dst[~loops]), np.maximum(src[~loops], dst[~loops])
    pairs = np.unique(np.column_stack([a, b]), axis=0) if len(a) else np.zeros((0, 2), np.int64)
    neighbours = np.bincount(pairs.ravel(), minlength=n)
    candidate = neighbours == 2
    candidate[src[loops]] = False
    out_order = np.argsort(src, kind="stable")
    out_start = np.searchsorted(src[out_order], np.arange(n + 1))
    for s in np.flatnonzero(candidate[dst]):
        outs = out_order[out_start[dst[s]] : out_start[dst[s] + 1]]
        onward = [t for t in outs if dst[t] != src[s]]
        if len(outs) <= 2 and len(onward) == 1 and signature[onward[0]] == signature[s]:
            following[s] = onward[0]
    # A node is merged only if every segment into it continues.
    into = np.bincount(dst, minlength=n)
    continues = np.bincount(dst[following >= 0], minlength=n)
    outs_n = np.bincount(src, minlength=n)
    mergeable = candidate & (into == continues) & (outs_n == into) & (into > 0)
    following[~mergeable[dst]] = -1
    return following


def _walk(start: int, following: IntArray, visited: npt.NDArray[np.bool_]) -> list[int]:
    chain = [start]
    visited[start] = True
    t = start
    while following[t] >= 0 and not visited[following[t]]:
        t = int(following[t])
        visited[t] = True
        chain.append(t)
    return chain


def _chains(raw: RawRoads, following: IntArray) -> list[list[int]]:
    """Segments grouped into chains that start and end at kept nodes.

    A ring of mergeable nodes (a loop road touching nothing else, or a whole network
    of two roads between two places) keeps its lowest node, the same one for both
    directions, so the ring's two directions meet.
    """
    following = following.copy()
    merged = np.zeros(raw.num_nodes, dtype=bool)
    merged[raw.dst[following >= 0]] = True
    visited = np.zeros(len(raw.src), dtype=bool)
    chains = [_walk(int(s), following, visited) for s in np.flatnonzero(~merged[raw.src])]
    for s in range(len(raw.src)):
        if visited[s]:
            continue
        ring = [s]
        while int(following[ring[-1]]) != s:
            ring.append(int(following[ring[-1]]))
        keep = int(raw.src[ring].min())
        following[raw.dst == keep] = -1
        chains.extend(
            _walk(int(t), following, visited) for t in np.flatnonzero((raw.src == keep) & ~visited)
        )
    return chains


def _largest_part(src: IntArray, dst: IntArray, n: int) -> IntArray:
    """Mask of segments in the largest weakly connected component."""
    graph = coo_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="weak")
    biggest = np.argmax(np.bincount(label[src], minlength=label.max() + 1)) if len(src) else 0
    keep: IntArray = label[src] == biggest
    return keep


def contract(
    raw: RawRoads,
    *,
    elevation: ElevationModel | None = None,
    meta: dict[str, Any] | None = None,
) -> RoadNetwork:
    """Build the routing network from the raw graph: merge chains, keep the main part.

    Parameters
    ----------
    raw
        From :func:`routing.roads.osm.read_raw`.
    elevation
        SRTM tiles; without them ascent and descent are 0 and ``graph["elevation"]``
        is ``None``.
    meta
        Extra graph attributes (the profile's name, the file read).

    Returns
    -------
    RoadNetwork
        Nodes are the kept junctions ``0 .. n-1``; graph attributes include ``source``
        (``"osm"``), ``raw_nodes``, ``raw_edges``, ``tag_issues``, ``places`` and
        ``elevation``.
    """
    if len(raw.src) == 0:
        raise NetworkError(
            Problem(
                "road file",
                "",
                "has no roads a vehicle may drive under this profile "
                "(check the highway and access tags, or choose another --road-profile)",
            )
        )
    centre = raw.node_lonlat.mean(axis=0)
    crs = utm_crs(float(centre[0]), float(centre[1]))
    values = segment_values(raw, crs, elevation)
    following = _next_segment(raw, _signatures(raw))
    chains = _chains(raw, following)
    keep_seg = _largest_part(raw.src, raw.dst, raw.num_nodes)
    chains = [c for c in chains if keep_seg[c[0]]]
    edges, nodes = _chain_edges(raw, values, chains)
    info = {
        "source": OSM_SOURCE,
        "raw_nodes": raw.num_nodes,
        "raw_edges": len(raw.src),
        "ways_read": int(raw.ways_read),
        "tag_issues": dict(raw.issues.counts),
        "places": tuple(raw.places),
        "elevation": None if elevation is None else elevation.source,
        "elevation_model": elevation,
        "elevation_covered": values.elevation_covered,
        **(meta or {}),
    }
    return to_network(raw.node_lonlat[nodes], edges, crs=crs, meta=info)


def _chain_edges(
    raw: RawRoads, values: SegmentValues, chains: Sequence[Sequence[int]]
) -> tuple[RoadEdges, IntArray]:
    order = np.fromiter((s for c in chains for s in c), dtype=np.int64)
    chain_of = np.repeat(np.arange(len(chains)), [len(c) for c in chains])
    heads = np.array([c[0] for c in chains], dtype=np.int64)
    tails = np.array([c[-1] for c in chains], dtype=np.int64)

    def total(per_segment: FloatArray) -> FloatArray:
        return sum_by(chain_of, per_segment[order], len(chains))

    # Vertices: each segment's own, without the first one after a joint.
    first_in_chain = np.ones(len(order), dtype=bool)
    first_in_chain[1:] = chain_of[1:] != chain_of[:-1]
    begin = raw.offsets[order] + (~first_in_chain)
    count = raw.offsets[order + 1] - begin
    vertex = np.repeat(begin - np.concatenate([[0], np.cumsum(count)[:-1]]), count) + np.arange(
        count.sum()
    )
    lines = shapely.linestrings(raw.coords[vertex], indices=np.repeat(chain_of, count))
    used, node_of = np.unique(np.concatenate([raw.src[heads], raw.dst[tails]]), return_inverse=True)
    rules = [raw.rules[int(r)] for r in raw.rule[heads]]
    time_s = total(values.time_s)
    names = [next((raw.name[s] for s in c if raw.name[s]), "") for c in chains]

    def attr(name: str) -> FloatArray:
        return np.array([getattr(r, name) for r in rules], dtype=np.float64)

    edges = RoadEdges(
        src=node_of[: len(chains)].astype(np.int64),
        dst=node_of[len(chains) :].astype(np.int64),
        geometry=empty_geometry_array(list(lines)),
        length_m=total(values.length_m),
        base_time_s=time_s,
        travel_time_s=time_s.copy(),
        road_class=np.array([r.road_class for r in rules], dtype=object),
        highway=np.array([r.highway for r in rules], dtype=object),
        # The lowest way id along the chain: the same for both directions of a road.
        road_id=np.array([str(min(raw.way_id[s] for s in c)) for c in chains], dtype=object),
        name=np.array(names, dtype=object),
        unpaved=np.array([r.unpaved for r in rules], dtype=bool),
        max_weight_t=attr("max_weight_t"),
        max_axle_load_t=attr("max_axle_load_t"),
        max_height_m=attr("max_height_m"),
        max_width_m=attr("max_width_m"),
        max_length_m=attr("max_length_m"),
        ascent_m=total(values.ascent_m),
        descent_m=total(values.descent_m),
        steep_descent_m=total(values.steep_descent_m),
    )
    return edges, used.astype(np.int64)
