"""Local search and ruin and recreate on clean routes, judged by VROOM's own rules.

The OR-Tools model states VROOM's constraints, but a few of VROOM's rules sit between
its lines (a break taken on the way, setup skipped at a shared location), and its
guided local search stalls where tasks must move around several routes at once (a
mixed fleet with fixed costs, ``max_tasks``) or where a distance limit decides how
many tasks fit. Here the routes are improved move by move (:mod:`routing.vroom.moves`:
segments of one to three tasks or a whole shipment relocated, SWAP*, 2-opt*, 2-opt,
unassigned tasks inserted), then by ruin and recreate (:mod:`routing.vroom.lns`) until
the deadline. A move's cost change is computed in O(1) from integer arc costs; only
improving moves are checked against VROOM's rules (exactly, by
:class:`routing.vroom.search_state.Search`), so every accepted move keeps the routes
free of violations. The caller keeps the result only if the timeline finds it clean
and better.
"""

from __future__ import annotations

import time

from routing.vroom.exchange import exchange_unassigned
from routing.vroom.lns import ruin_and_recreate
from routing.vroom.model import can_serve
from routing.vroom.moves import insert_unassigned, scan
from routing.vroom.prices import Prices
from routing.vroom.request import VroomProblem
from routing.vroom.search_state import Search
from routing.vroom.timeline import Item

#: Improving moves checked against VROOM's rules per scan before rescanning.
_CHECKS_PER_SCAN = 60


def improve(
    problem: VroomProblem,
    routes: dict[int, list[Item]],
    unassigned: list[int],
    deadline: float,
    *,
    prices: Prices | None = None,
) -> tuple[dict[int, list[Item]], list[int]]:
    """Improve clean ``routes`` until no move helps or ``deadline`` (perf_counter) passes.

    Returns the routes (breaks placed) and the ranks of the tasks still unassigned.
    Served tasks stay served; unassigned ones are inserted where VROOM's rules allow.
    """
    s = Search(problem, routes, prices)
    left = polish(s, insert_unassigned(s, _servable(problem, unassigned)), deadline)
    if time.perf_counter() < deadline:
        left = ruin_and_recreate(s, left, deadline, polish=polish)
    served = {i for seq in s.seq for i in seq}
    return s.items, [t.rank for t in problem.tasks if t.rank not in served]


def reinsert(
    problem: VroomProblem,
    routes: dict[int, list[Item]],
    unassigned: list[int],
    prices: Prices | None = None,
) -> dict[int, list[Item]]:
    """``routes`` with what fits of ``unassigned`` inserted at its cheapest clean place."""
    s = Search(problem, routes, prices)
    insert_unassigned(s, _servable(problem, unassigned))
    return s.items


def _servable(problem: VroomProblem, unassigned: list[int]) -> list[int]:
    """Pickups and jobs of ``unassigned`` that some vehicle could take (skills, amounts):
    the others are not tried again and again."""
    return [
        i
        for i in unassigned
        if problem.tasks[i].kind != "delivery"
        and any(can_serve(problem, v, problem.tasks[i]) for v in problem.vehicles)
    ]


def polish(s: Search, left: list[int], deadline: float) -> list[int]:
    """Improving moves, insertions and swaps with left-out tasks until none helps.

    Returns the tasks still left out.
    """
    while time.perf_counter() < deadline:
        _descend(s, deadline)
        if not left:
            break
        before = len(left)
        left = insert_unassigned(s, left)
        left, swapped = exchange_unassigned(s, left)
        if not swapped and len(left) == before:
            break
    return left


def _descend(s: Search, deadline: float) -> bool:
    """Take improving moves until none is left; True if any was taken."""
    improved = False
    while time.perf_counter() < deadline:
        touched: set[int] = set()
        checks = s.checks + _CHECKS_PER_SCAN
        for move in scan(s):
            if s.checks >= checks or time.perf_counter() >= deadline:
                break
            if touched & move.routes.keys():
                continue
            if s.apply(move):
                touched |= move.routes.keys()
        if not touched:
            break
        improved = True
    return improved
