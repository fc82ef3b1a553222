"""Job functions for the service tests (module-level so that worker processes can run them).

``fake_plan_job`` returns a valid plan (one run through every pickup in request order,
straight-line figures) in milliseconds, so most tests need not run the real solver.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

from routing.model import Plan, Run, Stop, Summary, problem_from_dict
from routing.units import format_clock
from service.jobs import failure


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111.32 * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = (a[1] - b[1]) * 110.57
    return math.hypot(dx, dy)


def make_plan(payload: dict[str, Any]) -> dict[str, Any]:
    """A plan.json with one run visiting every pickup in order."""
    problem = problem_from_dict(payload["problem"])
    hub = problem.hubs[0]
    vt = problem.vehicle_types[0]
    t = vt.shift_start_s
    here = hub.location
    dist_m = 0
    stops = []
    load = 0
    for p in problem.pickups:
        leg_km = _km(here, p.location)
        dist_m += round(leg_km * 1000)
        t += round(leg_km / 25 * 3600)
        arrival = t
        t += p.service_s
        load += p.parcels
        stops.append(
            Stop(
                pickup_id=p.id,
                village=p.village,
                lon=p.lon,
                lat=p.lat,
                location=p.location,
                arrival=arrival,
                arrival_time=format_clock(arrival),
                departure=t,
                departure_time=format_clock(t),
                service=p.service_s,
                parcels=p.parcels,
                weight_kg=p.weight_kg,
                load_parcels=load,
                load_kg=0.0,
                distance=dist_m,
                cost_rmb=1.0,
            )
        )
        here = p.location
    dist_m += round(_km(here, hub.location) * 1000)
    run = Run(
        vehicle=f"{vt.name}-1",
        vehicle_type=vt.name,
        hub_id=hub.id,
        start=vt.shift_start_s,
        start_time=format_clock(vt.shift_start_s),
        end=t,
        end_time=format_clock(t),
        distance=dist_m,
        duration=t - vt.shift_start_s,
        distance_km=dist_m / 1000,
        duration_h=(t - vt.shift_start_s) / 3600,
        parcels=load,
        weight_kg=0.0,
        cost_rmb=float(len(stops)),
        stops=tuple(stops),
    )
    summary = Summary(
        total_cost_rmb=float(len(stops)),
        cost_per_parcel_rmb=None,
        parcels=load,
        weight_kg=0.0,
        distance_km=dist_m / 1000,
        duration_h=run.duration_h,
        runs=1,
        vehicles=1,
        unassigned=0,
        pickups=len(stops),
        solver="fake",
    )
    plan = Plan(name=problem.name, summary=summary, runs=(run,), unassigned=())
    return plan.model_dump(mode="json")


def fake_plan_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Instant fake solve."""
    try:
        return {"status": "done", "plan": make_plan(payload)}
    except Exception as exc:
        return failure(exc)


def slow_plan_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Sleep for the request's time limit, then answer like ``fake_plan_job``."""
    time.sleep(float(payload["options"]["time_limit_s"]))
    return fake_plan_job(payload)


def crashing_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Kill the worker process (like the OOM killer would)."""
    os._exit(1)


def scheduling_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Report the worker's CPU scheduling: policy and nice value."""
    return {"policy": os.sched_getscheduler(0), "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def deadline_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Answer like ``fake_plan_job``, the plan's timings saying when the request arrived,
    when this job started and how many seconds the real job's deadline leaves."""
    from service.jobs import ARRIVED_KEY, job_deadline

    started = time.time()
    deadline = job_deadline(payload, len(payload["problem"]["pickups"]))
    plan = make_plan(payload)
    plan["summary"]["timings_s"] = {
        "arrived": float(payload.get(ARRIVED_KEY, -1.0)),
        "job_started": started,
        "left": -1.0 if deadline is None else deadline.remaining_s(),
    }
    return {"status": "done", "plan": plan}
