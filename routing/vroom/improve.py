"""Local search on clean routes, judged by VROOM's own rules.

The OR-Tools model states VROOM's constraints, but a few of VROOM's rules sit between
its lines (a break taken on the way, setup skipped at a shared location), so its
search can stop at routes that VROOM's rules would let improve. Here the routes are
improved move by move: relocating a segment of one to three tasks (a shipment with
both its ends), exchanging two jobs, exchanging route tails (2-opt*), reversing a
segment (symmetric costs) and inserting unassigned tasks. A move's cost change is
computed in O(1) from integer arc costs; only improving moves are then checked with
:func:`routing.vroom.timeline.route_timeline`, so every accepted move keeps the
routes free of violations and lowers their exact cost.
"""

from __future__ import annotations

import time

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
    left = insert_unassigned(s, _servable(problem, unassigned))
    while time.perf_counter() < deadline:
        if not _descend(s, deadline):
            break
        if left:
            left = insert_unassigned(s, left)
    if time.perf_counter() < deadline:
        left = ruin_and_recreate(s, left, deadline, polish=_descend)
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
