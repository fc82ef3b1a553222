"""Each vehicle type drives only the roads its weight, size and surface rules allow.

Every file in ``tests/data/osm`` joins the hub and the village by a short road that
carries the rule under test and a detour without it.
"""

from __future__ import annotations

import pytest

from routing.model import VehicleType
from tests.routing.roads.helpers import DETOUR_M, SHORT_M, matrix_on, vehicle

TRUCK = vehicle("truck", weight_t=12.0, height_m=3.9, width_m=2.5, length_m=9.5)
VAN = vehicle("van", weight_t=3.5, height_m=2.6, width_m=2.0, length_m=5.9)


def _both_ways_m(name: str, vt: VehicleType) -> tuple[int, int]:
    m = matrix_on(name, vt)
    return int(m.distance_m[0, 1]), int(m.distance_m[1, 0])


@pytest.mark.parametrize(
    ("name", "blocked", "allowed"),
    [
        ("maxweight.osm", TRUCK, VAN),
        ("maxaxleload.osm", TRUCK, vehicle("light", weight_t=12.0, axle_load_t=3.0)),
        ("maxheight.osm", TRUCK, VAN),
        ("maxwidth.osm", TRUCK, VAN),
        ("maxlength.osm", TRUCK, VAN),
        ("unpaved.osm", vehicle("paved", avoid_unpaved=True), VAN),
        ("tracktype.osm", vehicle("paved", avoid_unpaved=True), VAN),
    ],
)
def test_limits_keep_a_vehicle_off_the_road(
    name: str, blocked: VehicleType, allowed: VehicleType
) -> None:
    """Over the limit: the detour both ways. Within it: the short road."""
    for got in _both_ways_m(name, blocked):
        assert got == pytest.approx(DETOUR_M, rel=0.01)
    for got in _both_ways_m(name, allowed):
        assert got == pytest.approx(SHORT_M, rel=0.01)


@pytest.mark.parametrize(
    ("name", "out_m", "back_m"),
    [
        ("plain.osm", SHORT_M, SHORT_M),
        ("oneway.osm", SHORT_M, DETOUR_M),
        ("oneway_reverse.osm", DETOUR_M, SHORT_M),
        ("roundabout.osm", SHORT_M, DETOUR_M),
        ("access_private.osm", DETOUR_M, DETOUR_M),
        ("motor_vehicle_no.osm", DETOUR_M, DETOUR_M),
        ("access_no_motor_yes.osm", SHORT_M, SHORT_M),
        ("footway.osm", DETOUR_M, DETOUR_M),
    ],
)
def test_direction_and_access_rules_for_every_vehicle(
    name: str, out_m: float, back_m: float
) -> None:
    """One-way roads are driven one way only; private and footway roads never."""
    for vt in (VAN, TRUCK):
        out, back = _both_ways_m(name, vt)
        assert out == pytest.approx(out_m, rel=0.01)
        assert back == pytest.approx(back_m, rel=0.01)


def test_unpaved_roads_are_slower() -> None:
    """Gravel at 70 % of the class speed: the van's short trip takes longer than on asphalt."""
    gravel = matrix_on("unpaved.osm", VAN).duration_s[0, 1]
    asphalt = matrix_on("plain.osm", VAN).duration_s[0, 1]
    assert gravel == pytest.approx(asphalt / 0.7, abs=2)


def test_maxspeed_in_mph_sets_the_time() -> None:
    """10 mph on the short road: 786 m at 16.09 km/h is about 176 s."""
    m = matrix_on("maxspeed_mph.osm", VAN)
    assert m.distance_m[0, 1] == pytest.approx(SHORT_M, rel=0.01)
    assert m.duration_s[0, 1] == pytest.approx(SHORT_M / (16.0934 / 3.6), abs=2)


def test_vehicle_types_get_separate_profiles() -> None:
    """Different dimensions are different profiles; the same ones share a matrix."""
    assert TRUCK.profile != VAN.profile
    assert VAN.model_copy(update={"name": "van2"}).profile == VAN.profile
    assert vehicle("plain").profile == "all"
