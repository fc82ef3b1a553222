"""Tiny problems built in code, shared by the routing tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from routing.model import Hub, PickupPoint, Problem, VehicleType

HUB = Hub(id="hub", name="Xinping hub", lon=101.9887, lat=24.0729)


def pickup(pid: str, dlon: float, dlat: float, **kw: Any) -> PickupPoint:
    """A pickup ``dlon``/``dlat`` degrees from the hub."""
    base: dict[str, Any] = {
        "id": pid,
        "village": kw.pop("village", f"village {pid}"),
        "lon": HUB.lon + dlon,
        "lat": HUB.lat + dlat,
        "parcels": 20,
        "weight_kg": 200.0,
    }
    base.update(kw)
    return PickupPoint(**base)


def van(**kw: Any) -> VehicleType:
    """A light van."""
    base: dict[str, Any] = {
        "name": "van",
        "count": 3,
        "capacity_parcels": 120,
        "capacity_kg": 1500,
        "fixed_rmb_per_run": 60,
        "rmb_per_km": 1.2,
        "rmb_per_hour": 35,
        "shift_start_s": "07:00",
        "shift_end_s": "19:00",
    }
    base.update(kw)
    return VehicleType(**base)


def truck(**kw: Any) -> VehicleType:
    """A 5-t truck that avoids tracks."""
    base: dict[str, Any] = {
        "name": "truck",
        "count": 1,
        "capacity_parcels": 350,
        "capacity_kg": 5000,
        "fixed_rmb_per_run": 150,
        "rmb_per_km": 2.8,
        "rmb_per_hour": 45,
        "avoid_road_classes": ("track",),
    }
    base.update(kw)
    return VehicleType(**base)


def random_problem(n: int, seed: int = 0, **kw: Any) -> Problem:
    """``n`` pickups scattered within about 40 km of the hub."""
    rng = np.random.default_rng(seed)
    pickups = [
        pickup(
            f"P{i:03d}",
            float(rng.uniform(-0.35, 0.35)),
            float(rng.uniform(-0.3, 0.3)),
            village=f"village {i % 7}",
            parcels=int(rng.integers(5, 60)),
            weight_kg=float(rng.integers(50, 600)),
            delivery_parcels=int(rng.integers(0, 8)),
            delivery_weight_kg=float(rng.integers(0, 40)),
            ready_s="08:00",
            close_s="17:00",
        )
        for i in range(n)
    ]
    return Problem(
        hubs=(HUB,),
        pickups=tuple(pickups),
        vehicle_types=kw.pop("vehicle_types", (van(max_runs_per_day=2), truck())),
        **kw,
    )
