"""The lean break clock: it must agree with the timeline that the answer reports."""

from __future__ import annotations

import numpy as np
import pytest

from routing.vroom.break_clock import late_count, with_breaks
from routing.vroom.request import VroomProblem, parse_request
from routing.vroom.samples import random_request
from routing.vroom.search_state import Search
from routing.vroom.timeline import Item, route_timeline


def _with_breaks(first: int, count: int) -> list[VroomProblem]:
    """The first ``count`` sample requests from seed ``first`` whose vehicles take breaks."""
    found: list[VroomProblem] = []
    seed = first
    while len(found) < count:
        problem = parse_request(random_request(seed, n_jobs=14, n_vehicles=2))
        if any(v.breaks for v in problem.vehicles):
            found.append(problem)
        seed += 1
    return found


def _routes(s: Search, r: int, rng: np.random.Generator, n: int) -> list[list[int]]:
    """Up to ``n`` short task sequences on vehicle ``r`` that obey every rule but breaks."""
    jobs = [t.rank for t in s.p.tasks if t.partner is None and s.allowed[t.rank][r]]
    out: list[list[int]] = []
    for _ in range(40 * n):
        if len(out) == n or not jobs:
            break
        size = int(rng.integers(1, min(6, len(jobs)) + 1))
        seq = [int(i) for i in rng.choice(jobs, size=size, replace=False)]
        if s.quick_ok(r, seq) and s._on_time(r, seq) and s._in_order(seq):
            out.append(seq)
    return out


@pytest.mark.parametrize("problem", _with_breaks(0, 6), ids=lambda p: f"tasks{len(p.tasks)}")
def test_counts_nothing_late_exactly_when_the_timeline_finds_no_violation(
    problem: VroomProblem,
) -> None:
    """Every break at a random gap of routes that obey every other rule: the lean clock
    finds nothing late exactly when ``route_timeline`` reports no violation (with a
    speed factor: only where it does); and the breaks it places leave a route the
    timeline finds clean."""
    s = Search(problem, {})
    rng = np.random.default_rng(len(problem.tasks))
    outcomes: set[bool] = set()
    for r, v in enumerate(problem.vehicles):
        if not v.breaks:
            continue
        for seq in _routes(s, r, rng, 25):
            items: list[Item] = [("task", i) for i in seq]
            for b in range(len(v.breaks)):
                gap = int(rng.integers(0, len(items) + 1))
                items.insert(gap, ("break", b))
            clean = not route_timeline(problem, v, items).violations
            on_time = late_count(problem, v, items, s.travel[r]) == 0
            if v.speed_factor == 1.0:
                assert on_time == clean
            else:  # legs rounded up to whole seconds: never on time where VROOM's clock is late
                assert clean or not on_time
            outcomes.add(clean)
            placed = with_breaks(problem, v, seq, [], s.travel[r])
            if placed is not None:
                assert route_timeline(problem, v, placed).violations == []
                assert [i for k, i in placed if k == "task"] == seq
    assert outcomes, "some routes were tried"


def test_both_outcomes_are_met() -> None:
    """The agreement above is not vacuous: over these requests, some random break
    placements are late and some are on time."""
    outcomes: set[bool] = set()
    for problem in _with_breaks(0, 6):
        s = Search(problem, {})
        rng = np.random.default_rng(len(problem.tasks))
        for r, v in enumerate(problem.vehicles):
            for seq in _routes(s, r, rng, 25) if v.breaks else []:
                items: list[Item] = [("task", i) for i in seq]
                items.insert(int(rng.integers(0, len(items) + 1)), ("break", 0))
                outcomes.add(late_count(problem, v, items, s.travel[r]) == 0)
    assert outcomes == {True, False}
