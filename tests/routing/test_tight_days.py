"""Random tight days through the whole pipeline: never a broken run, always a reason.

Small fleets, narrow windows, drops, driver breaks, perishables, several runs a day,
short shifts and hub hours: whatever fits is planned and the rest is unassigned with
a reason; the independent plan check finds nothing wrong. Deterministic solves (an
iteration budget) for the many examples; a few through the engines' portfolio on one
core, the path real days take.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.matrix import StraightLineMatrixProvider
from routing.model import Break, Hub, PickupPoint, Plan, Problem, VehicleType
from routing.pipeline import SolveOptions, matrices_for, plan_day
from routing.plan_check import check_plan
from tests.routing.factories import HUB

HOUR = 3600


@st.composite
def vehicle_types(draw: st.DrawFn, k: int) -> VehicleType:
    start = draw(st.integers(6, 10)) * HOUR
    brk = None
    if draw(st.booleans()):
        earliest = start + draw(st.integers(1, 4)) * HOUR
        brk = Break(
            earliest_s=earliest,
            latest_s=earliest + draw(st.integers(0, 90)) * 60,
            duration_min=draw(st.sampled_from([15.0, 30.0, 45.0])),
        )
    return VehicleType(
        name=f"type{k}",
        count=draw(st.integers(1, 2)),
        capacity_parcels=draw(st.integers(40, 120)),
        capacity_kg=draw(st.sampled_from([400.0, 800.0, 1500.0])),
        fixed_rmb_per_run=draw(st.sampled_from([0.0, 40.0])),
        fixed_rmb_per_day=draw(st.sampled_from([0.0, 100.0])),
        rmb_per_km=1.5,
        rmb_per_hour=draw(st.sampled_from([0.0, 30.0])),
        shift_start_s=start,
        shift_end_s=start + draw(st.integers(2, 9)) * HOUR,
        speed_factor=draw(st.sampled_from([0.8, 1.0])),
        max_runs_per_day=draw(st.integers(1, 2)),
        reload_min=draw(st.sampled_from([0.0, 20.0])),
        max_distance_km=draw(st.sampled_from([None, None, 40.0, 80.0])),
        driver_break=brk,
    )


@st.composite
def pickups(draw: st.DrawFn, i: int, smallest: VehicleType) -> PickupPoint:
    ready = draw(st.integers(6 * 60, 15 * 60)) * 60
    return PickupPoint(
        id=f"P{i}",
        village=f"village {i % 4}",
        lon=HUB.lon + draw(st.floats(-0.2, 0.2)),
        lat=HUB.lat + draw(st.floats(-0.2, 0.2)),
        parcels=draw(st.integers(0, smallest.capacity_parcels)),
        weight_kg=draw(st.floats(0.0, smallest.capacity_kg)),
        delivery_parcels=draw(st.sampled_from([0, 0, 5, 15])),
        delivery_weight_kg=draw(st.sampled_from([0.0, 20.0])),
        ready_s=ready,
        close_s=ready + draw(st.sampled_from([10, 30, 60, 180, 600])) * 60,
        service_min=draw(st.sampled_from([5.0, 15.0])),
        service_min_per_parcel=draw(st.sampled_from([0.0, 0.1])),
        prize_rmb=draw(st.sampled_from([None, None, None, 30.0, 300.0])),
        priority=draw(st.integers(0, 3)),
        max_on_board_min=draw(st.sampled_from([None, None, 45.0, 120.0])),
    )


@st.composite
def tight_days(draw: st.DrawFn) -> Problem:
    fleet = [draw(vehicle_types(k)) for k in range(draw(st.integers(1, 2)))]
    smallest = min(fleet, key=lambda v: (v.capacity_parcels, v.capacity_kg))
    n = draw(st.integers(3, 12))
    hub: Hub = HUB
    if draw(st.booleans()):
        hub = HUB.model_copy(update={"open_s": 8 * HOUR, "close_s": 16 * HOUR})
    return Problem(
        name="tight",
        hubs=(hub,),
        pickups=tuple(draw(pickups(i, smallest)) for i in range(n)),
        vehicle_types=tuple(fleet),
    )


def assert_honest(problem: Problem, plan: Plan) -> None:
    """No violation, by the plan's own mark and by a fresh check; every pickup placed."""
    found = check_plan(problem, plan, matrices_for(problem, StraightLineMatrixProvider()))
    assert found == [], found
    assert plan.summary.feasible
    assert plan.summary.violations == ()
    served = [s.pickup_id for r in plan.runs for s in r.stops]
    left = {u.pickup_id: u for u in plan.unassigned}
    assert sorted([*served, *left]) == sorted(p.id for p in problem.pickups)
    for u in left.values():
        assert u.reason.value
        assert u.detail


DETERMINISTIC = SolveOptions(time_limit_s=5, iterations=10, baselines=False)
PORTFOLIO = SolveOptions(time_limit_s=0.5, workers=1, baselines=False)
_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=40, **_SETTINGS)
@given(tight_days())
def test_tight_days_planned_deterministically_break_no_constraint(problem: Problem) -> None:
    assert_honest(problem, plan_day(problem, options=DETERMINISTIC))


@settings(max_examples=8, **_SETTINGS)
@given(tight_days())
def test_tight_days_planned_by_the_portfolio_break_no_constraint(problem: Problem) -> None:
    assert_honest(problem, plan_day(problem, options=PORTFOLIO))
