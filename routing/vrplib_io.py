"""Read VRPLIB benchmark instances into an :class:`Instance`, write VRPLIB solutions.

The files are in PyVRP's VRPLIB dialect (CVRP, CVRP-XXL, VRPTW, VRPB, HFVRP, MTVRPTWR,
PCVRPTW, SDVRPTW, MDVRPTW). Every number is turned into an integer with the rounding
convention under which the set's best-known solutions were computed:

========================  ==========  ==============================================
``TYPE``                  convention  meaning
========================  ==========  ==============================================
CVRP, VRPB                ``round``   nearest integer
VRPTW, PCVRPTW, MTVRPTWR  ``dimacs``  times 10, truncated (DIMACS: one decimal)
HFVRP, SDVRPTW, MDVRPTW   ``exact``   times 1000, rounded
========================  ==========  ==============================================

The rounding applies to distances, durations, time windows, service times, release
times, demands, capacities, prizes and fixed costs, as in PyVRP's own reader; unit
distance costs are used as written. ``Instance.cost_scale`` is 1: costs are in the
instance's integer units, so they compare with :func:`routing.evaluate.evaluate`.

Node numbering follows VRPLIB solution files: locations ``0 .. num_depots-1`` are the
depots, then the clients, so client ``i`` (0-based) is written as ``num_depots + i``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import vrplib

from routing.errors import InputError, Problem
from routing.solve.instance import Instance, IntArray, Solution, VehicleTypeData

RoundFunc = Callable[[npt.NDArray[Any]], IntArray]

ROUND_FUNCS: dict[str, RoundFunc] = {
    "round": lambda vals: np.round(np.asarray(vals, dtype=np.float64)).astype(np.int64),
    "trunc": lambda vals: np.asarray(vals, dtype=np.float64).astype(np.int64),
    "dimacs": lambda vals: (10 * np.asarray(vals, dtype=np.float64)).astype(np.int64),
    "exact": lambda vals: np.round(1_000 * np.asarray(vals, dtype=np.float64)).astype(np.int64),
}
"""Rounding conventions, named as in ``pyvrp.read`` (``ROUND_FUNCS``)."""

#: The rounding convention of each benchmark ``TYPE`` (see the module docstring).
ROUNDING_BY_TYPE: dict[str, str] = {
    "CVRP": "round",
    "VRPB": "round",
    "VRPTW": "dimacs",
    "PCVRPTW": "dimacs",
    "MTVRPTWR": "dimacs",
    "HFVRP": "exact",
    "SDVRPTW": "exact",
    "MDVRPTW": "exact",
}

#: Arc value that forbids an arc, as PyVRP's reader uses for VRPB (``MAX_VALUE``).
FORBIDDEN_ARC = 1 << 44

#: "No limit" for time windows and route limits; matches the Instance defaults.
NO_LIMIT = 2**40

_VEHICLE_NAME = re.compile(r"^\d+(,\d+)*$")


def rounding_for(instance_type: str, *, has_time_windows: bool = False) -> str:
    """Return the rounding convention for a VRPLIB ``TYPE``.

    Parameters
    ----------
    instance_type
        The file's ``TYPE`` field, e.g. ``"CVRP"``.
    has_time_windows
        Used for types not in :data:`ROUNDING_BY_TYPE`: time-windowed files are read
        with the DIMACS convention, others are rounded to the nearest integer.

    Returns
    -------
    str
        A key of :data:`ROUND_FUNCS`.
    """
    key = instance_type.strip().upper()
    if key in ROUNDING_BY_TYPE:
        return ROUNDING_BY_TYPE[key]
    return "dimacs" if has_time_windows else "round"


def _per_vehicle(value: Any, num_vehicles: int) -> npt.NDArray[Any]:
    return np.broadcast_to(np.asarray(value), (num_vehicles,)).copy()


def _per_vehicle_lists(value: Any, num_vehicles: int) -> list[tuple[int, ...]]:
    """Ragged per-vehicle index lists (1-based in the file) as 0-based tuples."""
    rows = list(value)
    if rows and np.isscalar(rows[0]):
        rows = [[r] for r in rows]
    if len(rows) != num_vehicles:
        raise InputError(
            Problem("vehicles", "section", f"has {len(rows)} rows for {num_vehicles} vehicles")
        )
    return [tuple(sorted(int(i) - 1 for i in row)) for row in rows]


def read_instance(path: str | Path, *, round_func: str = "auto") -> Instance:
    """Read a VRPLIB instance file (PyVRP's dialect) into an :class:`Instance`.

    Parameters
    ----------
    path
        The ``.vrp`` file.
    round_func
        A key of :data:`ROUND_FUNCS`, or ``"auto"`` (default) to use the convention
        of the file's ``TYPE`` (:func:`rounding_for`).

    Returns
    -------
    Instance
        One vehicle type per group of identical vehicles, in the order PyVRP's reader
        makes them; each type's ``name`` lists its vehicles' 0-based positions in the
        file (``"0,1,2"``) so that solutions can be written route-per-vehicle.

    Raises
    ------
    InputError
        If the file cannot be read or is inconsistent (unknown rounding, depots not
        first, per-vehicle sections of the wrong length, reloads at another depot).
    """
    path = Path(path)
    try:
        raw: dict[str, Any] = vrplib.read_instance(str(path))
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise InputError(
            Problem(str(path), "", f"cannot read as VRPLIB ({exc}); check the file format")
        ) from exc

    itype = str(raw.get("type", "")).strip().upper()
    if round_func == "auto":
        round_func = rounding_for(itype, has_time_windows="time_window" in raw)
    if round_func not in ROUND_FUNCS:
        raise InputError(
            Problem(str(path), "round_func", f"{round_func!r} is not one of {list(ROUND_FUNCS)}")
        )
    rnd = ROUND_FUNCS[round_func]

    num_nodes = int(raw["dimension"])
    depots = np.atleast_1d(np.asarray(raw.get("depot", [0]), dtype=np.int64))
    num_depots = int(depots.size)
    if not np.array_equal(depots, np.arange(num_depots)):
        raise InputError(
            Problem(str(path), "DEPOT_SECTION", "depots must be the first locations (1, 2, ...)")
        )
    num_clients = num_nodes - num_depots
    clients = slice(num_depots, num_nodes)

    edge = rnd(raw["edge_weight"])
    duration = edge
    distance = edge  # one array for both unless VRPB changes distances below

    def node_values(key: str, default: int = 0) -> IntArray:
        value = raw.get(key, default)
        if np.isscalar(value):
            arr = np.full(num_nodes, value, dtype=np.float64)
            if key == "service_time":
                arr[:num_depots] = 0  # a uniform SERVICE_TIME applies to clients only
            return rnd(arr)
        return rnd(np.asarray(value))

    demand = node_values("demand") if "demand" in raw else node_values("linehaul")
    backhaul = node_values("backhaul")
    service = node_values("service_time")
    release = node_values("release_time")
    prize = node_values("prize")
    if "time_window" in raw:
        tw = rnd(np.asarray(raw["time_window"]))
    else:
        tw = np.zeros((num_nodes, 2), dtype=np.int64)
        tw[:, 1] = NO_LIMIT
    tw = np.minimum(tw, NO_LIMIT)

    backhaul_after_linehaul = itype == "VRPB"
    if backhaul_after_linehaul:
        # As PyVRP's reader does: no arc from the depot to a backhaul client (a route
        # starts with its linehauls) and none from a backhaul back to a linehaul.
        is_line = demand > 0
        is_back = backhaul > 0
        distance = edge.copy()
        distance[:num_depots, is_back] = FORBIDDEN_ARC
        distance[np.ix_(is_back, is_line)] = FORBIDDEN_ARC

    num_vehicles = int(raw.get("vehicles", num_clients))
    capacity = rnd(_per_vehicle(raw.get("capacity", NO_LIMIT), num_vehicles))
    if "capacity" not in raw:
        capacity[:] = NO_LIMIT
    all_clients = tuple(range(num_depots, num_nodes))
    if "vehicles_allowed_clients" in raw:
        allowed_lists = _per_vehicle_lists(raw["vehicles_allowed_clients"], num_vehicles)
    else:
        allowed_lists = [all_clients] * num_vehicles
    if "vehicles_reload_depot" in raw:
        reloads = _per_vehicle_lists(raw["vehicles_reload_depot"], num_vehicles)
    else:
        reloads = [()] * num_vehicles
    if "vehicles_depot" in raw:
        veh_depot = np.asarray(raw["vehicles_depot"], dtype=np.int64) - 1
    else:
        veh_depot = np.full(num_vehicles, 0, dtype=np.int64)
    max_dist = _per_vehicle(raw.get("vehicles_max_distance", -1), num_vehicles)
    max_dist = np.where(max_dist < 0, NO_LIMIT, rnd(np.maximum(max_dist, 0)))
    max_dur = _per_vehicle(raw.get("vehicles_max_duration", -1), num_vehicles)
    max_dur = np.where(max_dur < 0, NO_LIMIT, rnd(np.maximum(max_dur, 0)))
    max_reloads = _per_vehicle(raw.get("vehicles_max_reloads", num_clients), num_vehicles)
    fixed = rnd(_per_vehicle(raw.get("vehicles_fixed_cost", 0), num_vehicles))
    unit_cost = _per_vehicle(raw.get("vehicles_unit_distance_cost", 1), num_vehicles)

    problems: list[Problem] = []
    groups: dict[tuple[Any, ...], list[int]] = {}
    for v in range(num_vehicles):
        key = (
            int(capacity[v]),
            allowed_lists[v],
            reloads[v],
            int(veh_depot[v]),
            int(max_dist[v]),
            int(max_dur[v]),
            int(max_reloads[v]),
            int(fixed[v]),
            int(unit_cost[v]),
        )
        groups.setdefault(key, []).append(v)
        if reloads[v] and set(reloads[v]) != {int(veh_depot[v])}:
            problems.append(
                Problem(
                    f"vehicle {v + 1}",
                    "VEHICLES_RELOAD_DEPOT_SECTION",
                    "reloads are supported only at the vehicle's own depot",
                )
            )
        if float(unit_cost[v]) != int(unit_cost[v]):
            problems.append(Problem(f"vehicle {v + 1}", "unit distance cost", "must be an integer"))
    if problems:
        raise InputError(problems)

    # No VEHICLES field: one vehicle per client, as PyVRP's reader does. (Capping it at
    # twice the bin-packing bound changes PyVRP's search trajectory and cost quality in
    # our measurements; an engine that pays per vehicle may cap it for itself.)

    # Unlimited reloads: a vehicle never needs more runs than about twice the bin-packing
    # bound of the whole day's load (engines that model each run as a vehicle need a cap).
    max_cap = max(int(capacity.max()), 1)
    trips_bound = 2 * math.ceil(int(demand[clients].sum() + backhaul[clients].sum()) / max_cap) + 1

    allowed = np.zeros((num_clients, len(groups)), dtype=bool)
    types: list[VehicleTypeData] = []
    for t, (key, vehicles) in enumerate(groups.items()):
        cap, allowed_c, reload, depot, mdist, mdur, mrel, fcost, ucost = key
        allowed[np.asarray(allowed_c, dtype=np.int64) - num_depots, t] = True
        types.append(
            VehicleTypeData(
                name=",".join(map(str, vehicles)),
                num_available=len(vehicles),
                capacity=(cap,),
                start_depot=depot,
                end_depot=depot,
                fixed_cost=fcost,
                unit_distance_cost=ucost,
                tw_early=int(tw[depot, 0]),
                tw_late=int(tw[depot, 1]),
                max_duration=mdur,
                max_distance=mdist,
                max_trips=min(mrel + 1, num_clients, trips_bound) if reload else 1,
            )
        )

    coords: IntArray | None = None
    if "node_coord" in raw:
        coords = rnd(np.asarray(raw["node_coord"]))

    return Instance(
        name=str(raw.get("name", path.stem)),
        num_depots=num_depots,
        distance=distance[np.newaxis, :, :],
        duration=duration[np.newaxis, :, :],
        pickup=backhaul[clients, np.newaxis].copy(),
        delivery=demand[clients, np.newaxis].copy(),
        service=service[clients].copy(),
        tw_early=tw[clients, 0].copy(),
        tw_late=tw[clients, 1].copy(),
        release=release[clients].copy(),
        prize=prize[clients].copy(),
        required=prize[clients] == 0,
        allowed=allowed,
        vehicle_types=tuple(types),
        depot_tw=tw[:num_depots].copy(),
        backhaul_after_linehaul=backhaul_after_linehaul,
        dimension_names=("demand",),
        client_ids=tuple(str(i) for i in range(num_depots, num_nodes)),
        depot_ids=tuple(str(i) for i in range(num_depots)),
        cost_scale=1,
        coords=coords,
    )


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
    from routing.solve.instance import Route, Trip

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


def solve_vrplib_file(
    path: str | Path,
    *,
    time_limit_s: float,
    seed: int = 0,
    out: str | Path | None = None,
    engines: Sequence[str] = ("auto",),
    workers: int = 2,
) -> tuple[Solution, int, bool]:
    """Solve a VRPLIB instance file with :func:`routing.solve.solve` and check it.

    Parameters
    ----------
    path
        The ``.vrp`` file (read with :func:`read_instance`, ``round_func="auto"``).
    time_limit_s
        Wall-clock budget for the solver, in seconds.
    seed
        Random seed; the same seed gives the same answer for the same time budget
        (up to the wall-clock stopping rule).
    out
        Where to write the ``.sol`` file, if anywhere.
    engines, workers
        Passed on to :func:`routing.solve.solve`.

    Returns
    -------
    tuple[Solution, int, bool]
        The solution, its cost and feasibility as the independent evaluator
        (:func:`routing.evaluate.evaluate_routes`, PyVRP as referee) finds them.
    """
    from routing.evaluate import evaluate_routes
    from routing.solve import solve

    instance = read_instance(path)
    solution = solve(
        instance, time_limit_s=time_limit_s, seed=seed, engines=engines, workers=workers
    )
    result = evaluate_routes(path, solution_routes(solution, instance))
    if out is not None:
        write_solution(out, solution, instance, cost=result.cost)
    return solution, result.cost, result.feasible
