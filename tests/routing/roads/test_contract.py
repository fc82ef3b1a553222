"""Chain contraction keeps shortest times and geometry, and stops where rules change."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from routing.roads.contract import contract, segment_values
from routing.roads.graph import edges_of
from routing.roads.osm import read_raw
from routing.roads.profile import load_profile
from tests.routing.roads.helpers import ANDORRA_PBF, DATA, DETOUR_M, SHORT_M


def test_a_ring_of_two_roads_keeps_one_node_for_both_directions() -> None:
    """Hub and village both sit mid-chain: the ring's two directions still meet."""
    network = contract(read_raw(DATA / "plain.osm", load_profile()))
    assert network.graph.number_of_nodes() == 1
    lengths = sorted(d["length_m"] for *_, d in network.graph.edges(data=True))
    assert lengths == pytest.approx([SHORT_M + DETOUR_M] * 2, rel=0.01)


def test_a_bridge_with_a_limit_stays_its_own_edge() -> None:
    """maxweight on the bridge: its ends are kept, its geometry and length are its own."""
    network = contract(read_raw(DATA / "maxweight.osm", load_profile()))
    edges = edges_of(network)
    limited = np.isfinite(edges.max_weight_t)
    assert limited.sum() == 2  # both directions
    assert edges.length_m[limited] == pytest.approx([SHORT_M / 2] * 2, rel=0.01)
    # The detour keeps every vertex of its chain for drawing.
    longest = int(np.argmax(edges.length_m))
    assert len(edges.geometry[longest].coords) >= 4


def test_contraction_preserves_shortest_times_on_andorra() -> None:
    """Times between kept junctions equal those on the raw graph of every OSM node."""
    raw = read_raw(ANDORRA_PBF, load_profile("europe"))
    network = contract(raw)
    values = segment_values(raw, network.crs, None)
    n = raw.num_nodes
    # scipy would sum parallel segments: keep the fastest of each pair.
    order = np.lexsort((values.time_s, raw.dst, raw.src))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (raw.src[order][1:] != raw.src[order][:-1]) | (
        raw.dst[order][1:] != raw.dst[order][:-1]
    )
    o = order[first]
    raw_graph = csr_array((values.time_s[o], (raw.src[o], raw.dst[o])), shape=(n, n))
    row_of = {tuple(ll): i for i, ll in enumerate(raw.node_lonlat.tolist())}
    kept = network.graph.number_of_nodes()
    assert kept < 0.1 * n  # the contraction ratio the benchmark reports
    raw_index = np.array(
        [
            row_of[(network.graph.nodes[k]["lon"], network.graph.nodes[k]["lat"])]
            for k in range(kept)
        ]
    )
    edges = edges_of(network)
    best: dict[tuple[int, int], float] = {}
    for u, v, t in zip(edges.src, edges.dst, edges.travel_time_s, strict=True):
        if u != v:
            best[(int(u), int(v))] = min(t, best.get((int(u), int(v)), np.inf))
    keys = np.array(list(best), dtype=np.int64)
    small = csr_array((list(best.values()), (keys[:, 0], keys[:, 1])), shape=(kept, kept))
    sources = np.random.default_rng(0).choice(kept, 25, replace=False)
    on_small = dijkstra(small, indices=sources)
    on_raw = dijkstra(raw_graph, indices=raw_index[sources])[:, raw_index]
    finite = np.isfinite(on_small)
    assert np.array_equal(finite, np.isfinite(on_raw))
    assert np.allclose(on_small[finite], on_raw[finite], rtol=1e-9, atol=1e-6)
