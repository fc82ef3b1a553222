"""Random VROOM requests over every feature, for the oracle tests and the benchmark.

Synthetic: locations uniform on a 20 km square, travel at 10 m/s on straight lines.
Each request draws which features it uses (amounts in one or two components, skills,
one or two time windows, setup, priorities, shipments, breaks with ``max_load``,
``speed_factor``, ``max_tasks``, ``max_travel_time``, ``max_distance``, costs, open
routes, a costs matrix), so a few hundred seeds cover their combinations.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def random_request(seed: int, n_jobs: int = 20, n_vehicles: int = 3) -> dict[str, Any]:
    """A valid index-mode VROOM request drawn from ``seed`` (deterministic)."""
    rng = np.random.default_rng(seed)
    use = {
        k: bool(rng.random() < 0.4)
        for k in (
            "tw", "two_tw", "setup", "priority", "skills", "shipments", "breaks", "speed",
            "max_tasks", "max_travel", "max_distance", "costs", "open", "two_dims", "cost_matrix",
        )
    }  # fmt: skip
    n_ship = int(rng.integers(1, max(2, n_jobs // 4))) if use["shipments"] else 0
    n_loc = 1 + n_jobs + 2 * n_ship + 1
    xy = rng.uniform(0, 20_000, size=(n_loc, 2))
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    dur = np.rint(dist / 10).astype(int)
    dims = 2 if use["two_dims"] else 1
    day = 8 * 3600
    horizon = int(day * rng.uniform(0.5, 1.2))
    jobs = [_job(rng, i, use, dims, horizon) for i in range(n_jobs)]
    shipments = [_shipment(rng, n_jobs + 1 + 2 * s, s, use, dims, horizon) for s in range(n_ship)]
    total = sum(sum(j.get("delivery", [0])) + sum(j.get("pickup", [0])) for j in jobs)
    vehicles = [
        _vehicle(rng, k, use, dims, horizon, total, n_jobs, n_vehicles, n_loc)
        for k in range(n_vehicles)
    ]
    matrices: dict[str, Any] = {"durations": dur.tolist(), "distances": dist.tolist()}
    if use["cost_matrix"]:
        matrices["costs"] = np.rint(dur * rng.uniform(0.5, 2.0)).astype(int).tolist()
        for v in vehicles:
            v.get("costs", {}).pop("per_hour", None)
            v.get("costs", {}).pop("per_km", None)
    request: dict[str, Any] = {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": matrices}}
    if shipments:
        request["shipments"] = shipments
    return request


def _windows(rng: np.random.Generator, use: dict[str, bool], horizon: int) -> list[list[int]]:
    width = int(rng.integers(1800, 4 * 3600))
    a = int(rng.integers(0, max(1, horizon - width)))
    out = [[a, a + width]]
    if use["two_tw"] and rng.random() < 0.6:
        b = a + width + int(rng.integers(1800, 3 * 3600))
        out.append([b, b + int(rng.integers(900, 3600))])
    return out


def _job(
    rng: np.random.Generator, i: int, use: dict[str, bool], dims: int, horizon: int
) -> dict[str, Any]:
    job: dict[str, Any] = {"id": 100 + i, "location_index": 1 + i}
    job["service"] = int(rng.integers(0, 900))
    amount = [int(x) for x in rng.integers(1, 10, size=dims)]
    job["delivery" if rng.random() < 0.5 else "pickup"] = amount
    if use["setup"]:
        job["setup"] = int(rng.integers(0, 300))
    if use["tw"] and rng.random() < 0.7:
        job["time_windows"] = _windows(rng, use, horizon)
    if use["priority"]:
        job["priority"] = int(rng.integers(0, 101))
    if use["skills"] and rng.random() < 0.5:
        job["skills"] = [int(rng.integers(1, 4))]
    return job


def _shipment(
    rng: np.random.Generator, loc: int, s: int, use: dict[str, bool], dims: int, horizon: int
) -> dict[str, Any]:
    ends = {}
    for k, kind in enumerate(("pickup", "delivery")):
        step: dict[str, Any] = {"id": 500 + s, "location_index": loc + k}
        step["service"] = int(rng.integers(0, 600))
        if use["tw"] and rng.random() < 0.5:
            step["time_windows"] = _windows(rng, use, horizon)
        ends[kind] = step
    shipment: dict[str, Any] = {**ends, "amount": [int(x) for x in rng.integers(1, 8, size=dims)]}
    if use["priority"]:
        shipment["priority"] = int(rng.integers(0, 101))
    if use["skills"] and rng.random() < 0.3:
        shipment["skills"] = [int(rng.integers(1, 4))]
    return shipment


def _vehicle(
    rng: np.random.Generator,
    k: int,
    use: dict[str, bool],
    dims: int,
    horizon: int,
    total: int,
    n_jobs: int,
    n_vehicles: int,
    n_loc: int,
) -> dict[str, Any]:
    cap = max(5, math.ceil(total / dims / n_vehicles * rng.uniform(0.6, 1.5)))
    v: dict[str, Any] = {"id": k + 1, "start_index": 0, "capacity": [cap] * dims}
    if not (use["open"] and rng.random() < 0.5):
        v["end_index"] = 0 if rng.random() < 0.7 else n_loc - 1
    v["time_window"] = [0, horizon]
    if use["skills"]:
        v["skills"] = sorted({int(x) for x in rng.integers(1, 4, size=2)})
    if use["breaks"]:
        a = int(rng.integers(2 * 3600, max(2 * 3600 + 1, horizon - 3600)))
        brk: dict[str, Any] = {"id": 10 * (k + 1), "service": int(rng.integers(300, 1800))}
        brk["time_windows"] = [[a, a + 3600]]
        if rng.random() < 0.3:
            brk["time_windows"].append([a + 7200, a + 9000])
        if rng.random() < 0.3:
            brk["max_load"] = [cap] * dims
        v["breaks"] = [brk]
    if use["speed"]:
        v["speed_factor"] = float(round(rng.uniform(0.7, 1.5), 2))
    if use["max_tasks"]:
        v["max_tasks"] = int(rng.integers(2, max(3, n_jobs // n_vehicles + 3)))
    if use["max_travel"]:
        v["max_travel_time"] = int(rng.integers(3600, max(3601, horizon)))
    if use["max_distance"]:
        v["max_distance"] = int(rng.integers(20_000, 120_000))
    if use["costs"]:
        v["costs"] = {
            "fixed": int(rng.integers(0, 5000)),
            "per_hour": int(rng.integers(1000, 7200)),
            "per_km": int(rng.integers(0, 500)),
        }
    return v
