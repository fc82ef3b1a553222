"""A task left out swapped in for a served one, as VROOM's unassigned exchange.

Under a distance, travel-time or task limit a route is full: no left-out task fits,
and moving served tasks around never changes which ones are served. Swapping one
left-out task (or shipment) for one served task does: the answer gets better when it
serves more tasks (a shipment in for a job), tasks of higher priority, or the same
tasks at a lower cost. Ruin and recreate finds such swaps only by chance; here every
one is priced (cost change in O(1) per place) and the best are checked against
VROOM's rules.
"""

from __future__ import annotations

import heapq

from routing.vroom.moves import pair_insertions, with_pair
from routing.vroom.search_state import Move, Search, gap_costs

#: Swaps checked against VROOM's rules per call, best first.
_CHECKS = 40
#: Most places priced per call (about half a second's work; none of the benchmark's
#: requests can reach 600,000): on larger requests the swaps are left to ruin and recreate.
_MOST_PRICED = 1_000_000

Key = tuple[int, int, int]  # change in tasks out, in their priority, in cost
Swap = tuple[Key, int, int, int, int, int]  # key, route, task in, task out, gap(s)


def exchange_unassigned(s: Search, left: list[int]) -> tuple[list[int], bool]:
    """Take the best swap that passes VROOM's rules, if any.

    ``left``: pickups and jobs not served. Returns the new ``left`` and whether a swap
    was taken.
    """
    if _places(s, left) > _MOST_PRICED:
        return left, False
    found: list[Swap] = []
    for r, seq in enumerate(s.seq):
        for w in seq:
            if s.p.tasks[w].kind == "delivery":
                continue
            out = _without(s, seq, w)
            gain = s.route_cost(r, out) - s.route_cost(r, seq)
            for u in left:
                if s.allowed[u][r]:
                    found.extend(_swaps(s, r, out, u, w, gain))
    for _key, r, u, w, g1, g2 in heapq.nsmallest(_CHECKS, found):
        out = _without(s, s.seq[r], w)
        partner = s.p.tasks[u].partner
        new = [*out[:g1], u, *out[g1:]] if partner is None else with_pair(out, u, partner, g1, g2)
        if s.apply(Move(0, {r: new})):
            return [*[x for x in left if x != u], w], True
    return left, False


def _places(s: Search, left: list[int]) -> int:
    """Places :func:`exchange_unassigned` would price: per served task, a gap of its
    route per job left out, a pair of gaps per shipment."""
    pairs = sum(1 for u in left if s.p.tasks[u].partner is not None)
    jobs = len(left) - pairs
    return sum(
        len(q) * (jobs * (len(q) + 1) + pairs * (len(q) + 1) * (len(q) + 2) // 2) for q in s.seq
    )


def _without(s: Search, seq: list[int], w: int) -> list[int]:
    partner = s.p.tasks[w].partner
    return [i for i in seq if i != w and i != partner]


def _weight(s: Search, t: int) -> tuple[int, int]:
    """Tasks a pickup or job stands for (a shipment: two, as VROOM counts), and their priority."""
    n = 1 if s.p.tasks[t].partner is None else 2
    return n, n * s.p.tasks[t].priority


def _swaps(s: Search, r: int, out: list[int], u: int, w: int, gain: int) -> list[Swap]:
    """The improving ways to put ``u`` into ``out`` (route ``r`` without ``w``)."""
    (nu, pu), (nw, pw) = _weight(s, u), _weight(s, w)
    if (nw - nu, pw - pu) > (0, 0):
        return []
    same = (nw - nu, pw - pu) == (0, 0)
    if s.p.tasks[u].partner is not None:
        places = pair_insertions(s, r, out, u)
    elif not out:
        places = [(s.route_cost(r, [u]), 0, -1)]
    else:
        places = [(d, g, -1) for g, d in enumerate(gap_costs(s.cost[r], s.path(r, out), s.loc[u]))]
    return [
        ((nw - nu, pw - pu, delta + gain), r, u, w, g1, g2)
        for delta, g1, g2 in places
        if not same or delta + gain < 0
    ]
