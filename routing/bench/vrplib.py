"""Read VRPLIB benchmark instances into an :class:`Instance`.

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
instance's integer units, so they compare with :func:`routing.bench.evaluate.evaluate`.

Node numbering follows VRPLIB solution files: locations ``0 .. num_depots-1`` are the
depots, then the clients, so client ``i`` (0-based) is written as ``num_depots + i``.
Solution files are read and written by :mod:`routing.bench.solutions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import vrplib

from routing.errors import InputError, Problem
from routing.solve.instance import Instance, IntArray, VehicleTypeData

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
    raw = _read_raw(path)
    itype = str(raw.get("type", "")).strip().upper()
    rnd = _round_func(raw, path, itype, round_func)
    num_nodes = int(raw["dimension"])
    depots = np.atleast_1d(np.asarray(raw.get("depot", [0]), dtype=np.int64))
    num_depots = int(depots.size)
    if not np.array_equal(depots, np.arange(num_depots)):
        raise InputError(
            Problem(str(path), "DEPOT_SECTION", "depots must be the first locations (1, 2, ...)")
        )
    clients = slice(num_depots, num_nodes)
    nodes = _NodeData.read(raw, rnd, num_nodes=num_nodes, num_depots=num_depots)
    edge = rnd(raw["edge_weight"])
    distance = edge  # one array for both unless VRPB changes distances below
    backhaul_after_linehaul = itype == "VRPB"
    if backhaul_after_linehaul:
        # As PyVRP's reader does: no arc from the depot to a backhaul client (a route
        # starts with its linehauls) and none from a backhaul back to a linehaul.
        is_line = nodes.demand > 0
        is_back = nodes.backhaul > 0
        distance = edge.copy()
        distance[:num_depots, is_back] = FORBIDDEN_ARC
        distance[np.ix_(is_back, is_line)] = FORBIDDEN_ARC
    groups = _vehicle_groups(raw, rnd, num_nodes=num_nodes, num_depots=num_depots)
    allowed, types = _vehicle_types(groups, nodes, num_nodes=num_nodes, num_depots=num_depots)
    coords: IntArray | None = None
    if "node_coord" in raw:
        coords = rnd(np.asarray(raw["node_coord"]))
    return Instance(
        name=str(raw.get("name", path.stem)),
        num_depots=num_depots,
        distance=distance[np.newaxis, :, :],
        duration=edge[np.newaxis, :, :],
        pickup=nodes.backhaul[clients, np.newaxis].copy(),
        delivery=nodes.demand[clients, np.newaxis].copy(),
        service=nodes.service[clients].copy(),
        tw_early=nodes.tw[clients, 0].copy(),
        tw_late=nodes.tw[clients, 1].copy(),
        release=nodes.release[clients].copy(),
        prize=nodes.prize[clients].copy(),
        required=nodes.prize[clients] == 0,
        allowed=allowed,
        vehicle_types=tuple(types),
        depot_tw=nodes.tw[:num_depots].copy(),
        backhaul_after_linehaul=backhaul_after_linehaul,
        dimension_names=("demand",),
        client_ids=tuple(str(i) for i in range(num_depots, num_nodes)),
        depot_ids=tuple(str(i) for i in range(num_depots)),
        cost_scale=1,
        coords=coords,
    )


def _read_raw(path: Path) -> dict[str, Any]:
    try:
        raw: dict[str, Any] = vrplib.read_instance(str(path))
    # The vrplib package raises TypeError when a header field such as EDGE_WEIGHT_TYPE
    # is missing; that is a broken file, not a bug here.
    except (OSError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise InputError(
            Problem(str(path), "", f"cannot read as VRPLIB ({exc}); check the file format")
        ) from exc
    return raw


def _round_func(raw: dict[str, Any], path: Path, itype: str, round_func: str) -> RoundFunc:
    """The rounding to use: the one asked for, or the set's for ``"auto"``."""
    if round_func == "auto":
        round_func = rounding_for(itype, has_time_windows="time_window" in raw)
    if round_func not in ROUND_FUNCS:
        raise InputError(
            Problem(str(path), "round_func", f"{round_func!r} is not one of {list(ROUND_FUNCS)}")
        )
    return ROUND_FUNCS[round_func]


@dataclass(frozen=True)
class _NodeData:
    """Per-location integer fields of a VRPLIB file (depots first, then clients)."""

    demand: IntArray
    backhaul: IntArray
    service: IntArray
    release: IntArray
    prize: IntArray
    tw: IntArray

    @classmethod
    def read(
        cls, raw: dict[str, Any], rnd: RoundFunc, *, num_nodes: int, num_depots: int
    ) -> _NodeData:
        def node_values(key: str, default: int = 0) -> IntArray:
            value = raw.get(key, default)
            if np.isscalar(value):
                arr = np.full(num_nodes, value, dtype=np.float64)
                if key == "service_time":
                    arr[:num_depots] = 0  # a uniform SERVICE_TIME applies to clients only
                return rnd(arr)
            return rnd(np.asarray(value))

        if "time_window" in raw:
            tw = rnd(np.asarray(raw["time_window"]))
        else:
            tw = np.zeros((num_nodes, 2), dtype=np.int64)
            tw[:, 1] = NO_LIMIT
        return cls(
            demand=node_values("demand") if "demand" in raw else node_values("linehaul"),
            backhaul=node_values("backhaul"),
            service=node_values("service_time"),
            release=node_values("release_time"),
            prize=node_values("prize"),
            tw=np.minimum(tw, NO_LIMIT),
        )


_VehicleKey = tuple[int, tuple[int, ...], tuple[int, ...], int, int, int, int, int, int]
"""capacity, allowed clients, reload depots, depot, max distance, max duration,
max reloads, fixed cost, unit distance cost."""


def _vehicle_groups(
    raw: dict[str, Any], rnd: RoundFunc, *, num_nodes: int, num_depots: int
) -> dict[_VehicleKey, list[int]]:
    """Vehicles grouped by identical fields, in file order; every problem raised at once.

    No VEHICLES field means one vehicle per client, as PyVRP's reader does. (Capping it
    at twice the bin-packing bound changes PyVRP's search trajectory and cost quality in
    our measurements; an engine that pays per vehicle may cap it for itself.)
    """
    num_clients = num_nodes - num_depots
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
    groups: dict[_VehicleKey, list[int]] = {}
    for v in range(num_vehicles):
        key: _VehicleKey = (
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
    return groups


def _vehicle_types(
    groups: dict[_VehicleKey, list[int]], nodes: _NodeData, *, num_nodes: int, num_depots: int
) -> tuple[npt.NDArray[np.bool_], list[VehicleTypeData]]:
    """One vehicle type per group, and which clients each type may serve."""
    num_clients = num_nodes - num_depots
    clients = slice(num_depots, num_nodes)
    capacity = max((key[0] for key in groups), default=1)
    # Unlimited reloads: a vehicle never needs more runs than about twice the bin-packing
    # bound of the whole day's load (engines that model each run as a vehicle need a cap).
    max_cap = max(capacity, 1)
    load = int(nodes.demand[clients].sum() + nodes.backhaul[clients].sum())
    trips_bound = 2 * math.ceil(load / max_cap) + 1
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
                tw_early=int(nodes.tw[depot, 0]),
                tw_late=int(nodes.tw[depot, 1]),
                max_duration=mdur,
                max_distance=mdist,
                max_trips=min(mrel + 1, num_clients, trips_bound) if reload else 1,
            )
        )
    return allowed, types
