"""Ruin and recreate on clean routes, judged by VROOM's own rules.

Moves of one or two tasks cannot exchange tasks around three routes at once, which a
heterogeneous fleet (fixed costs, per-vehicle rates, ``max_tasks``) often needs. Each
iteration removes a few related tasks (one task and its nearest neighbours, shipments
whole; around a task left out, or a shipment's two ends, that task then goes in first;
now and then tasks scattered over the routes) and inserts them back one by one at
their cheapest place that VROOM's rules allow; the result is kept when it serves as
many tasks and costs less than the current routes plus a threshold that shrinks to
zero by the deadline. Seeded: deterministic for a given number of iterations.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from routing.vroom.moves import insert_unassigned
from routing.vroom.recreate import insert_by_regret
from routing.vroom.search_state import Move, Search

#: Most tasks removed by one ruin.
_MAX_RUIN = 10
#: Cheapest places tried per task when recreating (most of the time goes there).
_TRIES = 12
#: Share of ruins that take a whole short route.
_ROUTE_RUIN = 0.3
#: Share of recreates that insert the cheapest task first (else in random order) while
#: tasks are left out: slower, but packs more under a distance or travel-time limit.
_GREEDY = 0.5
#: Share of recreates by regret insertion (the rest by cheapest place, as below).
_REGRET = 0.4
#: Share of ruins, while tasks are left out, that take tasks anywhere on the routes
#: (room for one more task may need two far-apart detours gone), and the share of
#: those that take half the served tasks.
_SCATTERED, _HALF = 0.35, 0.3
#: Share of iterations that first let two vehicles trade routes.
_VEHICLE_SWAP = 0.1
#: Threshold on the relative cost increase accepted at the start.
_START_THRESHOLD = 0.1
#: Iterations without a new best, per task (at least ``_STALL_MIN``), after which the
#: search stops before its deadline: by then more time rarely pays on these sizes.
STALL_PER_TASK, _STALL_MIN = 50, 200
#: Iterations without a new best after which the search goes on from the best routes.
_BACK_TO_BEST = 150
#: Restarts from the best routes, shaken, before a stalled search stops.
_RESTARTS = 2
#: Share of the served tasks a shake removes and inserts again by regret.
_SHAKE = 0.4


def _neighbours(s: Search) -> list[list[int]]:
    """For each task, the other tasks by increasing travel from it (first vehicle's costs)."""
    c = np.asarray(s.cost[0], dtype=np.float64)
    loc = np.asarray(s.loc)
    near = c[np.ix_(loc, loc)] + c[np.ix_(loc, loc)].T
    return [
        [int(j) for j in np.argsort(row, kind="stable") if j != i] for i, row in enumerate(near)
    ]


def ruin_and_recreate(
    s: Search,
    left: list[int],
    deadline: float,
    *,
    seed: int = 0,
    iterations: int | None = None,
    polish: Callable[[Search, list[int], float], list[int]] | None = None,
) -> list[int]:
    """Improve ``s`` in place until ``deadline`` (or after ``iterations``).

    ``left``: the pickups and jobs not served. Returns those still not served.
    ``polish`` (a local search; given and returning the tasks left out) is run on each
    new best routes.
    """
    rng = np.random.default_rng(seed)
    near = _neighbours(s)
    began = time.perf_counter()
    span = max(deadline - began, 1e-6)
    current = best = s.total()
    best_state = s.snapshot()
    current_left = best_left = list(left)
    done = last_best = restarts = 0
    stall = max(_STALL_MIN, STALL_PER_TASK * len(s.p.tasks))
    while time.perf_counter() < deadline and (iterations is None or done < iterations):
        done += 1
        if iterations is None and done - last_best > stall:
            if restarts == _RESTARTS:
                break
            # Stalled: start again from the best routes shaken hard, once or twice.
            restarts, last_best = restarts + 1, done
            began, span = time.perf_counter(), max(deadline - time.perf_counter(), 1e-6)
            s.restore(best_state)
            current_left = _shake(s, list(best_left), rng)
            current = s.total()
            continue
        if done > last_best and (done - last_best) % _BACK_TO_BEST == 0:
            # A walk among worse routes rarely comes back by itself: go on from the best.
            s.restore(best_state)
            current, current_left = best, list(best_left)
        served = [i for seq in s.seq for i in seq]
        if not served:
            break
        state = s.snapshot()
        if len(s.seq) > 1 and rng.random() < _VEHICLE_SWAP:
            _swap_vehicles(s, rng)
        around, centre, k = _ruin_around(s, near, served, current_left, rng)
        removed = _ruin(s, around, centre, k)
        if removed is None:
            s.restore(state)
            continue
        order = [int(i) for i in rng.permutation(removed)]
        if centre in current_left:
            # The room was made for the task left out at the centre: it goes in first,
            # whatever its place costs (cheapest-first and regret would put it last).
            rest = [t for t in current_left if t != centre]
            still = insert_unassigned(s, [centre, *order, *rest], shuffled=True, tries=_TRIES)
        else:
            still = _recreate(s, order, current_left, rng)
        cost, rank = s.total(), _rank(s, still)
        progress = done / iterations if iterations else (time.perf_counter() - began) / span
        threshold = _START_THRESHOLD * (1 - progress)
        per_task = best / max(1, len(served))
        best_out = _rank(s, best_left)[0]
        if _accepts((rank, cost), (_rank(s, current_left), current), best_out, per_task, threshold):
            current, current_left = cost, still
            if (rank, cost) < (_rank(s, best_left), best):
                if polish is not None:
                    still = current_left = polish(s, still, deadline)
                    cost = current = s.total()
                best, best_left, best_state = cost, list(still), s.snapshot()
                last_best = done
        else:
            s.restore(state)
    s.restore(best_state)
    return best_left


def _recreate(
    s: Search, removed: list[int], left: list[int], rng: np.random.Generator
) -> list[int]:
    """Insert what fits of ``removed`` and ``left``; returns what is left out."""
    # Tasks left out first, half the time: they take the room just made. Else the
    # removed tasks go back first: when every route is full (task limits, loads)
    # the left-out ones would otherwise take the room and the try would fail.
    order = [*left, *removed] if rng.random() < 0.5 else [*removed, *left]
    if rng.random() < _REGRET:
        return insert_by_regret(s, order)
    if left and rng.random() < _GREEDY:
        return insert_by_regret(s, order, cheapest_first=True)
    return insert_unassigned(s, order, shuffled=True, tries=_TRIES)


def _ruin_around(
    s: Search, near: list[list[int]], served: list[int], left: list[int], rng: np.random.Generator
) -> tuple[list[int], int, int]:
    """What to ruin: (tasks by nearness, centre, how many)."""
    k = int(rng.integers(1, min(_MAX_RUIN, max(2, len(served) // 3)) + 1))
    # Half the time around a task left out: room made near it may let it in;
    # now and then a whole short route, so that another vehicle may take it.
    pool = left if left and rng.random() < 0.5 else served
    centre = pool[int(rng.integers(len(pool)))]
    short = [seq for seq in s.seq if 0 < len(seq) <= _MAX_RUIN]
    if short and rng.random() < _ROUTE_RUIN:
        around = _route_and_neighbours(short[int(rng.integers(len(short)))], near, served)
        return around, around[0], len(around)
    if left and rng.random() < _SCATTERED:
        scattered = [int(i) for i in rng.permutation(served)]
        if rng.random() < _HALF:
            k = max(k, len(served) // 2)
        return scattered, scattered[0], k
    partner = s.p.tasks[centre].partner
    if partner is None:
        return near[centre], centre, k
    # A shipment left out needs room near both its ends.
    both = [t for pair in zip(near[centre], near[partner], strict=True) for t in pair]
    return list(dict.fromkeys(both)), centre, k


Score = tuple[tuple[int, int], int]  # (tasks out, their priority), cost


def _accepts(new: Score, current: Score, best_out: int, per_task: float, threshold: float) -> bool:
    """Threshold acceptance on (tasks out, cost). One task (or shipment) more out than the
    best routes is accepted too when the routes get cheaper by more than ``per_task`` (the cost of
    a served task, on average): room made by leaving one out may let two in later,
    which strictly ranked answers never reach under a distance or time limit."""
    (rank, cost), (now, now_cost) = new, current
    if rank < now:
        return True
    if rank == now:
        return cost < now_cost * (1 + threshold)
    more = rank[0] - now[0]
    return 0 < more <= 2 and rank[0] <= best_out + 2 and cost + more * per_task < now_cost


def _shake(s: Search, left: list[int], rng: np.random.Generator) -> list[int]:
    """Remove a random ``_SHAKE`` of the served tasks and insert them again by regret,
    whatever it costs: a way out of the basin the search stalled in."""
    served = [i for seq in s.seq for i in seq]
    order = [int(i) for i in rng.permutation(served)]
    state = s.snapshot()
    removed = _ruin(s, order, order[0], max(1, int(_SHAKE * len(served))))
    if removed is None:
        s.restore(state)
        return left
    return insert_by_regret(s, [*removed, *left])


def _swap_vehicles(s: Search, rng: np.random.Generator) -> None:
    """Two vehicles trade routes (one may be empty), if both obey the rules after: the
    moves that follow may then merge a route into one that now has room."""
    a, b = (int(x) for x in rng.choice(len(s.seq), size=2, replace=False))
    if s.seq[a] or s.seq[b]:
        s.apply(Move(0, {a: list(s.seq[b]), b: list(s.seq[a])}))


def _route_and_neighbours(route: list[int], near: list[list[int]], served: list[int]) -> list[int]:
    """A route's tasks and, for each, its nearest served task elsewhere: so that another
    vehicle can take the route while this one takes tasks near it (task limits)."""
    on = set(served)
    extra: list[int] = []
    for t in route:
        other = next((u for u in near[t] if u in on and u not in route and u not in extra), None)
        if other is not None:
            extra.append(other)
    return [*route, *extra]


def _rank(s: Search, left: list[int]) -> tuple[int, int]:
    """Tasks left out (a shipment counts its two ends, as VROOM's ``unassigned`` does),
    then their priority: fewer first, then lower (as the answer is judged)."""
    tasks = s.p.tasks
    missed = sum(1 if tasks[i].partner is None else 2 for i in left)
    return missed, sum(tasks[i].priority * (1 if tasks[i].partner is None else 2) for i in left)


def _ruin(s: Search, near: list[int], centre: int, k: int) -> list[int] | None:
    """Remove ``centre`` and its nearest served neighbours, ``k`` tasks at most (pairs whole).

    Returns the removed pickups and jobs (a shipment's delivery follows its pickup);
    None when a route left behind breaks a rule.
    """
    served = {i for seq in s.seq for i in seq}
    removed: set[int] = set()
    for t in [centre, *near]:
        if len(removed) >= k:
            break
        if t not in served or t in removed:
            continue
        partner = s.p.tasks[t].partner
        removed |= {t} if partner is None else {t, partner}
    for r, seq in enumerate(s.seq):
        if removed & set(seq) and not s.drop(r, [i for i in seq if i not in removed]):
            return None
    return [i for i in removed if s.p.tasks[i].kind != "delivery"]
