"""Why a pickup the engines left out is not in any run: the constraint that stops it.

A pickup that some vehicle could serve on its own (the others are screened out before
solving with their own reason) is tried in every run near it, at every position, as
a new run of a vehicle with runs to spare, and on a vehicle not used yet. The
constraint that most often rules those insertions out is the reason given: the fleet
is full (``capacity``), it cannot be reached inside its window (``time_window``), the
run would end after the shift (``shift_too_short``), the vehicle would drive too far
(``max_distance``) or perishables would ride too long (``time_on_board``). Where an
insertion would fit, an optional pickup is ``not_worth_it``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import replace

import numpy as np

from routing.model import UnassignedReason
from routing.solve.check import route_problems
from routing.solve.instance import Instance, Route, Solution, Trip

#: Routes tried for a pickup: those visiting one of its nearest served pickups...
NEAREST = 24

#: ... the closest few of them.
ROUTES = 4

#: Positions tried per run, spread evenly along it (the reason, not the best place,
#: is wanted: a few positions show which constraint rules the run out).
POSITIONS = 8

_DETAIL = {
    UnassignedReason.CAPACITY: "the fleet is full: no run has room for its load and no "
    "vehicle is free",
    UnassignedReason.TIME_WINDOW: "no run can reach it inside its window without making "
    "another stop late",
    UnassignedReason.SHIFT_TOO_SHORT: "every run that could take it would end after the "
    "driver's shift",
    UnassignedReason.MAX_DISTANCE: "every vehicle that could take it would drive more "
    "than its maximum distance",
    UnassignedReason.TIME_ON_BOARD: "on every run that could take it, produce would ride "
    "longer than allowed",
    UnassignedReason.NOT_WORTH_IT: "its value is below the cost of collecting it",
}

_ORDER = (
    UnassignedReason.CAPACITY,
    UnassignedReason.TIME_WINDOW,
    UnassignedReason.SHIFT_TOO_SHORT,
    UnassignedReason.MAX_DISTANCE,
    UnassignedReason.TIME_ON_BOARD,
)


def reason_detail(reason: UnassignedReason) -> str:
    """The planner's sentence for a reason found here."""
    return _DETAIL.get(reason, "")


def explain_unassigned(
    instance: Instance, solution: Solution, clients: Iterable[int], optional: Collection[int]
) -> dict[int, UnassignedReason]:
    """The reason each of ``clients`` (left out of ``solution``) is not served.

    ``optional`` are the clients the planner may leave out when not worth collecting.
    """
    near = _neighbours(instance, solution)
    out: dict[int, UnassignedReason] = {}
    for c in clients:
        tally: Counter[UnassignedReason] = Counter()
        fits = False
        for route in _insertions(instance, solution, c, near):
            if isinstance(route, UnassignedReason):  # a run too full at any position
                tally[route] += POSITIONS
                continue
            found = _reasons(instance, route, c)
            fits = fits or not found
            tally.update(found)
        if fits and c in optional:
            out[c] = UnassignedReason.NOT_WORTH_IT
        elif tally:
            out[c] = max(_ORDER, key=lambda r: (tally[r], -_ORDER.index(r)))
        else:
            out[c] = UnassignedReason.CAPACITY
    return out


def _neighbours(instance: Instance, solution: Solution) -> dict[int, int]:
    """Served client -> index of its route."""
    return {c: i for i, r in enumerate(solution.routes) for t in r.trips for c in t.clients}


def _insertions(
    instance: Instance, solution: Solution, c: int, where: dict[int, int]
) -> Iterator[Route | UnassignedReason]:
    """Ways to add ``c`` to a nearby route, as a new run, or on a free vehicle.

    A run whose load with ``c`` added exceeds the vehicle wherever ``c`` goes gives
    ``capacity`` at once instead of its insertions.
    """
    nd = instance.num_depots
    dur = instance.duration[0]
    served = np.array(sorted(where), dtype=np.int64)
    if served.size:
        closeness = dur[nd + c, nd + served] + dur[nd + served, nd + c]
        nearest = served[np.argsort(closeness, kind="stable")[:NEAREST]]
        for i in list(dict.fromkeys(where[int(x)] for x in nearest))[:ROUTES]:
            route = solution.routes[i]
            if not instance.allowed[c, route.vehicle_type]:
                continue
            trips = list(route.trips)
            cap = np.asarray(instance.vehicle_types[route.vehicle_type].capacity)
            for k, trip in enumerate(trips):
                both = [*trip.clients, c]
                collected = instance.pickup[both].sum(axis=0)
                dropped = instance.delivery[both].sum(axis=0)
                if np.any(collected > cap) or np.any(dropped > cap):
                    yield UnassignedReason.CAPACITY
                    continue
                for pos in sorted(set(np.linspace(0, len(trip.clients), POSITIONS, dtype=int))):
                    at = int(pos)
                    new = Trip((*trip.clients[:at], c, *trip.clients[at:]))
                    yield replace(route, trips=(*trips[:k], new, *trips[k + 1 :]))
            if len(trips) < instance.vehicle_types[route.vehicle_type].max_trips:
                yield replace(route, trips=(*trips, Trip((c,))))
    used = {(r.vehicle_type, r.vehicle) for r in solution.routes}
    for t, vt in enumerate(instance.vehicle_types):
        free = next((v for v in range(vt.num_available) if (t, v) not in used), None)
        if free is not None and instance.allowed[c, t]:
            yield Route(t, free, (Trip((c,)),))


def _reasons(instance: Instance, route: Route, c: int) -> set[UnassignedReason]:
    found: set[UnassignedReason] = set()
    for message in route_problems(instance, route):
        if "over capacity" in message:
            found.add(UnassignedReason.CAPACITY)
        elif "late against" in message:
            found.add(_late_reason(instance, route))
        elif "duration" in message:
            found.add(UnassignedReason.SHIFT_TOO_SHORT)
        elif "distance" in message:
            found.add(UnassignedReason.MAX_DISTANCE)
        elif "on board" in message:
            found.add(UnassignedReason.TIME_ON_BOARD)
    return found


def _late_reason(instance: Instance, route: Route) -> UnassignedReason:
    """Late at a pickup (its window) or back at the hub after the shift?"""
    vt = instance.vehicle_types[route.vehicle_type]
    dur = instance.duration[vt.profile]
    nd = instance.num_depots
    depot = vt.start_depot
    t = max(vt.tw_early, int(instance.depot_tw[depot, 0]))
    here = depot
    for k, trip in enumerate(tr.clients for tr in route.trips if tr.clients):
        if k:
            t += int(dur[here, depot]) + vt.reload_duration
            here = depot
        for c in trip:
            t += int(dur[here, nd + c])
            if t > int(instance.tw_late[c]):
                return UnassignedReason.TIME_WINDOW
            t = max(t, int(instance.tw_early[c])) + int(instance.service[c])
            here = nd + c
    return UnassignedReason.SHIFT_TOO_SHORT
