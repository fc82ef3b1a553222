"""Local search and ruin-and-recreate under VROOM's rules: exact prices, clean routes."""

from __future__ import annotations

import time

import numpy as np
import pytest

from routing.vroom.api import answer_request
from routing.vroom.check import check_answer
from routing.vroom.improve import improve
from routing.vroom.lns import ruin_and_recreate
from routing.vroom.model import search_routes
from routing.vroom.moves import insert_unassigned, scan
from routing.vroom.request import VroomProblem, parse_request
from routing.vroom.samples import random_request
from routing.vroom.search_state import Search
from routing.vroom.solve import _clean, _items_of
from routing.vroom.timeline import route_timeline

SEEDS = [3, 5, 8, 13, 25, 48, 102, 161, 179, 243]


def _start(seed: int) -> tuple[VroomProblem, dict[int, list[tuple[str, int]]], list[int]]:
    """A request and clean routes from a short OR-Tools search (iterations-free: 0.2 s)."""
    rng = np.random.default_rng(10_000 + seed)
    request = random_request(
        seed, n_jobs=int(rng.integers(8, 30)), n_vehicles=int(rng.integers(1, 5))
    )
    problem = parse_request(request)
    found = search_routes(problem, 0.2)
    clean = _clean(problem, found.routes if found is not None else {})
    routes = {tl.vehicle.rank: _items_of(problem, tl, breaks=True) for tl in clean.routes}
    return problem, routes, [t.rank for t in clean.unassigned]


def _timeline_cost(problem: VroomProblem, routes: dict[int, list[tuple[str, int]]]) -> int:
    return sum(route_timeline(problem, problem.vehicles[r], it).cost for r, it in routes.items())


@pytest.mark.parametrize("seed", SEEDS)
def test_move_prices_are_exact(seed: int) -> None:
    """Every move's O(1) cost change equals the change of the recomputed route costs."""
    problem, routes, _ = _start(seed)
    s = Search(problem, routes)
    moves = scan(s)
    for move in moves[:200]:
        before = sum(s.route_cost(r, s.seq[r]) for r in move.routes)
        after = sum(s.route_cost(r, seq) for r, seq in move.routes.items())
        assert after - before == move.delta
        served = sorted(i for seq in s.seq for i in seq)
        moved = [i for r, seq in enumerate(s.seq) for i in move.routes.get(r, seq)]
        assert sorted(moved) == served, "a move serves the same tasks"


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_agrees_with_the_timeline(seed: int) -> None:
    """Without breaks, the fast check accepts a shuffled route exactly when the timeline
    finds no violation; with breaks, what it accepts (breaks placed) is clean."""
    problem, routes, _ = _start(seed)
    s = Search(problem, routes)
    rng = np.random.default_rng(seed)
    tried = 0
    for r, seq in enumerate(s.seq):
        v = problem.vehicles[r]
        for _ in range(30 if seq else 0):
            trial = [int(i) for i in rng.permutation(seq)]
            fitted = s.fit(r, trial) if s.quick_ok(r, trial) else None
            if v.breaks:
                if fitted is not None:
                    assert route_timeline(problem, v, fitted).violations == []
                continue
            items = [("task", i) for i in trial]
            clean = not route_timeline(problem, v, items).violations
            assert (fitted is not None) == clean
            tried += 1
    assert tried > 0 or all(v.breaks for v in problem.vehicles)


@pytest.mark.parametrize("seed", SEEDS)
def test_improve_keeps_routes_clean_and_never_worse(seed: int) -> None:
    """Routes stay free of violations; no task is lost; the cost never rises."""
    problem, routes, left = _start(seed)
    before, served_before = _timeline_cost(problem, routes), len(problem.tasks) - len(left)
    found, still = improve(problem, routes, left, time.perf_counter() + 0.3)
    for r, items in found.items():
        assert route_timeline(problem, problem.vehicles[r], items).violations == []
    served = sorted(i for items in found.values() for k, i in items if k == "task")
    assert sorted(served + still) == list(range(len(problem.tasks)))
    assert len(served) >= served_before
    if len(served) == served_before:
        assert _timeline_cost(problem, found) <= before


def test_ruin_and_recreate_is_deterministic_by_iterations() -> None:
    """Same seed and iteration count, same routes."""
    problem, routes, left = _start(179)
    results = []
    for _ in range(2):
        s = Search(problem, routes)
        pickups = [i for i in left if problem.tasks[i].kind != "delivery"]
        ruin_and_recreate(s, pickups, time.perf_counter() + 60, iterations=40)
        results.append(s.seq)
    assert results[0] == results[1]


def test_insertion_serves_a_task_left_out() -> None:
    """A task taken off a route goes back where VROOM's rules allow."""
    problem, routes, _ = _start(13)
    s = Search(problem, routes)
    r = next(r for r, seq in enumerate(s.seq) if seq)
    task = next(i for i in s.seq[r] if problem.tasks[i].partner is None)
    assert s.drop(r, [i for i in s.seq[r] if i != task])
    assert insert_unassigned(s, [task]) == []
    assert any(task in seq for seq in s.seq)


def test_answer_with_local_search_passes_the_referee() -> None:
    """The whole answer, local search included, is clean by the independent referee."""
    request = random_request(179, n_jobs=14, n_vehicles=4)
    answer = answer_request(request, time_limit_s=0.8)
    verdict = check_answer(request, answer)
    assert verdict.violations == []
    assert answer["summary"]["cost"] == verdict.cost
