"""Points join the nearest point on a road, not only a junction."""

from __future__ import annotations

import pytest

from routing.errors import NetworkError
from routing.roads import read_roads
from routing.roads.snap import with_points
from tests.routing.roads.helpers import DATA, SHORT_M, day_on, vehicle


def test_point_beside_the_middle_of_a_road_joins_mid_road() -> None:
    """111 m north of the short road's middle: joined there, half the road from the hub."""
    network = read_roads(DATA / "maxweight.osm")
    joined, snap = with_points(network, [("mid", 10.0025, 45.001)])
    node = joined.graph.nodes[snap.nodes[0]]
    assert node["lon"] == pytest.approx(10.0025, abs=1e-6)
    assert node["lat"] == pytest.approx(45.0, abs=1e-6)
    assert snap.snap_distance_m[0] == pytest.approx(111.2, abs=0.5)
    assert joined.graph.number_of_nodes() == network.graph.number_of_nodes() + 1


def test_matrix_to_a_mid_road_pickup_is_part_of_the_road() -> None:
    """The van drives a quarter of the short road, not to a junction and back."""
    day = day_on("maxweight.osm", vehicle("van"), at=(10.0025, 45.0005))
    roads = day.profiles["all"]
    assert roads.matrix.distance_m[0, 1] == pytest.approx(SHORT_M / 4, abs=2)
    assert roads.snap_m["V1"] == pytest.approx(55.6, abs=0.5)


def test_points_off_every_usable_road_are_listed() -> None:
    """Each point beyond the limit is named; a vehicle's closed roads do not count."""
    network = read_roads(DATA / "plain.osm")
    with pytest.raises(NetworkError) as err:
        with_points(
            network,
            [("far", 10.5, 45.5), ("near", 10.0, 45.0), ("far2", 11, 46)],
            max_snap_m=2000,
            kind="pickup",
        )
    text = str(err.value)
    assert "pickup 'far'" in text
    assert "pickup 'far2'" in text
    assert "'near'" not in text
