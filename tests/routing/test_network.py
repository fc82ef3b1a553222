"""Tests for routing.network: reading roads, the graph, snapping, closures and paths.

The base instance is four roads drawn in UTM 47N metres west of Xinping::

      R3 track (two-way, via (1000, 800))
     /------------------------------\\
    A --R1 county-- B --R2 village--> C        (R2 is one-way B -> C)
    |
    R4 primary
    |
    D

Variants change one feature each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiLineString, Point

from routing.errors import NetworkError
from routing.network import (
    DEFAULT_SPEED_KPH,
    ROAD_CLASSES,
    RoadNetwork,
    edge_subgraph_for,
    without_roads,
)
from routing.paths import path_lonlat, snap_points
from routing.road_file import network_from_file, network_from_gdf

UTM = "EPSG:32647"
X0, Y0 = 780_000.0, 2_665_000.0  # about 101.78 E, 24.07 N
_TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
A, B, C, D = (0.0, 0.0), (1000.0, 0.0), (2000.0, 0.0), (0.0, -1000.0)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """(lon, lat) of a point given in metres from the origin."""
    lon, lat = _TO_LONLAT.transform(X0 + x, Y0 + y)
    return (float(lon), float(lat))


def roads(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """WGS84 roads from rows whose ``coords`` are metre offsets from the origin."""
    records = [{k: v for k, v in row.items() if k != "coords"} for row in rows]
    geoms = [LineString([lonlat(x, y) for x, y in row["coords"]]) for row in rows]
    return gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326")


def base_rows() -> list[dict[str, Any]]:
    return [
        {"id": "R1", "road_class": "county", "oneway": "no", "coords": [A, B]},
        {"id": "R2", "road_class": "village", "oneway": "yes", "coords": [B, C]},
        {"id": "R3", "road_class": "track", "oneway": "no", "coords": [C, (1000, 800), A]},
        {"id": "R4", "road_class": "primary", "oneway": "no", "coords": [A, D]},
    ]


@pytest.fixture
def base() -> RoadNetwork:
    return network_from_gdf(roads(base_rows()))


def node_at(network: RoadNetwork, xy: tuple[float, float]) -> int:
    """The node nearest a metre offset (fails if none is within 1 m)."""
    best = min(
        network.graph.nodes,
        key=lambda n: np.hypot(
            network.graph.nodes[n]["x"] - X0 - xy[0], network.graph.nodes[n]["y"] - Y0 - xy[1]
        ),
    )
    data = network.graph.nodes[best]
    assert np.hypot(data["x"] - X0 - xy[0], data["y"] - Y0 - xy[1]) < 1.0
    return int(best)


def edges_of(network: RoadNetwork, road_id: str) -> list[tuple[int, int, dict[str, Any]]]:
    return [(u, v, d) for u, v, d in network.graph.edges(data=True) if d["road_id"] == road_id]


# --- reading ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "driver"), [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile")]
)
def test_reads_each_file_format_into_the_same_graph(
    tmp_path: Path, suffix: str, driver: str, base: RoadNetwork
) -> None:
    path = tmp_path / f"roads{suffix}"
    roads(base_rows()).to_file(path, driver=driver, engine="pyogrio")
    network = network_from_file(path)
    assert network.crs == UTM
    assert network.graph.number_of_nodes() == base.graph.number_of_nodes() == 4
    # R1, R3, R4 two-way (2 edges each), R2 one-way (1 edge)
    assert network.graph.number_of_edges() == 7
    assert sorted({d["road_id"] for _, _, d in network.graph.edges(data=True)}) == [
        "R1",
        "R2",
        "R3",
        "R4",
    ]
    assert len(edges_of(network, "R2")) == 1


def test_multi_layer_geopackage_uses_roads_layer_or_asks(tmp_path: Path) -> None:
    path = tmp_path / "county.gpkg"
    roads(base_rows()).to_file(path, layer="roads", engine="pyogrio")
    gpd.GeoDataFrame({"v": [1]}, geometry=[Point(lonlat(0, 0))], crs="EPSG:4326").to_file(
        path, layer="villages", engine="pyogrio"
    )
    assert network_from_file(path).graph.number_of_edges() == 7
    other = tmp_path / "two.gpkg"
    roads(base_rows()).to_file(other, layer="lines", engine="pyogrio")
    roads(base_rows()[:1]).to_file(other, layer="more_lines", engine="pyogrio")
    with pytest.raises(NetworkError, match="pass layer="):
        network_from_file(other)
    assert network_from_file(other, layer="more_lines").graph.number_of_edges() == 2


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match=r"nowhere\.gpkg.*not found"):
        network_from_file(tmp_path / "nowhere.gpkg")


def test_unreadable_file_is_a_network_error(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    path.write_text("this is not json")
    with pytest.raises(NetworkError, match="cannot be read"):
        network_from_file(path)


def test_file_without_crs_is_read_as_wgs84(tmp_path: Path) -> None:
    path = tmp_path / "roads.shp"
    roads(base_rows()).to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    network = network_from_file(path)
    assert network.crs == UTM
    assert network.graph.number_of_edges() == 7


def test_projected_input_gives_the_same_lengths_as_lonlat_input(base: RoadNetwork) -> None:
    network = network_from_gdf(roads(base_rows()).to_crs(UTM))
    lengths = sorted(d["length_m"] for _, _, d in network.graph.edges(data=True))
    expected = sorted(d["length_m"] for _, _, d in base.graph.edges(data=True))
    assert lengths == pytest.approx(expected, abs=1e-3)


def test_frame_without_crs_and_metre_coordinates_is_rejected() -> None:
    frame = roads(base_rows()).to_crs(UTM).set_crs(None, allow_override=True)
    with pytest.raises(NetworkError, match="not lon/lat"):
        network_from_gdf(frame)


# --- the graph ---------------------------------------------------------------------


def test_lengths_match_geodesic_lengths() -> None:
    winding = [(0, 0), (800, 600), (1500, -200), (2600, 900), (4000, 300), (6000, 2500)]
    network = network_from_gdf(roads([{"road_class": "county", "coords": winding}]))
    geod = Geod(ellps="WGS84")
    line = LineString([lonlat(x, y) for x, y in winding])
    geodesic_m = geod.geometry_length(line)
    (length_m,) = {d["length_m"] for _, _, d in network.graph.edges(data=True)}
    assert length_m == pytest.approx(geodesic_m, rel=0.005)


def test_edges_carry_attributes_and_run_in_their_direction(base: RoadNetwork) -> None:
    a, c = node_at(base, A), node_at(base, C)
    (r2,) = edges_of(base, "R2")
    u, v, data = r2
    assert (u, v) == (node_at(base, B), c)
    assert data["road_class"] == "village"
    assert data["speed_kph"] == DEFAULT_SPEED_KPH["village"]
    assert data["length_m"] == pytest.approx(1000.0, abs=0.5)
    assert data["travel_time_s"] == pytest.approx(data["length_m"] / (18 / 3.6))
    for u, v, data in edges_of(base, "R3"):
        coords = list(data["geometry"].coords)
        assert coords[0] == (base.graph.nodes[u]["lon"], base.graph.nodes[u]["lat"])
        assert coords[-1] == (base.graph.nodes[v]["lon"], base.graph.nodes[v]["lat"])
        assert len(coords) == 3  # the bend at (1000, 800) is kept
    assert {(u, v) for u, v, _ in edges_of(base, "R3")} == {(a, c), (c, a)}


def test_speed_column_overrides_the_class_default_where_given() -> None:
    rows = base_rows()
    rows[0]["speed_kph"] = 60.0
    rows[1]["speed_kph"] = None
    network = network_from_gdf(roads(rows))
    (r1, _) = edges_of(network, "R1")
    assert r1[2]["speed_kph"] == 60.0
    assert r1[2]["travel_time_s"] == pytest.approx(r1[2]["length_m"] / (60 / 3.6))
    (r2,) = edges_of(network, "R2")
    assert r2[2]["speed_kph"] == DEFAULT_SPEED_KPH["village"]


def test_endpoints_within_a_metre_are_one_node_and_farther_ones_are_not() -> None:
    close = network_from_gdf(
        roads(
            [
                {"road_class": "county", "coords": [(0, 0), (1000, 0)]},
                {"road_class": "county", "coords": [(1000.6, 0.3), (2000, 0)]},
            ]
        )
    )
    assert close.graph.number_of_nodes() == 3
    apart = network_from_gdf(
        roads(
            [
                {"road_class": "county", "coords": [(0, 0), (1000, 0)]},
                {"road_class": "county", "coords": [(1005, 0), (2000, 0)]},
            ]
        )
    )
    assert apart.graph.number_of_nodes() == 4


def test_multilinestring_parts_become_edges_of_one_road() -> None:
    geom = MultiLineString([[lonlat(*A), lonlat(*B)], [lonlat(*B), lonlat(*C)]])
    frame = gpd.GeoDataFrame(
        {"id": ["M1"], "road_class": ["county"]}, geometry=[geom], crs="EPSG:4326"
    )
    network = network_from_gdf(frame)
    assert network.graph.number_of_nodes() == 3
    assert len(edges_of(network, "M1")) == 4


def test_road_ids_default_to_one_based_row_numbers() -> None:
    rows = [{k: v for k, v in row.items() if k != "id"} for row in base_rows()]
    network = network_from_gdf(roads(rows))
    assert {d["road_id"] for _, _, d in network.graph.edges(data=True)} == {"1", "2", "3", "4"}


def test_graph_is_frozen(base: RoadNetwork) -> None:
    with pytest.raises(nx.NetworkXError):
        base.graph.add_edge(0, 1)


# --- validation ------------------------------------------------------------------


def test_bad_class_names_the_row_and_lists_the_allowed_classes() -> None:
    rows = [{k: v for k, v in row.items() if k != "id"} for row in base_rows()]
    rows[1]["road_class"] = "motorway"
    with pytest.raises(NetworkError) as info:
        network_from_gdf(roads(rows))
    (problem,) = info.value.problems
    assert problem.record == "road row 2"
    assert problem.field == "road_class"
    assert "'motorway'" in problem.message
    for name in ROAD_CLASSES:
        assert name in problem.message


def test_missing_road_class_column_is_reported() -> None:
    rows = [{k: v for k, v in row.items() if k != "road_class"} for row in base_rows()]
    with pytest.raises(NetworkError) as info:
        network_from_gdf(roads(rows))
    assert [(p.field, "column missing" in p.message) for p in info.value.problems] == [
        ("road_class", True)
    ]


def test_every_problem_is_reported_at_once_naming_each_record() -> None:
    rows = base_rows()
    rows[0]["road_class"] = None
    rows[1]["speed_kph"] = -5
    rows[2]["oneway"] = "sometimes"
    frame = roads(rows)
    frame.loc[3, "geometry"] = LineString()
    with pytest.raises(NetworkError) as info:
        network_from_gdf(frame)
    found = {(p.record, p.field) for p in info.value.problems}
    assert found == {
        ("road 'R1'", "road_class"),
        ("road 'R2'", "speed_kph"),
        ("road 'R3'", "oneway"),
        ("road 'R4'", "geometry"),
    }
    assert "road 'R2': speed_kph:" in str(info.value)


def test_file_of_points_has_no_line_geometries() -> None:
    frame = gpd.GeoDataFrame(
        {"road_class": ["county"]}, geometry=[Point(lonlat(0, 0))], crs="EPSG:4326"
    )
    with pytest.raises(NetworkError, match="no line geometries"):
        network_from_gdf(frame)


def test_empty_frame_is_rejected() -> None:
    frame = gpd.GeoDataFrame({"road_class": []}, geometry=[], crs="EPSG:4326")
    with pytest.raises(NetworkError, match="no roads"):
        network_from_gdf(frame)


# --- closures and profiles -------------------------------------------------------


def test_without_roads_removes_every_edge_of_those_roads_only(base: RoadNetwork) -> None:
    closed = without_roads(base, ["R1", "R4"])
    assert edges_of(closed, "R1") == []
    assert edges_of(closed, "R4") == []
    assert len(edges_of(closed, "R3")) == 2
    assert closed.graph.number_of_nodes() == base.graph.number_of_nodes()
    assert len(edges_of(base, "R1")) == 2  # the original is untouched


def test_without_unknown_road_names_it(base: RoadNetwork) -> None:
    with pytest.raises(NetworkError) as info:
        without_roads(base, ["R1", "R99", "X"])
    assert sorted(p.record for p in info.value.problems) == ["road 'R99'", "road 'X'"]


def test_edge_subgraph_for_drops_avoided_classes(base: RoadNetwork) -> None:
    view = edge_subgraph_for(base, ["track"])
    classes = {d["road_class"] for _, _, d in view.edges(data=True)}
    assert classes == {"county", "village", "primary"}
    assert view.number_of_nodes() == base.graph.number_of_nodes()
    with pytest.raises(NetworkError, match="unknown road class 'tracks'"):
        edge_subgraph_for(base, ["tracks"])


# --- snapping ----------------------------------------------------------------------


def test_snap_joins_at_the_nearer_end_of_the_nearest_road(base: RoadNetwork) -> None:
    points = [
        ("near-B", *lonlat(900, 100)),  # over R1, nearer B
        ("near-A", *lonlat(300, -50)),  # over R1, nearer A
        ("on-D", *lonlat(10, -990)),
    ]
    result = snap_points(base, points)
    assert result.nodes == (node_at(base, B), node_at(base, A), node_at(base, D))
    assert result.snap_distance_m[0] == pytest.approx(np.hypot(100, 100), abs=0.5)
    assert result.snap_distance_m[1] == pytest.approx(np.hypot(300, 50), abs=0.5)


def test_point_three_km_off_is_rejected_naming_id_and_distance(base: RoadNetwork) -> None:
    points = [("V1", *lonlat(500, 10)), ("V17", *lonlat(1000, 3800)), ("V18", *lonlat(-5000, 0))]
    with pytest.raises(NetworkError) as info:
        snap_points(base, points)
    messages = [str(p) for p in info.value.problems]
    assert messages == [
        "pickup 'V17': lon/lat: 3.0 km from the nearest road (limit 2.0 km); check its coordinates",
        "pickup 'V18': lon/lat: 5.0 km from the nearest road (limit 2.0 km); check its coordinates",
    ]
    assert snap_points(base, points[1:2], max_snap_m=3100).nodes == (node_at(base, A),)


def test_snap_after_closure_uses_remaining_roads(base: RoadNetwork) -> None:
    point = [("P", *lonlat(500, -30))]
    assert snap_points(base, point).nodes in {(node_at(base, A),), (node_at(base, B),)}
    closed = without_roads(base, ["R1"])
    # R1 is gone: the nearest road is now the track R3 (about 340 m), joined at its
    # nearer end A rather than at C.
    result = snap_points(closed, point)
    assert result.nodes == (node_at(base, A),)


# --- paths -------------------------------------------------------------------------


def test_path_follows_road_geometry_from_first_to_last_node(base: RoadNetwork) -> None:
    a, b, c, d = (node_at(base, p) for p in (A, B, C, D))
    (run, back) = path_lonlat(base, [[a, c, a], [c, a]])
    node_ll = {n: (base.graph.nodes[n]["lon"], base.graph.nodes[n]["lat"]) for n in (a, b, c)}
    # a -> c is fastest over R1 + R2 (344 s), c -> a only over the track via its bend.
    assert run == [node_ll[a], node_ll[b], node_ll[c], lonlat(1000, 800), node_ll[a]]
    assert back[0] == node_ll[c]
    assert back[-1] == node_ll[a]
    assert np.allclose(back[1], lonlat(1000, 800))
    # a truck profile cannot go back at all
    with pytest.raises(NetworkError, match="no road path"):
        path_lonlat(base, [[a, c, a]], avoid_road_classes=["track"])
    assert path_lonlat(base, [[a, d, a]], avoid_road_classes=["track"])[0] == [
        node_ll[a],
        (base.graph.nodes[d]["lon"], base.graph.nodes[d]["lat"]),
        node_ll[a],
    ]


def test_path_of_a_single_node_is_that_node(base: RoadNetwork) -> None:
    a = node_at(base, A)
    assert (
        path_lonlat(base, [[a], [a, a]])
        == [[(base.graph.nodes[a]["lon"], base.graph.nodes[a]["lat"])]] * 2
    )
