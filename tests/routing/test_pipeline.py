"""The whole path: problem → matrices → solve → plan, judged by the independent checker."""

from __future__ import annotations

import pytest

from routing.build import split_oversize
from routing.errors import InputError
from routing.matrix import StraightLineMatrixProvider
from routing.model import PickupPoint, Problem, UnassignedReason, VehicleType
from routing.pipeline import SolveOptions, matrices_for, plan_day
from routing.plan_check import check_plan
from tests.routing.factories import HUB, pickup, random_problem, truck, van

FAST = SolveOptions(time_limit_s=2, iterations=30, engines=("ortools",))


def test_plan_passes_the_independent_checker_and_accounts_for_every_pickup() -> None:
    problem = random_problem(30, seed=1)
    plan = plan_day(problem, options=FAST)
    matrices = matrices_for(problem, StraightLineMatrixProvider())
    assert check_plan(problem, plan, matrices) == []
    served = {s.pickup_id for r in plan.runs for s in r.stops}
    left = {u.pickup_id for u in plan.unassigned}
    assert served | left == {p.id for p in problem.pickups}
    assert not served & left


def test_costs_add_up_exactly_per_run_and_in_total() -> None:
    plan = plan_day(random_problem(25, seed=2), options=FAST)
    for run in plan.runs:
        assert sum(round(s.cost_rmb * 100) for s in run.stops) == round(run.cost_rmb * 100)
        parts = run.fixed_cost_rmb + run.distance_cost_rmb + run.time_cost_rmb
        assert parts == pytest.approx(run.cost_rmb, abs=0.02)
    total = sum(round(r.cost_rmb * 100) for r in plan.runs)
    assert round(plan.summary.total_cost_rmb * 100) == total
    handled = plan.summary.parcels + plan.summary.delivery_parcels
    assert plan.summary.cost_per_parcel_rmb == pytest.approx(total / 100 / handled, abs=0.005)


def test_run_cost_is_fixed_plus_km_plus_hours() -> None:
    problem = Problem(
        hubs=(HUB,),
        pickups=(pickup("A", 0.1, 0.0),),
        vehicle_types=(van(count=1, fixed_rmb_per_run=50, rmb_per_km=2, rmb_per_hour=30),),
    )
    (run,) = plan_day(problem, options=FAST).runs
    expected = 50 + 2 * run.distance / 1000 + 30 * run.duration / 3600
    assert run.cost_rmb == pytest.approx(expected, abs=0.01)


def test_same_input_and_seed_give_the_same_plan() -> None:
    problem = random_problem(30, seed=4)
    a = plan_day(problem, options=FAST)
    b = plan_day(problem, options=FAST)
    assert a.model_dump(exclude={"summary"}) == b.model_dump(exclude={"summary"})


def test_load_after_each_stop_counts_drops_and_collections() -> None:
    problem = Problem(
        hubs=(HUB,),
        pickups=(
            pickup("A", 0.05, 0.0, parcels=10, delivery_parcels=4),
            pickup("B", 0.06, 0.01, parcels=5, delivery_parcels=6),
        ),
        vehicle_types=(van(count=1),),
    )
    (run,) = plan_day(problem, options=FAST).runs
    first, _ = run.stops
    assert [s.load_parcels for s in run.stops] == [10 + first.parcels - first.delivery_parcels, 15]


def test_must_serve_pickups_beyond_the_fleet_are_unassigned_for_capacity() -> None:
    problem = Problem(
        hubs=(HUB,),
        pickups=tuple(pickup(f"P{i}", 0.02 * i, 0.01, parcels=100) for i in range(1, 5)),
        vehicle_types=(van(count=1),),
    )
    plan = plan_day(problem, options=FAST)
    assert len(plan.runs) == 1
    assert {u.reason for u in plan.unassigned} == {UnassignedReason.CAPACITY}
    assert len(plan.unassigned) == 3


def test_higher_priority_pickup_is_kept_when_capacity_is_short() -> None:
    problem = Problem(
        hubs=(HUB,),
        pickups=(
            pickup("low", 0.02, 0.0, parcels=100),
            pickup("high", 0.2, 0.1, parcels=100, priority=5),
        ),
        vehicle_types=(van(count=1),),
    )
    plan = plan_day(problem, options=FAST)
    assert [s.pickup_id for s in plan.runs[0].stops] == ["high"]


def test_oversize_pickup_is_an_error_unless_split_is_asked() -> None:
    pickups = (pickup("big", 0.05, 0.0, parcels=500, weight_kg=6000),)
    problem = Problem(hubs=(HUB,), pickups=pickups, vehicle_types=(van(), truck(count=2)))
    with pytest.raises(InputError, match="pickup 'big'"):
        plan_day(problem, options=FAST)
    split = problem.model_copy(update={"split_oversize": True})
    plan = plan_day(split, options=FAST)
    assert sum(s.parcels for r in plan.runs for s in r.stops) == 500
    assert check_plan(split_oversize(split), plan) == []
    assert check_plan(split, plan) == []
    assert plan.summary.feasible


# The default path (the engines' portfolio) on days the fleet cannot fully serve. Each
# once came back with every pickup "assigned": 100 parcels on a 50-parcel van, stops
# served past their window, runs back after the shift.
_TWENTY = tuple(
    pickup(f"P{i:02d}", 0.02 * (i % 5), 0.015 * (i // 5), parcels=10, weight_kg=50)
    for i in range(20)
)
PORTFOLIO = SolveOptions(time_limit_s=1.0, workers=1, baselines=False)


@pytest.mark.parametrize(
    ("case", "pickups", "fleet", "reason"),
    [
        ("capacity", _TWENTY, van(count=2, capacity_parcels=50), UnassignedReason.CAPACITY),
        (
            "windows",
            tuple(
                p.model_copy(update={"ready_s": 8 * 3600, "close_s": 8 * 3600 + 1800})
                for p in _TWENTY
            ),
            van(count=2, capacity_parcels=500),
            UnassignedReason.TIME_WINDOW,
        ),
        (
            "shift",
            _TWENTY,
            van(count=2, capacity_parcels=500, shift_start_s="08:00", shift_end_s="10:00"),
            UnassignedReason.SHIFT_TOO_SHORT,
        ),
    ],
)
def test_a_day_the_fleet_cannot_serve_comes_back_honestly_partial(
    case: str, pickups: tuple[PickupPoint, ...], fleet: VehicleType, reason: UnassignedReason
) -> None:
    problem = Problem(hubs=(HUB,), pickups=pickups, vehicle_types=(fleet,))
    plan = plan_day(problem, options=PORTFOLIO)
    assert check_plan(problem, plan, matrices_for(problem, StraightLineMatrixProvider())) == []
    assert plan.summary.feasible, plan.summary.violations
    assert plan.runs, "what fits is still planned"
    assert plan.unassigned, f"{case}: the fleet cannot serve all 20 pickups"
    assert {u.reason for u in plan.unassigned} == {reason}
    served = sum(len(r.stops) for r in plan.runs)
    assert served + len(plan.unassigned) == 20
