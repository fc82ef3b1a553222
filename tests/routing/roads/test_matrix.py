"""Matrices between points on roads, joined at their roads' ends (no graph growth)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra

from routing.matrix import TravelMatrix
from routing.roads import read_roads
from routing.roads.contract import segment_values
from routing.roads.matrix import join_points, point_durations, point_matrices
from routing.roads.osm import read_raw
from routing.roads.profile import load_profile
from routing.roads.snap import locate
from tests.routing.roads.helpers import ANDORRA_PBF, DATA, DETOUR_M, SHORT_M


def _matrices(name: str, points: list[tuple[str, float, float]]) -> TravelMatrix:
    network = read_roads(DATA / name)
    found = locate(network, points)
    return point_matrices(network, join_points(network, found), [p[0] for p in points]).matrix


def test_points_at_osm_nodes_match_the_raw_graph_on_andorra() -> None:
    """Every pair of 80 raw nodes: the same seconds as Dijkstra on the raw graph."""
    raw = read_raw(ANDORRA_PBF, load_profile("europe"))
    network = read_roads(ANDORRA_PBF, profile="europe")
    time_s = segment_values(raw, network.crs, None).time_s
    order = np.lexsort((time_s, raw.dst, raw.src))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (np.diff(raw.src[order]) != 0) | (np.diff(raw.dst[order]) != 0)
    o = order[first]
    n = raw.num_nodes
    graph = csr_array((time_s[o], (raw.src[o], raw.dst[o])), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    main = np.flatnonzero(label == np.argmax(np.bincount(label)))
    picks = np.random.default_rng(3).choice(main, 80, replace=False)
    points = [(f"p{i}", *map(float, raw.node_lonlat[k])) for i, k in enumerate(picks)]
    found = locate(network, points)
    got = point_durations(network, join_points(network, found))
    expected = dijkstra(graph, indices=picks)[:, picks]
    assert np.allclose(got, expected, atol=1e-6)


def test_a_point_on_a_one_way_road_is_left_the_way_it_runs() -> None:
    """Mid-way along the one-way short road: reached from the hub along it, left towards
    the village; coming back means the detour."""
    m = _matrices("oneway.osm", [("hub", 10.0, 45.0), ("mid", 10.005, 45.0), ("v", 10.01, 45.0)])
    assert m.distance_m[0, 1] == pytest.approx(SHORT_M / 2, abs=2)
    assert m.distance_m[1, 2] == pytest.approx(SHORT_M / 2, abs=2)
    assert m.distance_m[1, 0] == pytest.approx(SHORT_M / 2 + DETOUR_M, abs=3)


def test_two_points_on_one_road_drive_straight_along_it() -> None:
    """Both on the detour's northern leg, 300 m apart: 300 m each way."""
    m = _matrices("plain.osm", [("a", 10.002, 45.01), ("b", 10.00581, 45.01)])
    assert m.distance_m[0, 1] == pytest.approx(300, abs=3)
    assert m.distance_m[1, 0] == pytest.approx(300, abs=3)
    assert m.duration_s[0, 1] == pytest.approx(300 / (30 / 3.6), abs=1)
