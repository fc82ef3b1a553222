"""Never deliver a broken run: check the assembled plan, take out what breaks a rule.

The engines' solutions are checked against the integer instance before they reach
here, but that check does not model everything the plan does (the driver's break
taken on the road, for one). So the assembled plan goes through the independent plan
check (:mod:`routing.plan_check`); a stop that breaks a constraint, or the last stop
of a run or a day that does, is taken out of the solution and the plan assembled
again, until the check passes. Stops taken out are reported unassigned with the
constraint they broke. Whatever cannot be fixed by taking stops out (a cost that does
not add up) stays listed in ``summary.violations``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from routing.build import BuiltInstance
from routing.matrix import TravelMatrix
from routing.model import Plan, Problem, UnassignedReason, Violation
from routing.plan_check import check_plan, mark_plan
from routing.solve.instance import Route, Solution, Trip

#: Rounds of taking stops out before giving up and listing what is left.
MAX_ROUNDS = 50

_REASON = {
    "capacity": UnassignedReason.CAPACITY,
    "time_window": UnassignedReason.TIME_WINDOW,
    "travel_time": UnassignedReason.TIME_WINDOW,
    "service": UnassignedReason.TIME_WINDOW,
    "break": UnassignedReason.TIME_WINDOW,
    "shift": UnassignedReason.SHIFT_TOO_SHORT,
    "hub_hours": UnassignedReason.SHIFT_TOO_SHORT,
    "reload": UnassignedReason.SHIFT_TOO_SHORT,
    "runs_per_day": UnassignedReason.SHIFT_TOO_SHORT,
    "max_distance": UnassignedReason.MAX_DISTANCE,
    "time_on_board": UnassignedReason.TIME_ON_BOARD,
}

Assemble = Callable[[Solution, Mapping[int, UnassignedReason]], Plan]
"""Assembles the plan of a solution (no road geometry), given the clients taken out
and why."""


def checked_plan(
    problem: Problem,
    built: BuiltInstance,
    solution: Solution,
    matrices: Mapping[str, TravelMatrix],
    assemble: Assemble,
    draw: Callable[[Plan], Plan] | None = None,
) -> Plan:
    """The plan of ``solution`` with every stop that breaks a constraint taken out.

    ``problem`` and ``matrices`` are what the planner asked with (before any split of
    oversize pickups); the returned plan carries ``summary.feasible`` and
    ``summary.violations`` from the final check. ``draw`` adds the road geometry to
    the plan delivered (only that one is drawn).
    """
    removed: dict[int, UnassignedReason] = {}
    plan = assemble(solution, removed)
    violations = check_plan(problem, plan, matrices)
    for _ in range(MAX_ROUNDS):
        take = _culprits(built, solution, violations)
        if not take:
            break
        removed.update(take)
        solution = _without(solution, set(take))
        plan = assemble(solution, removed)
        violations = check_plan(problem, plan, matrices)
    return mark_plan(draw(plan) if draw is not None else plan, violations)


def _culprits(
    built: BuiltInstance, solution: Solution, violations: list[Violation]
) -> dict[int, UnassignedReason]:
    """Clients to take out: the stop named, else the last stop of the run or day named."""
    client_of = {p.id: c for c, p in enumerate(built.pickups)}
    trips: dict[tuple[str, int], tuple[int, ...]] = {}
    for r in solution.routes:
        name = f"{built.instance.vehicle_types[r.vehicle_type].name}-{r.vehicle + 1}"
        for k, t in enumerate(r.trips):
            trips[(name, k + 1)] = t.clients
    out: dict[int, UnassignedReason] = {}
    for v in violations:
        reason = _REASON.get(v.constraint, UnassignedReason.CAPACITY)
        if v.pickup_id in client_of:
            out.setdefault(client_of[v.pickup_id], reason)
            continue
        if not v.vehicle:
            continue
        runs = [n for (name, n) in trips if name == v.vehicle]
        run = v.run or max(runs, default=0)
        clients = trips.get((v.vehicle, run), ())
        if clients:
            out.setdefault(clients[-1], reason)
    return out


def _without(solution: Solution, drop: set[int]) -> Solution:
    routes = []
    for r in solution.routes:
        trips = tuple(Trip(tuple(c for c in t.clients if c not in drop)) for t in r.trips)
        trips = tuple(t for t in trips if t.clients)
        if trips:
            routes.append(Route(r.vehicle_type, r.vehicle, trips))
    return replace(
        solution, routes=tuple(routes), unassigned=tuple(sorted({*solution.unassigned, *drop}))
    )
