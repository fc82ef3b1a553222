"""Regret insertion: the recreate step that packs tight routes.

Inserting tasks in random or cheapest-first order fills the easy places first; a task
that fits on one route only (skills, ``max_tasks``, a distance limit, a full vehicle)
then finds that route taken and is left out, and ruin and recreate rejects the try.
Regret insertion inserts next the task that loses most if it waits: the gap between its
best clean place and its best clean place on another route (a task with one clean route
left goes first). Each (task, route) best place is kept and recomputed only for the
route that just changed, so a recreate costs about one scan of the pending tasks per
insertion.
"""

from __future__ import annotations

import heapq

from routing.vroom.moves import pair_insertions, whole_cost, with_pair
from routing.vroom.search_state import Move, Search

#: Cheapest gaps checked against VROOM's rules per (task, route) before giving up.
_TRIES_PER_ROUTE = 6
#: Regret of a task with a single clean route left: it goes before any other.
_ALONE = 1 << 60


def insert_by_regret(s: Search, left: list[int], *, cheapest_first: bool = False) -> list[int]:
    """Insert what fits of ``left`` (pickups and jobs), largest regret first.

    Higher priority goes first among tasks with a place; ties go to the cheaper
    insertion. ``cheapest_first``: the task whose best place is cheapest goes next
    instead (packs more under a distance or travel-time limit). Returns the tasks
    still left out.
    """
    pending = list(left)
    best: dict[int, dict[int, Move]] = {t: {} for t in pending}
    for t in pending:
        for r in range(len(s.seq)):
            _refresh(s, best[t], t, r)
    still: list[int] = []
    while pending:
        placeable = [t for t in pending if best[t]]
        still.extend(t for t in pending if not best[t])
        if not placeable:
            break
        if cheapest_first:
            t = min(placeable, key=lambda x: min(m.delta for m in best[x].values()))
        else:
            t = max(placeable, key=lambda x: _urgency(s, x, best[x]))
        move = min(best[t].values(), key=lambda m: m.delta)
        pending = [x for x in placeable if x != t]
        if not s.apply(move):  # the cache said clean: only a stale entry gets here
            still.append(t)
            continue
        (r,) = move.routes
        for x in pending:
            # A task with no clean place on a route rarely finds one once the route
            # takes more (it only gets longer, later and fuller): not priced again.
            if r in best[x]:
                _refresh(s, best[x], x, r)
    return still


def _urgency(s: Search, t: int, places: dict[int, Move]) -> tuple[int, int, int]:
    deltas = sorted(m.delta for m in places.values())
    regret = deltas[1] - deltas[0] if len(deltas) > 1 else _ALONE
    return s.p.tasks[t].priority, regret, -deltas[0]


def _refresh(s: Search, places: dict[int, Move], t: int, r: int) -> None:
    """``places[r]``: task ``t``'s cheapest clean place on route ``r`` (absent if none)."""
    places.pop(r, None)
    if not s.may_take(r, t):
        return
    for delta, seq in _candidates(s, t, r, _TRIES_PER_ROUTE):
        if s.fitted(r, seq) is not None:
            places[r] = Move(delta, {r: seq})
            return


def _candidates(s: Search, t: int, r: int, most: int) -> list[tuple[int, list[int]]]:
    """The ``most`` cheapest places for ``t`` on route ``r``: (cost change, new sequence)."""
    seq, partner = s.seq[r], s.p.tasks[t].partner
    if partner is not None:
        options = heapq.nsmallest(most, pair_insertions(s, r, seq, t))
        return [(d, with_pair(seq, t, partner, g1, g2)) for d, g1, g2 in options]
    lt, c = s.loc[t], s.cost[r]
    if not seq:
        return [(whole_cost(s, r, lt, 0, lt), [t])]
    p = s.path(r)
    within = s.within_limits(r, p, lt)
    # Priced gap by gap, only where the limits allow: the hot path of every recreate.
    gaps = heapq.nsmallest(
        most,
        (
            (c[p[g]][lt] + c[lt][p[g + 1]] - c[p[g]][p[g + 1]], g)
            for g in range(len(p) - 1)
            if within[g]
        ),
    )
    return [(d, [*seq[:g], t, *seq[g:]]) for d, g in gaps]
