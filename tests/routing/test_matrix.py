"""Tests for routing.matrix: road matrices against networkx, profiles and fallbacks.

The base instance matches tests/routing/test_network.py: A -R1 county- B -R2 village
(one-way)-> C, a two-way track R3 from C back to A via (1000, 800), and R4 primary A-D.
"""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString

from routing.errors import NetworkError
from routing.matrix import (
    RoadMatrixProvider,
    StraightLineMatrixProvider,
    TravelMatrix,
    travel_matrix,
)
from routing.network import ROAD_CLASSES, RoadNetwork, edge_subgraph_for, without_roads
from routing.road_file import network_from_gdf
from routing.units import UNREACHABLE

UTM = "EPSG:32647"
X0, Y0 = 780_000.0, 2_665_000.0
_TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
A, B, C, D = (0.0, 0.0), (1000.0, 0.0), (2000.0, 0.0), (0.0, -1000.0)
BEND = (1000.0, 800.0)


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_LONLAT.transform(X0 + x, Y0 + y)
    return (float(lon), float(lat))


def roads(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    records = [{k: v for k, v in row.items() if k != "coords"} for row in rows]
    geoms = [LineString([lonlat(x, y) for x, y in row["coords"]]) for row in rows]
    return gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326")


def base_rows() -> list[dict[str, Any]]:
    return [
        {"id": "R1", "road_class": "county", "oneway": "no", "coords": [A, B]},
        {"id": "R2", "road_class": "village", "oneway": "yes", "coords": [B, C]},
        {"id": "R3", "road_class": "track", "oneway": "no", "coords": [C, BEND, A]},
        {"id": "R4", "road_class": "primary", "oneway": "no", "coords": [A, D]},
    ]


@pytest.fixture
def base() -> RoadNetwork:
    return network_from_gdf(roads(base_rows()))


def node_at(network: RoadNetwork, xy: tuple[float, float]) -> int:
    for n, data in network.graph.nodes(data=True):
        if np.hypot(data["x"] - X0 - xy[0], data["y"] - Y0 - xy[1]) < 1.0:
            return int(n)
    raise AssertionError(f"no node at {xy}")


def seconds(length_m: float, speed_kph: float) -> float:
    return length_m / (speed_kph / 3.6)


TRACK_M = 2 * float(np.hypot(1000, 800))


# --- against networkx -------------------------------------------------------------


def random_network(seed: int) -> RoadNetwork:
    """A small random road network: straight or bent roads between random junctions."""
    rng = np.random.default_rng(seed)
    n_points = int(rng.integers(3, 9))
    points = rng.uniform(0, 5000, size=(n_points, 2))
    rows = []
    for _ in range(int(rng.integers(2, 16))):
        i, j = rng.choice(n_points, size=2, replace=False)
        coords = [tuple(points[i])]
        if rng.random() < 0.5:  # a bend makes parallel roads differ in length
            coords.append(tuple((points[i] + points[j]) / 2 + rng.normal(0, 300, 2)))
        coords.append(tuple(points[j]))
        rows.append(
            {
                "road_class": str(rng.choice(ROAD_CLASSES)),
                "speed_kph": float(rng.uniform(5, 80)),
                "oneway": bool(rng.random() < 0.3),
                "coords": coords,
            }
        )
    return network_from_gdf(roads(rows))


def networkx_expectation(graph: nx.MultiDiGraph, nodes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Fastest times and the lengths along those paths, by networkx."""
    n = len(nodes)
    time_s = np.full((n, n), np.inf)
    length_m = np.full((n, n), np.inf)
    for i, source in enumerate(nodes):
        times, paths = nx.single_source_dijkstra(graph, source, weight="travel_time_s")
        for j, target in enumerate(nodes):
            if target not in times:
                continue
            time_s[i, j] = times[target]
            path = paths[target]
            length_m[i, j] = sum(
                min(graph[u][v].values(), key=lambda d: d["travel_time_s"])["length_m"]
                for u, v in itertools.pairwise(path)
            )
    return time_s, length_m


def assert_matches(matrix: TravelMatrix, time_s: np.ndarray, length_m: np.ndarray) -> None:
    reachable = np.isfinite(time_s)
    assert np.array_equal(matrix.duration_s < UNREACHABLE, reachable)
    assert np.all(matrix.duration_s[~reachable] == UNREACHABLE)
    assert np.all(matrix.distance_m[~reachable] == UNREACHABLE)
    # Rounded to whole units: within half a unit (plus float noise) of the exact value.
    assert np.all(np.abs(matrix.duration_s[reachable] - time_s[reachable]) <= 0.5 + 1e-6)
    assert np.all(np.abs(matrix.distance_m[reachable] - length_m[reachable]) <= 0.5 + 1e-6)


@settings(max_examples=40, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), avoid_track=st.booleans())
def test_matrix_equals_networkx_dijkstra_on_random_graphs(seed: int, avoid_track: bool) -> None:
    network = random_network(seed)
    avoid = ["track"] if avoid_track else []
    nodes = sorted(network.graph.nodes)
    matrix = travel_matrix(network, nodes, [f"n{n}" for n in nodes], avoid_road_classes=avoid)
    graph = edge_subgraph_for(network, avoid) if avoid else network.graph
    assert_matches(matrix, *networkx_expectation(graph, nodes))
    assert np.all(np.diag(matrix.duration_s) == 0)
    assert matrix.profile == ("track" if avoid_track else "all")


def test_long_chain_sums_every_edge_length() -> None:
    """Pointer doubling must add up a path much deeper than one doubling pass."""
    xs = np.cumsum(np.random.default_rng(7).uniform(50, 150, size=300))
    xs = np.concatenate([[0.0], xs])
    rows = [
        {"road_class": "county", "coords": [(x0, 0.0), (x1, 0.0)]}
        for x0, x1 in itertools.pairwise(xs)
    ]
    network = network_from_gdf(roads(rows))
    ends = [node_at(network, (xs[0], 0.0)), node_at(network, (xs[-1], 0.0))]
    matrix = travel_matrix(network, ends, ["first", "last"])
    total_m = sum(d["length_m"] for u, v, d in network.graph.edges(data=True) if u < v)
    assert matrix.distance_m[0, 1] == round(total_m)
    assert matrix.distance_m[1, 0] == round(total_m)
    assert matrix.duration_s[0, 1] == round(seconds(total_m, 25))


# --- base instance ----------------------------------------------------------------


def test_one_way_road_makes_the_matrix_asymmetric(base: RoadNetwork) -> None:
    a, c = node_at(base, A), node_at(base, C)
    matrix = travel_matrix(base, [a, c], ["hub", "V1"])
    # A -> C over R1 (county) + R2 (village); C -> A only back over the track.
    assert matrix.duration_s[0, 1] == round(seconds(1000, 25) + seconds(1000, 18))
    assert matrix.duration_s[1, 0] == round(seconds(TRACK_M, 10))
    assert matrix.distance_m[0, 1] == 2000
    assert matrix.distance_m[1, 0] == round(TRACK_M)


def test_distance_is_along_the_fastest_path_not_the_shortest() -> None:
    rows = [
        {"id": "short", "road_class": "track", "coords": [A, B]},
        {"id": "fast", "road_class": "primary", "coords": [A, (500, 600), B]},
    ]
    network = network_from_gdf(roads(rows))
    matrix = travel_matrix(network, [node_at(network, A), node_at(network, B)], ["a", "b"])
    fast_m = 2 * float(np.hypot(500, 600))
    assert matrix.duration_s[0, 1] == round(seconds(fast_m, 40))  # parallel: fastest kept
    assert matrix.distance_m[0, 1] == round(fast_m)
    closed = without_roads(network, ["fast"])
    matrix = travel_matrix(closed, [node_at(network, A), node_at(network, B)], ["a", "b"])
    assert matrix.distance_m[0, 1] == 1000


def test_unreachable_pairs_hold_the_sentinel(base: RoadNetwork) -> None:
    rows = [
        *base_rows(),
        {"id": "island", "road_class": "county", "coords": [(5000, 5000), (6000, 5000)]},
    ]
    network = network_from_gdf(roads(rows))
    nodes = [node_at(network, A), node_at(network, (5000, 5000)), node_at(network, D)]
    matrix = travel_matrix(network, nodes, ["hub", "island", "D"])
    assert matrix.duration_s[0, 1] == matrix.distance_m[0, 1] == UNREACHABLE
    assert matrix.duration_s[1, 0] == matrix.distance_m[1, 0] == UNREACHABLE
    assert not matrix.reachable(0, 1)
    assert matrix.reachable(0, 2)
    assert matrix.unreachable_from(0) == [1]


def test_unreachable_from_counts_points_that_cannot_return(base: RoadNetwork) -> None:
    nodes = [node_at(base, p) for p in (A, B, C, D)]
    matrix = travel_matrix(base, nodes, ["A", "B", "C", "D"], avoid_road_classes=["track"])
    # Without the track C can be reached (R1 + one-way R2) but not left.
    assert matrix.reachable(0, 2)
    assert not matrix.reachable(2, 0)
    assert matrix.unreachable_from(0) == [2]


def test_avoiding_tracks_changes_the_matrix(base: RoadNetwork) -> None:
    nodes = [node_at(base, A), node_at(base, C)]
    everything = travel_matrix(base, nodes, ["a", "c"])
    truck = travel_matrix(base, nodes, ["a", "c"], avoid_road_classes=["track"])
    assert everything.duration_s[1, 0] < UNREACHABLE
    assert truck.duration_s[1, 0] == UNREACHABLE
    assert truck.duration_s[0, 1] == everything.duration_s[0, 1]
    assert (everything.profile, truck.profile) == ("all", "track")


def test_closed_road_changes_the_route(base: RoadNetwork) -> None:
    nodes = [node_at(base, A), node_at(base, C)]
    before = travel_matrix(base, nodes, ["a", "c"])
    after = travel_matrix(without_roads(base, ["R2"]), nodes, ["a", "c"])
    assert before.duration_s[0, 1] == round(seconds(1000, 25) + seconds(1000, 18))
    assert after.duration_s[0, 1] == round(seconds(TRACK_M, 10))
    assert after.distance_m[0, 1] == round(TRACK_M)


def test_points_at_the_same_node_are_zero_apart(base: RoadNetwork) -> None:
    a = node_at(base, A)
    matrix = travel_matrix(base, [a, a, node_at(base, D)], ["x", "y", "z"])
    assert matrix.duration_s[0, 1] == matrix.duration_s[1, 0] == 0
    assert matrix.distance_m[0, 1] == 0
    assert matrix.duration_s[0, 2] == matrix.duration_s[1, 2] > 0


def test_unknown_node_or_class_is_a_network_error(base: RoadNetwork) -> None:
    with pytest.raises(NetworkError, match=r"location 'x'.*not in the network"):
        travel_matrix(base, [999], ["x"])
    with pytest.raises(NetworkError, match="unknown road class"):
        travel_matrix(base, [0], ["x"], avoid_road_classes=["mud"])


# --- providers ---------------------------------------------------------------------


def test_road_provider_snaps_then_routes(base: RoadNetwork) -> None:
    provider = RoadMatrixProvider(base)
    ids = ["hub", "V1", "V2"]
    lonlats = [lonlat(20, 20), lonlat(1990, 50), lonlat(5, -980)]
    matrix = provider.matrix(ids, lonlats)
    expected = travel_matrix(base, [node_at(base, p) for p in (A, C, D)], ids)
    assert matrix.ids == ("hub", "V1", "V2")
    assert np.array_equal(matrix.duration_s, expected.duration_s)
    assert np.array_equal(matrix.distance_m, expected.distance_m)
    truck = provider.matrix(ids, lonlats, avoid_road_classes=["track"])
    assert truck.unreachable_from(0) == [1]


def test_road_provider_rejects_points_off_the_roads(base: RoadNetwork) -> None:
    provider = RoadMatrixProvider(base, max_snap_m=1000)
    with pytest.raises(
        NetworkError,
        match=r"location 'V9': lon/lat: 1\.5 km from the nearest road \(limit 1\.0 km\)",
    ):
        provider.matrix(["hub", "V9"], [lonlat(0, 0), lonlat(-1500, 0)])


def test_straight_line_provider_uses_great_circle_times_detour() -> None:
    provider = StraightLineMatrixProvider(speed_kph=36.0, detour_factor=1.5)
    matrix = provider.matrix(["a", "b", "c"], [(101.9, 24.0), (101.9, 24.1), (101.9, 24.0)])
    # 0.1 degree of latitude on a 6371.0088 km sphere is 11119.5 m.
    assert matrix.distance_m[0, 1] == round(11_119.5 * 1.5)
    assert matrix.duration_s[0, 1] == round(11_119.5 * 1.5 / 10.0)
    assert np.array_equal(matrix.distance_m, matrix.distance_m.T)
    assert matrix.distance_m[0, 2] == 0
    assert np.all(np.diag(matrix.duration_s) == 0)
    with pytest.raises(ValueError, match="detour_factor"):
        StraightLineMatrixProvider(detour_factor=0.5)
    with pytest.raises(ValueError, match="speed_kph"):
        StraightLineMatrixProvider(speed_kph=0)


def test_travel_matrix_is_validated_and_read_only() -> None:
    matrix = TravelMatrix(("a", "b"), np.zeros((2, 2)), np.zeros((2, 2)))
    assert matrix.distance_m.dtype == np.int64
    with pytest.raises(ValueError, match="read-only"):
        matrix.duration_s[0, 1] = 5
    with pytest.raises(ValueError, match="shape"):
        TravelMatrix(("a", "b"), np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="unique"):
        TravelMatrix(("a", "a"), np.zeros((2, 2)), np.zeros((2, 2)))
