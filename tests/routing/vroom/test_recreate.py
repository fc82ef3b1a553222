"""Regret and cheapest-first insertion: every route they leave is clean by VROOM's rules."""

from __future__ import annotations

from typing import Any

from routing.vroom.moves import insert_unassigned
from routing.vroom.recreate import insert_by_regret
from routing.vroom.request import VroomProblem, parse_request
from routing.vroom.search_state import Move, Search
from routing.vroom.timeline import route_timeline

from .test_improve import _start


def _two_vans() -> dict[str, Any]:
    """Van 1 (skill 1, one task) and van 2 (two tasks); job 101 needs skill 1.

    Job 102 sits at van 1's depot, so the cheapest place for it is van 1.
    """
    durations = [
        [0, 50, 1, 60],
        [50, 0, 50, 40],
        [1, 50, 0, 60],
        [60, 40, 60, 0],
    ]
    return {
        "vehicles": [
            {"id": 1, "start_index": 0, "end_index": 0, "skills": [1], "max_tasks": 1},
            {"id": 2, "start_index": 3, "end_index": 3, "max_tasks": 2},
        ],
        "jobs": [
            {"id": 101, "location_index": 1, "skills": [1]},
            {"id": 102, "location_index": 2},
            {"id": 103, "location_index": 3},
        ],
        "matrices": {"car": {"durations": durations}},
    }


def _rank(problem: VroomProblem, job_id: int) -> int:
    return next(t.rank for t in problem.tasks if t.id == job_id)


def test_regret_serves_the_task_with_one_route_first() -> None:
    """In the given order the cheap job takes van 1 and the skilled job is left out;
    by regret the skilled job (one route only) goes first and all three are served."""
    problem = parse_request(_two_vans())
    order = [_rank(problem, i) for i in (102, 101, 103)]
    greedy = Search(problem, {})
    left = insert_unassigned(greedy, order, shuffled=True)
    assert left == [_rank(problem, 101)]
    s = Search(problem, {})
    assert insert_by_regret(s, order) == []
    assert s.seq[0] == [_rank(problem, 101)]
    for r, items in s.items.items():
        assert route_timeline(problem, problem.vehicles[r], items).violations == []


def test_may_take_rules_out_only_what_cannot_fit() -> None:
    """A full van, a missing skill: ruled out; and no place a van is ruled out for is clean."""
    problem = parse_request(_two_vans())
    s = Search(problem, {})
    a, b = _rank(problem, 101), _rank(problem, 102)
    assert s.may_take(0, a)
    assert not s.may_take(1, a)
    assert s.apply(Move(0, {0: [b]}))
    assert not s.may_take(0, a)  # max_tasks 1 reached
    for seed in (3, 25, 48, 243):
        problem, routes, left = _start(seed)
        s = Search(problem, routes)
        for t in left:
            for r, seq in enumerate(s.seq):
                if s.may_take(r, t) or problem.tasks[t].partner is not None:
                    continue
                for g in range(len(seq) + 1):
                    assert s.fitted(r, [*seq[:g], t, *seq[g:]]) is None


def test_cheapest_first_serves_what_fits_under_a_distance_limit() -> None:
    """Tasks taken off a distance-bound route go back, cheapest first, within the limit."""
    problem, routes, _ = _start(248)
    s = Search(problem, routes)
    r = max(range(len(s.seq)), key=lambda k: len(s.seq[k]))
    jobs = [i for i in s.seq[r] if problem.tasks[i].partner is None][:4]
    assert s.drop(r, [i for i in s.seq[r] if i not in jobs])
    still = insert_by_regret(s, jobs, cheapest_first=True)
    assert len(still) < len(jobs)
    for k, items in s.items.items():
        assert route_timeline(problem, problem.vehicles[k], items).violations == []
