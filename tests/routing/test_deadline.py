"""The time limit bounds the whole plan: the solver gets what the other steps leave."""

from __future__ import annotations

import time
from typing import Any

import pytest

import routing.pipeline as pipeline
from routing.deadline import MIN_SOLVE_S, Deadline, after_solve_s, process_started
from routing.pipeline import SolveOptions, plan_day
from tests.routing.factories import random_problem


def test_solver_share_is_what_is_left_after_the_estimated_steps() -> None:
    d = Deadline.after(10.0, reserve_s=2.0)
    share = d.solver_s(1000)
    assert share == pytest.approx(10.0 - 2.0 - after_solve_s(1000), abs=0.05)
    late = Deadline(time.monotonic() - 1.0)
    assert late.solver_s(10) == MIN_SOLVE_S


def test_process_start_is_in_the_past_on_the_monotonic_clock() -> None:
    started = process_started()
    assert started <= time.monotonic()
    assert Deadline.since_process_start(5.0).end == pytest.approx(started + 5.0, abs=0.5)


def test_pipeline_gives_the_solver_less_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engines are asked for the limit minus the time already spent and the
    estimated time to assemble and price the plan; the plan says so."""
    seen: list[float] = []
    real = pipeline.run_engines

    def recording(instance: Any, options: SolveOptions) -> Any:
        seen.append(options.time_limit_s)
        return real(instance, options)

    monkeypatch.setattr(pipeline, "run_engines", recording)
    problem = random_problem(40, seed=7)
    deadline = Deadline.after(5.0, reserve_s=1.0)
    options = SolveOptions(time_limit_s=5.0, engines=("ortools",))
    plan = plan_day(problem, options=options, deadline=deadline)
    (given,) = seen
    assert given < 5.0 - 1.0 - after_solve_s(len(problem.pickups)) + 0.05
    assert given > 1.0
    assert plan.summary.timings_s["solver_budget"] == pytest.approx(given, abs=1e-3)
    # With an iteration count the count ends the search; the limit stays its cap.
    seen.clear()
    plan_day(problem, options=SolveOptions(time_limit_s=5.0, engines=("ortools",), iterations=5))
    assert seen == [5.0]
