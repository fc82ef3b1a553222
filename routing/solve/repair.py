"""Repair a plan made for a relaxed problem: remove what breaks the full one, re-insert.

PyVRP solves Xinping-style days without the limits it cannot model (time on board of
perishables). Its plan is usually good but a few perishable pickups ride too long, and
a run cut short by its time limit may still break other constraints. Rather than
throwing the whole plan away, :func:`repair` trims every infeasible route, removes the
pickups that ride too long, then
re-inserts every unserved client where it is cheapest and the route stays feasible
(:func:`routing.solve.check.route_problems`): into an existing run, as a new run of a
vehicle with runs to spare, or on a vehicle not used yet. What cannot be placed stays
unassigned, which the independent judge then weighs like any other plan.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from routing.solve.check import check_solution, on_board_excess, route_problems, route_stats
from routing.solve.instance import Instance, Route, Solution, Trip
from routing.solve.objective import cost_view

NEAREST = 24
"""Routes considered for a client: those visiting one of its nearest clients."""


def _without(route: Route, drop: set[int]) -> Route:
    trips = tuple(Trip(tuple(c for c in t.clients if c not in drop)) for t in route.trips)
    return replace(route, trips=tuple(t for t in trips if t.clients))


def _cost(instance: Instance, route: Route) -> int:
    # Priced as the engines price it: energy on the class-weighted metres.
    view = cost_view(instance)
    return route_stats(view, route).cost if any(t.clients for t in route.trips) else 0


def _insertions(route: Route, client: int, max_trips: int) -> list[Route]:
    """Every route with ``client`` inserted once: in each run, or as a run of its own."""
    out: list[Route] = []
    trips = list(route.trips)
    for k, trip in enumerate(trips):
        for pos in range(len(trip.clients) + 1):
            clients = (*trip.clients[:pos], client, *trip.clients[pos:])
            out.append(replace(route, trips=(*trips[:k], Trip(clients), *trips[k + 1 :])))
    if len(trips) < max_trips:
        for k in range(len(trips) + 1):
            out.append(replace(route, trips=(*trips[:k], Trip((client,)), *trips[k:])))
    return out


def _trimmed(instance: Instance, route: Route) -> Route:
    """The route with clients taken off its end until it breaks no constraint.

    An engine that ran out of time may return a plan that is still infeasible (a
    vehicle type on a client it may not serve, a van over capacity, late arrivals).
    Clients of types the vehicle may not serve go first; then the last stops, which
    carry the most load and arrive latest. The clients taken off are re-inserted
    where they fit by :func:`repair`.
    """
    # Rides over their time on board are handled separately, pickup by pickup.
    if not route_problems(instance, route, on_board=False):
        return route
    allowed = instance.allowed[:, route.vehicle_type]
    route = _without(route, {c for t in route.trips for c in t.clients if not allowed[c]})
    while any(t.clients for t in route.trips) and route_problems(instance, route, on_board=False):
        trips = list(route.trips)
        trips[-1] = Trip(trips[-1].clients[:-1])
        route = replace(route, trips=tuple(t for t in trips if t.clients))
    return route


def repair(instance: Instance, solution: Solution) -> Solution:
    """Make ``solution`` feasible for ``instance`` where moving single clients can.

    Parameters
    ----------
    instance
        The full problem.
    solution
        A plan, typically for a relaxation of ``instance``.

    Returns
    -------
    Solution
        Routes in which no client rides over its time-on-board limit, with the clients
        that were removed (and those unserved before) re-inserted by cheapest feasible
        insertion where possible. ``cost`` is left to the caller's judge.
    """
    routes = [_trimmed(instance, r) for r in solution.routes]
    removed: set[int] = set()
    for _ in range(10):  # removing a stop can, through waiting, lengthen another's ride
        drop: set[int] = set()
        for r in routes:
            if any(t.clients for t in r.trips):
                start = route_stats(instance, r).start
                drop |= {c for c, _, _ in on_board_excess(instance, r, start)}
        if not drop:
            break
        routes = [_without(r, drop) for r in routes]
        removed |= drop
    served = {c for r in routes for t in r.trips for c in t.clients}
    if not removed and len(served) == instance.num_clients:
        return solution

    pool = sorted(
        set(range(instance.num_clients)) - served,
        key=lambda c: (-int(instance.required[c]), -int(instance.prize[c]), c),
    )
    where = {c: i for i, r in enumerate(routes) for t in r.trips for c in t.clients}
    nd = instance.num_depots
    dur = instance.duration[0]
    left: list[int] = []
    for c in pool:
        near = np.argsort(dur[nd + c, nd:] + dur[nd:, nd + c], kind="stable")[: NEAREST + 1]
        candidates = sorted({where[int(n)] for n in near if int(n) in where})
        best: tuple[int, int, Route] | None = None  # (delta cost, route index, new route)
        for i in candidates:
            r = routes[i]
            if not instance.allowed[c, r.vehicle_type]:
                continue
            base = _cost(instance, r)
            vt = instance.vehicle_types[r.vehicle_type]
            for new in _insertions(r, c, vt.max_trips):
                delta = _cost(instance, new) - base
                if (best is None or delta < best[0]) and not route_problems(instance, new):
                    best = (delta, i, new)
        used = {(r.vehicle_type, r.vehicle) for r in routes if any(t.clients for t in r.trips)}
        for t, vt in enumerate(instance.vehicle_types):
            if not instance.allowed[c, t]:
                continue
            free = next((v for v in range(vt.num_available) if (t, v) not in used), None)
            if free is None:
                continue
            new = Route(t, free, (Trip((c,)),))
            delta = _cost(instance, new)
            if (best is None or delta < best[0]) and not route_problems(instance, new):
                best = (delta, len(routes), new)
        # An optional client goes in only where it costs less than leaving it out.
        if best is None or (not instance.required[c] and best[0] >= int(instance.prize[c])):
            left.append(c)
            continue
        _, i, new = best
        if i == len(routes):
            routes.append(new)
        else:
            routes[i] = new
        where.update({x: i for trip in new.trips for x in trip.clients})
    routes = [r for r in routes if any(t.clients for t in r.trips)]
    return replace(solution, routes=tuple(routes), unassigned=tuple(sorted(left)))


def make_feasible(instance: Instance, solution: Solution) -> Solution:
    """A plan that breaks no constraint: repaired, or with the broken runs' clients unserved.

    :func:`repair` trims every infeasible run and re-inserts what fits. What still
    breaks a constraint involving several routes (a client visited twice, a vehicle
    used twice, more vehicles than exist) is removed too, so the clients concerned are
    reported unassigned instead of delivered in a broken run.
    """
    if not check_solution(instance, solution):
        return solution
    fixed = repair(instance, solution)
    if not check_solution(instance, fixed):
        return fixed
    kept: list[Route] = []
    seen: set[int] = set()
    used: dict[int, set[int]] = {}
    for r in fixed.routes:
        vt = instance.vehicle_types[r.vehicle_type]
        clients = {c for t in r.trips for c in t.clients}
        vehicles = used.setdefault(r.vehicle_type, set())
        if (
            clients & seen
            or r.vehicle in vehicles
            or len(vehicles) >= vt.num_available
            or route_problems(instance, r)
        ):
            continue
        kept.append(r)
        seen |= clients
        vehicles.add(r.vehicle)
    left = tuple(sorted(set(range(instance.num_clients)) - seen))
    return replace(fixed, routes=tuple(kept), unassigned=left)
