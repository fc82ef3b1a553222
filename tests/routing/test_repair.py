"""Repair of relaxed plans: over-long rides are taken out and re-inserted feasibly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from routing.solve.check import check_solution, solution_cost
from routing.solve.instance import Route, Solution, Trip, VehicleTypeData
from routing.solve.pyvrp_engine import solve_pyvrp, solve_pyvrp_relaxed
from routing.solve.pyvrp_features import relax
from routing.solve.repair import repair
from tests.routing.test_ortools_engine import line_instance


def plan(*trips: tuple[int, ...], vehicle: int = 0) -> Solution:
    return Solution((Route(0, vehicle, tuple(Trip(t) for t in trips)),), (), 0, "test")


def test_a_perishable_riding_too_long_moves_to_a_run_where_it_fits() -> None:
    """Perishable at 10 (12 s on board) collected before a detour to 20: it rides 30 s.

    Visiting 20 first and 10 on the way back gives it 10 s on board at the same cost.
    """
    inst = line_instance([10, 20], vehicles=1, max_on_board=np.array([12, 0], dtype=np.int64))
    bad = plan((0, 1))
    assert check_solution(inst, bad)
    fixed = repair(inst, bad)
    assert check_solution(inst, fixed) == []
    assert [t.clients for r in fixed.routes for t in r.trips] == [(1, 0)]
    assert solution_cost(inst, fixed) == solution_cost(inst, bad) == 40


def test_a_client_that_fits_nowhere_stays_unassigned() -> None:
    """Capacity 1 and one vehicle with one run: the second client has no place."""
    inst = line_instance([10, 20], capacity=1, vehicles=1)
    inst = replace(inst, required=np.array([False, False]), prize=np.array([100, 100]))
    fixed = repair(inst, Solution((), (0, 1), 0, "test"))
    assert check_solution(inst, fixed) == []
    assert len(fixed.unassigned) == 1
    assert sum(len(t.clients) for r in fixed.routes for t in r.trips) == 1


def test_an_optional_client_costing_more_than_its_prize_is_left_out() -> None:
    inst = line_instance([10, 500], vehicles=2)
    inst = replace(inst, required=np.array([True, False]), prize=np.array([0, 50]))
    fixed = repair(inst, Solution((), (0, 1), 0, "test"))
    assert fixed.unassigned == (1,)  # 1,000 to fetch against a prize of 50
    assert check_solution(inst, fixed) == []


def test_a_second_run_of_the_same_vehicle_is_used_when_allowed() -> None:
    vt = VehicleTypeData("v", 1, (1,), 0, 0, max_trips=2)
    inst = replace(line_instance([10, 20], capacity=1, vehicles=1), vehicle_types=(vt,))
    fixed = repair(inst, plan((0,)))
    assert check_solution(inst, fixed) == []
    assert [len(r.trips) for r in fixed.routes] == [2]


def test_relaxed_pyvrp_plans_respect_time_on_board_after_repair() -> None:
    """Random perishables on a line: PyVRP ignores the limit, the repair enforces it.

    Each perishable may ride its straight way home plus 30 s, so a plan exists.
    """
    rng = np.random.default_rng(7)
    xs = rng.integers(1, 200, 25)
    limits = np.where(rng.random(25) < 0.4, xs + 30, 0).astype(np.int64)
    inst = line_instance(xs.tolist(), capacity=8, vehicles=25, max_on_board=limits)
    unrepaired = solve_pyvrp(relax(inst), time_limit_s=1)
    assert any("on board" in p for p in check_solution(inst, unrepaired))
    sol = solve_pyvrp_relaxed(inst, time_limit_s=1)
    assert check_solution(inst, sol) == []
    assert sol.unassigned == ()


def test_an_overloaded_run_is_trimmed_and_the_rest_goes_on_a_free_vehicle() -> None:
    """An engine stopped early left three loads of 1 on a capacity-2 van: one moves."""
    inst = line_instance([10, 20, 30], capacity=2, vehicles=2)
    bad = plan((0, 1, 2))
    assert any("over capacity" in p for p in check_solution(inst, bad))
    fixed = repair(inst, bad)
    assert check_solution(inst, fixed) == []
    assert sorted(t.clients for r in fixed.routes for t in r.trips) == [(0, 1), (2,)]


def test_a_client_on_a_vehicle_type_it_may_not_use_is_moved() -> None:
    two = (VehicleTypeData("van", 1, (10,), 0, 0), VehicleTypeData("truck", 1, (10,), 0, 0))
    inst = replace(
        line_instance([10, 20]),
        vehicle_types=two,
        allowed=np.array([[True, True], [True, False]]),
    )
    bad = Solution((Route(1, 0, (Trip((0, 1)),)),), (), 0, "test")
    fixed = repair(inst, bad)
    assert check_solution(inst, fixed) == []
    assert {(r.vehicle_type, t.clients) for r in fixed.routes for t in r.trips} == {
        (1, (0,)),
        (0, (1,)),
    }
