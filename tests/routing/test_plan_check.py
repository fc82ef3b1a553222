"""The independent plan checker catches tampered plans."""

from __future__ import annotations

from routing.plan_check import check_plan
from routing.matrix import StraightLineMatrixProvider
from routing.model import Plan
from routing.pipeline import SolveOptions, matrices_for, plan_day
from tests.routing.factories import random_problem

PROBLEM = random_problem(12, seed=7)
PLAN = plan_day(PROBLEM, options=SolveOptions(time_limit_s=2, iterations=20))
MATRICES = matrices_for(PROBLEM, StraightLineMatrixProvider())


def tamper_first_stop(**update: object) -> Plan:
    run = PLAN.runs[0]
    stop = run.stops[0].model_copy(update=update)
    run = run.model_copy(update={"stops": (stop, *run.stops[1:])})
    return PLAN.model_copy(update={"runs": (run, *PLAN.runs[1:])})


def test_a_good_plan_passes() -> None:
    assert check_plan(PROBLEM, PLAN, MATRICES) == []


def test_a_missing_pickup_is_caught() -> None:
    run = PLAN.runs[0].model_copy(update={"stops": PLAN.runs[0].stops[1:]})
    bad = PLAN.model_copy(update={"runs": (run, *PLAN.runs[1:])})
    assert any("appears 0 times" in m for m in check_plan(PROBLEM, bad, MATRICES))


def test_an_impossibly_early_arrival_is_caught() -> None:
    bad = tamper_first_stop(arrival=PLAN.runs[0].start + 1)
    assert any("faster than the roads allow" in m for m in check_plan(PROBLEM, bad, MATRICES))


def test_a_wrong_load_is_caught() -> None:
    bad = tamper_first_stop(load_parcels=10_000)
    assert any("load_parcels" in m for m in check_plan(PROBLEM, bad, MATRICES))


def test_shares_that_do_not_add_up_are_caught() -> None:
    bad = tamper_first_stop(cost_rmb=PLAN.runs[0].stops[0].cost_rmb + 1)
    assert any("stop shares add to" in m for m in check_plan(PROBLEM, bad, MATRICES))


def test_service_outside_the_window_is_caught() -> None:
    bad = tamper_first_stop(arrival=3600, waiting_time=0)
    assert any("outside window" in m for m in check_plan(PROBLEM, bad, MATRICES))
