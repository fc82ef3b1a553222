"""The three-tier solve under a deadline: sub-solves get what it leaves, moves stop
when it has passed, and an iteration budget stays independent of the clock."""

from __future__ import annotations

import time
from typing import Any

import pytest

from routing.deadline import MIN_SOLVE_S, Deadline
from routing.pipeline import SolveOptions
from routing.tiers import solve
from routing.tiers.check import check_tier_plan
from routing.tiers.flow import plan_tiers
from routing.tiers.legal import SUB_ITERATIONS, with_options
from routing.tiers.roads import tier_matrices
from tests.routing.tiers.cases import far_cluster

CLOCK = SolveOptions(time_limit_s=60, baselines=False)
ITERATIONS = SolveOptions(time_limit_s=20, iterations=40, baselines=False)


def _expired() -> Deadline:
    return Deadline(time.monotonic() - 1.0)


def test_an_expired_deadline_gives_the_first_plan_without_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tp = far_cluster()
    calls: list[tuple[float, Deadline | None]] = []
    real = solve.plan_legal

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append((args[3].time_limit_s, kwargs.get("deadline")))
        return real(*args, **kwargs)

    monkeypatch.setattr(solve, "plan_legal", recording)
    steps: list[str] = []
    plan = plan_tiers(tp, options=CLOCK, deadline=_expired(), progress=steps.append)
    assert not [s for s in steps if s.startswith("move")]
    # One station day and one hub day, each passed the deadline's (spent) remainder.
    assert len(calls) == 2
    for limit_s, deadline in calls:
        assert limit_s == MIN_SOLVE_S
        assert deadline is not None
        assert deadline.remaining_s() <= 0
    matrices, _ = tier_matrices(tp, None)
    assert check_tier_plan(tp, plan, matrices) == []
    assert plan.summary.unassigned == 0
    # The first plan is delivered: the cost estimate sends the far cluster to its station.
    assert any(r.tier == "feeder" for r in plan.runs)


def test_an_iteration_budget_tries_every_move_whatever_the_clock() -> None:
    steps: list[str] = []
    late = plan_tiers(far_cluster(), options=ITERATIONS, deadline=_expired(), progress=steps.append)
    assert "move 1" in steps
    on_time = plan_tiers(far_cluster(), options=ITERATIONS)
    assert late.summary.total_cost_rmb == on_time.summary.total_cost_rmb
    assert [r.vehicle for r in late.runs] == [r.vehicle for r in on_time.runs]


def test_a_sub_solve_gets_at_most_its_part_of_what_is_left() -> None:
    assert with_options(CLOCK, 1 / 3, 5.0).time_limit_s == 20
    assert with_options(CLOCK, 1 / 3, 5.0, left_s=10.0).time_limit_s == 5.0
    # The deadline wins over the floor; a spent one still lets the engine start.
    assert with_options(CLOCK, 1 / 3, 5.0, left_s=4.0).time_limit_s == 2.0
    assert with_options(CLOCK, 1 / 3, 5.0, left_s=-3.0).time_limit_s == MIN_SOLVE_S
    assert with_options(CLOCK, 1 / 3, 5.0).iterations == SUB_ITERATIONS
    # An iteration budget keeps its own cap, whatever the clock says.
    capped = with_options(ITERATIONS, 1 / 3, 5.0, left_s=-3.0)
    assert (capped.time_limit_s, capped.iterations) == (20, 40)
