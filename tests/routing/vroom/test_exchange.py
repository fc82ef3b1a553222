"""Swapping a task left out for a served one: taken exactly when the answer gets better."""

from __future__ import annotations

import math
from typing import Any

from routing.vroom.exchange import exchange_unassigned
from routing.vroom.request import VroomProblem, parse_request
from routing.vroom.search_state import Search
from routing.vroom.timeline import route_timeline

#: Points (metres) on a plane; the hub is the first. Travel: 1 m a second.
POINTS = [(0, 0), (0, 10), (3, 0), (4, 0), (6, 0)]


def _problem(
    jobs: list[dict[str, Any]], shipments: list[dict[str, Any]], max_distance: int = 20
) -> VroomProblem:
    """One vehicle from and back to the hub, at most 20 m: room for one trip only."""
    matrix = [[round(math.dist(a, b)) for b in POINTS] for a in POINTS]
    vehicle = {"id": 1, "start_index": 0, "end_index": 0, "max_distance": max_distance}
    return parse_request(
        {
            "vehicles": [vehicle],
            "jobs": jobs,
            "shipments": shipments,
            "matrices": {"car": {"durations": matrix, "distances": matrix}},
        }
    )


def _search(problem: VroomProblem, served: list[tuple[str, int]]) -> tuple[Search, list[int]]:
    rank = {(t.kind, t.id): t.rank for t in problem.tasks}
    seq = [rank[x] for x in served]
    s = Search(problem, {0: [("task", i) for i in seq]})
    left = [t.rank for t in problem.tasks if t.rank not in seq and t.kind != "delivery"]
    return s, left


def _ids(problem: VroomProblem, ranks: list[int]) -> list[tuple[str, int]]:
    return [(problem.tasks[i].kind, problem.tasks[i].id) for i in ranks]


def test_a_shipment_replaces_a_job_when_only_one_fits() -> None:
    """Job 1 (10 m out) fills the 20 m; the shipment (4 m and 6 m out) fits alone: the
    swap serves two tasks instead of one, though it costs more per task."""
    problem = _problem(
        [{"id": 1, "location_index": 1}],
        [{"pickup": {"id": 7, "location_index": 3}, "delivery": {"id": 7, "location_index": 4}}],
    )
    s, left = _search(problem, [("job", 1)])
    left, swapped = exchange_unassigned(s, left)
    assert swapped
    assert _ids(problem, s.seq[0]) == [("pickup", 7), ("delivery", 7)]
    assert _ids(problem, left) == [("job", 1)]
    assert route_timeline(problem, problem.vehicles[0], s.items[0]).violations == []


def test_a_cheaper_job_replaces_a_dearer_one_but_not_back() -> None:
    """Same count and priority: job 2 (3 m out) replaces job 1 (10 m out); from job 2
    the swap back would cost more, so none is taken."""
    jobs = [{"id": 1, "location_index": 1}, {"id": 2, "location_index": 2}]
    problem = _problem(jobs, [])
    s, left = _search(problem, [("job", 1)])
    left, swapped = exchange_unassigned(s, left)
    assert swapped
    assert _ids(problem, s.seq[0]) == [("job", 2)]
    left, swapped = exchange_unassigned(s, left)
    assert not swapped
    assert _ids(problem, s.seq[0]) == [("job", 2)]
    assert _ids(problem, left) == [("job", 1)]


def test_higher_priority_goes_in_whatever_it_costs() -> None:
    """Job 1 (priority 50, 10 m out) replaces the cheaper job 2 (priority 0)."""
    jobs = [{"id": 1, "location_index": 1, "priority": 50}, {"id": 2, "location_index": 2}]
    problem = _problem(jobs, [])
    s, left = _search(problem, [("job", 2)])
    left, swapped = exchange_unassigned(s, left)
    assert swapped
    assert _ids(problem, s.seq[0]) == [("job", 1)]
    assert _ids(problem, left) == [("job", 2)]


def test_no_swap_breaks_a_limit() -> None:
    """The distance limit is the vehicle's: at 12 m, job 1 alone (20 m) never goes in."""
    jobs = [{"id": 1, "location_index": 1, "priority": 50}, {"id": 2, "location_index": 2}]
    problem = _problem(jobs, [], max_distance=12)
    s, left = _search(problem, [("job", 2)])
    left, swapped = exchange_unassigned(s, left)
    assert not swapped
    assert _ids(problem, s.seq[0]) == [("job", 2)]
