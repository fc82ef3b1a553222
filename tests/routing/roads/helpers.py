"""Shared pieces of the road tests: the hand-written OSM files and a one-pickup day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routing.io import make_problem
from routing.matrix import TravelMatrix
from routing.model import Hub, PickupPoint, Problem, VehicleType
from routing.roads import read_roads
from routing.roads.flow import DayRoads, prepare_day

DATA = Path(__file__).resolve().parents[2] / "data" / "osm"
SHARED_OSM = Path(__file__).resolve().parents[3] / ".." / "shared" / "osm"
ANDORRA_PBF = SHARED_OSM / "andorra.osm.pbf"

HUB = (10.0, 45.0)
VILLAGE = (10.01, 45.0)
SHORT_M = 786.0
"""The short road from the hub to the village (0.01 degrees of longitude at 45 N)."""
DETOUR_M = 3010.0
"""The detour: 1.11 km north, 0.79 km east, 1.11 km south."""


def vehicle(name: str = "van", **fields: Any) -> VehicleType:
    """A vehicle type with room for the day; ``fields`` set its dimensions and rules."""
    return VehicleType(name=name, capacity_parcels=100, capacity_kg=5000, **fields)


def one_pickup_day(*types: VehicleType, at: tuple[float, float] = VILLAGE) -> Problem:
    """The hub at node 1 and one pickup (``V1``) at ``at``."""
    return make_problem(
        hubs=[Hub(id="hub", lon=HUB[0], lat=HUB[1])],
        pickups=[
            PickupPoint(id="V1", village="village", lon=at[0], lat=at[1], parcels=1, weight_kg=1)
        ],
        fleet=list(types),
    )


def day_on(
    name: str, *types: VehicleType, at: tuple[float, float] = VILLAGE, **read: Any
) -> DayRoads:
    """Read ``tests/data/osm/<name>`` and join the one-pickup day (``V1`` at ``at``) to it."""
    network = read_roads(DATA / name, **read)
    return prepare_day(one_pickup_day(*types, at=at), network, max_snap_m=500)


def matrix_on(name: str, vt: VehicleType, **read: Any) -> TravelMatrix:
    """The vehicle's travel matrix (hub, V1) on a hand-written file."""
    return day_on(name, vt, **read).profiles[vt.profile].matrix
