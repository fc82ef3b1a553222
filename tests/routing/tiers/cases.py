"""Small hand-made three-tier days on straight-line travel (great circle x 1.5 at
25 km/h), whose best answers are known by construction."""

from __future__ import annotations

from typing import Any

from routing.model import Hub, PickupPoint, Problem, VehicleType
from routing.tiers.model import DriverHours, Station
from routing.tiers.problem import Feeder, TierProblem

HUB = Hub(id="hub", lon=102.0, lat=24.0)

VAN: dict[str, Any] = {
    "capacity_parcels": 120,
    "capacity_kg": 1500,
    "fixed_rmb_per_run": 60,
    "fixed_rmb_per_day": 150,
    "rmb_per_km": 1.2,
    "rmb_per_hour": 35,
    "shift_start_s": "06:00",
    "shift_end_s": "20:00",
}
FEEDER: dict[str, Any] = {
    **VAN,
    "capacity_parcels": 80,
    "capacity_kg": 1000,
    "fixed_rmb_per_run": 30,
    "fixed_rmb_per_day": 100,
    "rmb_per_km": 1.0,
}


def _village(pid: str, lon: float, lat: float, parcels: int = 15) -> PickupPoint:
    return PickupPoint(
        id=pid,
        village=f"village {pid}",
        lon=lon,
        lat=lat,
        parcels=parcels,
        weight_kg=parcels * 12.0,
    )


def _tiers(pickups: list[PickupPoint], station: Station, vans: int = 4) -> TierProblem:
    problem = Problem(
        name="case",
        hubs=(HUB,),
        pickups=tuple(pickups),
        vehicle_types=(VehicleType(name="van", count=vans, **VAN),),
    )
    feeder = Feeder(
        station_id=station.id,
        vehicle=VehicleType(name=f"feeder@{station.id}", count=2, **FEEDER),
        like="van",
    )
    return TierProblem(
        problem=problem, stations=(station,), feeders=(feeder,), hours={"*": DriverHours()}
    )


def far_cluster() -> TierProblem:
    """Eight villages round a station about 3 h from the hub: the station must win."""
    cluster = [
        _village(f"F{k}", 102.55 + 0.04 * (k % 4), 24.0 + 0.04 * (k // 4 - 0.5)) for k in range(8)
    ]
    near = [_village("N1", 102.05, 24.03), _village("N2", 101.96, 23.97)]
    station = Station(id="S-far", name="far station", lon=102.6, lat=24.0)
    return _tiers(cluster + near, station)


def station_beside_hub() -> TierProblem:
    """Villages round the hub and a station next to it: the station must not be used."""
    villages = [
        _village(f"V{k}", 102.0 + 0.08 * ((k % 3) - 1), 24.0 + 0.08 * ((k // 3) - 1))
        for k in range(9)
        if k != 4
    ]
    station = Station(id="S-near", name="station beside the hub", lon=102.004, lat=24.002)
    return _tiers(villages, station)


def beyond_a_day() -> TierProblem:
    """One village 6 h from the hub: its 12 h round trip is no legal day's driving."""
    far = _village("X1", 102.98, 24.0, parcels=9)
    station = Station(id="S-mid", name="station near it", lon=102.85, lat=24.0)
    tp = _tiers([far, _village("N1", 102.05, 24.03)], station)
    return tp.model_copy(update={"feeders": ()})
