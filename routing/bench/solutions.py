"""VRPLIB solution files and route lines: from and to a :class:`Solution`.

A route line lists location numbers as in :mod:`routing.bench.vrplib` (depots first,
then clients); a depot number inside a line separates the trips of a vehicle that
reloads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import vrplib

from routing.errors import InputError, Problem
from routing.solve.instance import Instance, Route, Solution, Trip

_VEHICLE_NAME = re.compile(r"^\d+(,\d+)*$")


def vehicle_slots(instance: Instance) -> list[list[int]]:
    """Return, per vehicle type, the 0-based vehicle positions in the VRPLIB file.

    Uses the type names written by :func:`read_instance` (``"0,1,2"``); for other
    instances the vehicles are numbered type after type.
    """
    slots: list[list[int]] = []
    offset = 0
    for vt in instance.vehicle_types:
        if _VEHICLE_NAME.match(vt.name) and len(vt.name.split(",")) == vt.num_available:
            slots.append([int(i) for i in vt.name.split(",")])
        else:
            slots.append(list(range(offset, offset + vt.num_available)))
        offset += vt.num_available
    return slots


def solution_routes(solution: Solution, instance: Instance) -> list[list[int]]:
    """Return VRPLIB route lines (location numbers) for a solution.

    With one vehicle type, the used vehicles' routes are listed in order. With several
    types, route ``k`` is the route of vehicle ``k`` in the file (empty when unused), as
    the HFVRP, SDVRPTW and MDVRPTW best-known solutions are written. A vehicle with
    several trips lists its reload depot between trips (``"1 0 2"``).
    """

    def visits(route_idx: int) -> list[int]:
        route = solution.routes[route_idx]
        depot = instance.vehicle_types[route.vehicle_type].start_depot
        out: list[int] = []
        for t, trip in enumerate(tr for tr in route.trips if tr.clients):
            if t:
                out.append(depot)
            out.extend(instance.client_node(c) for c in trip.clients)
        return out

    used = [i for i, r in enumerate(solution.routes) if any(t.clients for t in r.trips)]
    if len(instance.vehicle_types) == 1:
        return [visits(i) for i in used]
    slots = vehicle_slots(instance)
    num_slots = max((max(s) + 1 for s in slots if s), default=0)
    lines: list[list[int]] = [[] for _ in range(num_slots)]
    for i in used:
        route = solution.routes[i]
        lines[slots[route.vehicle_type][route.vehicle]] = visits(i)
    return lines


def write_solution(path: str | Path, solution: Solution, instance: Instance, *, cost: int) -> None:
    """Write a solution in VRPLIB format: ``Route #k: ...`` lines, then ``Cost <int>``.

    Parameters
    ----------
    path
        The ``.sol`` file to write.
    solution
        The solution; its routes are written as :func:`solution_routes` describes.
    instance
        The instance it solves (for location numbers and vehicle positions).
    cost
        The cost to write, in the instance's integer units (normally the independent
        evaluator's figure, not the engine's).
    """
    lines = [
        f"Route #{k}: {' '.join(map(str, route))}".rstrip()
        for k, route in enumerate(solution_routes(solution, instance), start=1)
    ]
    lines.append(f"Cost {int(cost)}")
    Path(path).write_text("\n".join(lines) + "\n")


def read_routes(path: str | Path) -> list[list[int]]:
    """Read the route lines of a VRPLIB solution file (empty routes kept)."""
    sol: dict[str, Any] = vrplib.read_solution(str(path))
    return [[int(v) for v in route] for route in sol["routes"]]


def routes_to_solution(
    routes: Sequence[Sequence[int]], instance: Instance, *, engine: str = "vrplib"
) -> Solution:
    """Turn VRPLIB route lines (location numbers) into a :class:`Solution`.

    With several vehicle types, line ``k`` belongs to vehicle ``k`` of the file; with one
    type, lines are given to that type's vehicles in order. Depot numbers inside a line
    split it into trips. ``cost`` is 0: evaluate it with :mod:`routing.solve.check`.

    Raises
    ------
    InputError
        If a line names an unknown location or there are more lines than vehicles.
    """
    slot_owner: dict[int, tuple[int, int]] = {}
    for t, slots in enumerate(vehicle_slots(instance)):
        for v, slot in enumerate(slots):
            slot_owner[slot] = (t, v)
    single = len(instance.vehicle_types) == 1
    out: list[Route] = []
    problems: list[Problem] = []
    next_vehicle = 0
    for k, line in enumerate(routes):
        if not line:
            continue
        if single:
            owner: tuple[int, int] | None = (0, next_vehicle)
            next_vehicle += 1
            if next_vehicle > instance.vehicle_types[0].num_available:
                owner = None
        else:
            owner = slot_owner.get(k)
        if owner is None:
            problems.append(Problem(f"route {k + 1}", "", "more routes than vehicles"))
            continue
        trips: list[list[int]] = [[]]
        for loc in line:
            if loc < instance.num_depots:
                trips.append([])
            elif loc < instance.num_nodes:
                trips[-1].append(loc - instance.num_depots)
            else:
                problems.append(Problem(f"route {k + 1}", "", f"unknown location {loc}"))
        out.append(
            Route(
                vehicle_type=owner[0],
                vehicle=owner[1],
                trips=tuple(Trip(tuple(t)) for t in trips if t),
            )
        )
    if problems:
        raise InputError(problems)
    served = {c for r in out for t in r.trips for c in t.clients}
    unassigned = tuple(c for c in range(instance.num_clients) if c not in served)
    return Solution(routes=tuple(out), unassigned=unassigned, cost=0, engine=engine)
