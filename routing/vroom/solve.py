"""Solve a VROOM problem: search, then make every route clean, or check given routes.

The OR-Tools model states the constraints, but a few of VROOM's rules sit between its
lines (a break taken before the travel to the next stop, a break's ``max_load``, setup
skipped at a shared location). So every route is recomputed with VROOM's rules
(:mod:`routing.vroom.timeline`); breaks are moved to the gap where they fit and, if a
violation is left, the lowest-priority task at fault is unassigned until the route is
clean. Unassigned tasks are then offered again to every route (cheapest clean
insertion). The best answer of the OR-Tools runs is then improved under VROOM's rules
(:mod:`routing.vroom.improve`) with the rest of the budget. The answer never carries
a violation, except in plan mode, where the routes are the caller's and the
violations are the point.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from routing.vroom.improve import improve, reinsert
from routing.vroom.model import search_routes
from routing.vroom.prices import Prices
from routing.vroom.request import StepSpec, Task, Vehicle, VroomProblem
from routing.vroom.timeline import Item, RouteTimeline, place_breaks, route_timeline


@dataclass
class VroomSolution:
    """Routes (VROOM's rules applied) and the tasks left out."""

    routes: list[RouteTimeline]
    unassigned: list[Task]
    solving_ms: int = 0
    notes: list[str] = field(default_factory=list)


def default_time_limit_s(problem: VroomProblem) -> float:
    """Search budget that grows with the request: 0.2 s + 120 ms per task, at most 30 s.

    A cap, not a target: ruin and recreate stops once it stalls
    (:data:`routing.vroom.lns.STALL_PER_TASK`), so an easy request answers early.
    """
    return min(30.0, 0.2 + 0.12 * len(problem.tasks))


def solve_vroom(problem: VroomProblem, *, time_limit_s: float | None = None) -> VroomSolution:
    """Solve (or, in plan mode, check) ``problem``.

    Parameters
    ----------
    problem
        A parsed request.
    time_limit_s
        Search budget in seconds; default ``options.l`` of the request, else
        :func:`default_time_limit_s`.
    """
    began = time.perf_counter()
    if problem.plan_mode:
        solution = _plan(problem)
    else:
        limit = time_limit_s or problem.timeout_s or default_time_limit_s(problem)
        solution = _portfolio(problem, limit)
    solution.solving_ms = round(1000 * (time.perf_counter() - began))
    return solution


#: First-solution strategies tried in turn, each followed by guided local search: they
#: fail on different requests (arc-first finds the most tasks under a distance or
#: task limit, insertion-first under tight windows), so the best clean answer is kept.
STRATEGIES = ("PATH_CHEAPEST_ARC", "PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")
_POLISH_SHARE = 0.4
#: Share of the budget kept for the local search and ruin and recreate under VROOM's
#: rules (0.5 and 0.75 were tried on the benchmark's hardest requests: 0.75 starves
#: the OR-Tools runs that find the most tasks under a distance limit).
_IMPROVE_SHARE = 0.6


def _portfolio(problem: VroomProblem, limit_s: float) -> VroomSolution:
    deadline = time.perf_counter() + limit_s
    limit_s *= 1 - _IMPROVE_SHARE
    prices = Prices(problem)
    best: VroomSolution | None = None
    runs = [(strategy, "cost") for strategy in STRATEGIES]
    # Under a distance or travel-time limit, the most tasks fit on the shortest routes.
    if any(v.max_distance_m is not None for v in problem.vehicles) and problem.has_distances:
        runs.append(("PATH_CHEAPEST_ARC", "distance"))
    if any(v.max_travel_time_s is not None for v in problem.vehicles):
        runs.append(("PATH_CHEAPEST_ARC", "travel"))
    share = limit_s * (1 - _POLISH_SHARE) / len(runs)
    for strategy, objective in runs:
        found = search_routes(problem, share, strategy=strategy, objective=objective, prices=prices)
        if found is None and any(v.breaks for v in problem.vehicles):
            found = search_routes(
                problem,
                share,
                strategy=strategy,
                objective=objective,
                with_breaks=False,
                prices=prices,
            )
        solution = _clean(problem, found.routes if found is not None else {}, prices)
        if best is None or _score(solution) < _score(best):
            best = solution
    assert best is not None
    if best.routes and _POLISH_SHARE > 0:
        # Go on from the best clean answer with the rest of the budget.
        seed_routes: list[list[int]] = [[] for _ in problem.vehicles]
        for tl in best.routes:
            seed_routes[tl.vehicle.rank] = [i for s, i in _items_of(problem, tl) if s == "task"]
        polish_s = limit_s * _POLISH_SHARE
        found = search_routes(problem, polish_s, initial=seed_routes, prices=prices)
        if found is not None:
            polished = _clean(problem, found.routes, prices)
            if _score(polished) < _score(best):
                best = polished
    return _improved(problem, best, deadline, prices)


def _improved(
    problem: VroomProblem, solution: VroomSolution, deadline: float, prices: Prices
) -> VroomSolution:
    """``solution`` after local search under VROOM's own rules (never worse)."""
    routes = {tl.vehicle.rank: _items_of(problem, tl, breaks=True) for tl in solution.routes}
    left = [t.rank for t in solution.unassigned]
    found, left = improve(problem, routes, left, deadline, prices=prices)
    timelines = [route_timeline(problem, problem.vehicles[r], found[r]) for r in sorted(found)]
    better = VroomSolution(timelines, [problem.tasks[i] for i in left])
    if any(tl.violations for tl in timelines) or _score(better) >= _score(solution):
        return solution
    return better


def _items_of(problem: VroomProblem, tl: RouteTimeline, *, breaks: bool = False) -> list[Item]:
    rank = {(t.kind, t.id): t.rank for t in problem.tasks}
    brk = {b.id: k for k, b in enumerate(tl.vehicle.breaks)}
    out: list[Item] = []
    for s in tl.steps:
        if s["type"] in ("job", "pickup", "delivery"):
            out.append(("task", rank[(s["type"], s["id"])]))
        elif s["type"] == "break" and breaks:
            out.append(("break", brk[s["id"]]))
    return out


def _score(solution: VroomSolution) -> tuple[int, int, int]:
    priority = sum(r.priority for r in solution.routes)
    return len(solution.unassigned), -priority, sum(r.cost for r in solution.routes)


def _plan(problem: VroomProblem) -> VroomSolution:
    rank = {(t.kind, t.id): t.rank for t in problem.tasks}
    routes: list[RouteTimeline] = []
    served: set[int] = set()
    for v in problem.vehicles:
        if not v.steps:
            continue
        items: list[Item] = []
        specs: list[StepSpec | None] = []
        for s in v.steps:
            if s.kind == "break":
                items.append(("break", next(b for b, x in enumerate(v.breaks) if x.id == s.id)))
            elif s.kind in ("job", "pickup", "delivery") and s.id is not None:
                items.append(("task", rank[(s.kind, s.id)]))
                served.add(items[-1][1])
            else:
                continue
            specs.append(s)
        routes.append(route_timeline(problem, v, items, specs))
    unassigned = [t for t in problem.tasks if t.rank not in served]
    return VroomSolution(routes, unassigned)


def _clean(
    problem: VroomProblem, found: dict[int, list[Item]], prices: Prices | None = None
) -> VroomSolution:
    routes: dict[int, list[Item]] = {}
    for v in problem.vehicles:
        items = _clean_route(problem, v, found.get(v.rank, []))
        if items:
            routes[v.rank] = items
    served = {i for items in routes.values() for kind, i in items if kind == "task"}
    left = [t.rank for t in problem.tasks if t.rank not in served]
    routes = reinsert(problem, routes, left, prices)
    served = {i for items in routes.values() for kind, i in items if kind == "task"}
    timelines = [route_timeline(problem, problem.vehicles[r], routes[r]) for r in sorted(routes)]
    return VroomSolution(timelines, [t for t in problem.tasks if t.rank not in served])


def _clean_route(problem: VroomProblem, v: Vehicle, items: list[Item]) -> list[Item]:
    """``items`` without violations: breaks moved, then tasks at fault unassigned."""
    while any(kind == "task" for kind, _ in items):
        tl = route_timeline(problem, v, items)
        if not tl.violations:
            return items
        placed = place_breaks(problem, v, items)
        if placed is not None:
            return placed
        bad = tl.bad_tasks or {i for kind, i in items if kind == "task"}
        victim = min(bad, key=lambda i: (problem.tasks[i].priority, -_position(items, i)))
        partner = problem.tasks[victim].partner
        items = [it for it in items if it not in (("task", victim), ("task", partner))]
    return []


def _position(items: Sequence[Item], rank: int) -> int:
    return items.index(("task", rank))
