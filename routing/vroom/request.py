"""Parse and validate a VROOM request into frozen value objects.

Every key of VROOM's ``docs/API.md`` input is read; an unknown key, a wrong type or an
inconsistent value is reported with its path (``jobs[3].time_windows[1]``) and a fix,
all problems at once, as :class:`routing.errors.InputError`. Nothing is ignored.

Times are seconds, distances metres, as in VROOM. A task is a job or one end of a
shipment; ``Task.rank`` is its position in :attr:`VroomProblem.tasks`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from routing.errors import InputError, Problem
from routing.vroom.fields import Reader

#: Latest time a vehicle without ``time_window`` may work (VROOM: no limit).
OPEN_END_S = 2**40
MAX_MATRIX_VALUE = 2**32 - 1


def _all_time(windows: Sequence[tuple[int, int]]) -> bool:
    """No window, or VROOM's default one (0 to its largest time, or to ours)."""
    return not windows or (
        len(windows) == 1 and windows[0] in ((0, MAX_MATRIX_VALUE), (0, OPEN_END_S))
    )


MatrixFor = Callable[[Sequence[tuple[float, float]]], tuple[list[list[int]], list[list[int]]]]


@dataclass(frozen=True)
class Task:
    """A job, or the pickup or delivery end of a shipment."""

    rank: int
    kind: str  # "job", "pickup" or "delivery"
    id: int
    path: str
    location: int
    coordinates: tuple[float, float] | None
    description: str
    setup_s: int
    service_s: int
    time_windows: tuple[tuple[int, int], ...]
    initial: tuple[int, ...]  # load on board at the route start (job deliveries)
    change: tuple[int, ...]  # load change at this task
    delivery: tuple[int, ...]
    pickup: tuple[int, ...]
    skills: frozenset[int]
    priority: int
    partner: int | None = None  # rank of the other end of a shipment


@dataclass(frozen=True)
class Break:
    """A vehicle break: one of ``time_windows`` for its start, ``service_s`` long."""

    id: int
    time_windows: tuple[tuple[int, int], ...]
    service_s: int
    description: str
    max_load: tuple[int, ...] | None


@dataclass(frozen=True)
class StepSpec:
    """A step of a given route (plan mode)."""

    kind: str
    id: int | None
    path: str
    service_at: int | None = None
    service_after: int | None = None
    service_before: int | None = None


@dataclass(frozen=True)
class Vehicle:
    """A VROOM vehicle with its defaults filled in."""

    rank: int
    id: int
    path: str
    profile: str
    description: str
    start: int | None
    end: int | None
    start_coordinates: tuple[float, float] | None
    end_coordinates: tuple[float, float] | None
    capacity: tuple[int, ...]
    skills: frozenset[int]
    time_window: tuple[int, int]
    breaks: tuple[Break, ...]
    speed_factor: float
    max_tasks: int | None
    max_travel_time_s: int | None
    max_distance_m: int | None
    fixed_cost: int
    per_hour: int
    per_km: int
    steps: tuple[StepSpec, ...]

    @property
    def cost_per_matrix_s(self) -> int:
        """Cost of one matrix second, in VROOM's cost units times ten (see COST_SCALE).

        VROOM rounds ``100 * per_hour / speed_factor`` half away from zero once, so
        a slowed vehicle's hour does not pick up the rounding of its travel factor.
        """
        return 10 * math.floor(100 * self.per_hour / self.speed_factor + 0.5)


@dataclass(frozen=True)
class ProfileMatrices:
    """Square matrices of one profile; ``distances_m``/``costs`` may be absent."""

    durations_s: tuple[tuple[int, ...], ...]
    distances_m: tuple[tuple[int, ...], ...] | None
    costs: tuple[tuple[int, ...], ...] | None


@dataclass(frozen=True)
class VroomProblem:
    """A validated VROOM request."""

    tasks: tuple[Task, ...]
    vehicles: tuple[Vehicle, ...]
    dims: int
    matrices: Mapping[str, ProfileMatrices]
    index_mode: bool
    locations: tuple[tuple[float, float], ...] = ()
    geometry: bool = False
    plan_mode: bool = False
    timeout_s: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def cost_from_timeline(self) -> bool:
        """True when VROOM prices a route from its reported timeline (whole seconds of
        travel and metres, rounded) rather than truncating its exact cost: in plan mode,
        and when it solves the request as VRPTW (a task or vehicle has a window other
        than all time, or a vehicle has breaks)."""
        return (
            self.plan_mode
            or any(not _all_time(t.time_windows) for t in self.tasks)
            or any(not _all_time((v.time_window,)) or v.breaks for v in self.vehicles)
        )

    @property
    def has_distances(self) -> bool:
        """True when every profile has distances (then routes report ``distance``)."""
        return all(m.distances_m is not None for m in self.matrices.values())

    def travel_s(self, vehicle: Vehicle, a: int | None, b: int | None) -> int:
        """Seconds from location ``a`` to ``b`` for ``vehicle`` (0 from/to an open end)."""
        if a is None or b is None:
            return 0
        raw = self.matrices[vehicle.profile].durations_s[a][b]
        if vehicle.speed_factor == 1.0:
            return raw
        # VROOM scales travel by round(100 / speed_factor) hundredths of a second per
        # matrix second; rounded up, the search's whole-second clock is never more
        # lenient than the timeline's exact one (travel_cs).
        return -(-raw * round(100 / vehicle.speed_factor) // 100)

    def travel_cs(self, vehicle: Vehicle, a: int | None, b: int | None) -> int:
        """Hundredths of a second from ``a`` to ``b``, exact, as VROOM times and costs them."""
        if a is None or b is None:
            return 0
        raw = self.matrices[vehicle.profile].durations_s[a][b]
        return raw * round(100 / vehicle.speed_factor)

    def distance_m(self, vehicle: Vehicle, a: int | None, b: int | None) -> int:
        """Metres from location ``a`` to ``b`` (0 without a distance matrix)."""
        d = self.matrices[vehicle.profile].distances_m
        if a is None or b is None or d is None:
            return 0
        return d[a][b]


_TOP = {"jobs", "shipments", "vehicles", "matrices", "matrix", "options"}
_JOB = {
    "id", "description", "location", "location_index", "setup", "service", "delivery",
    "pickup", "amount", "skills", "priority", "time_windows",
}  # fmt: skip
_SHIPMENT = {"pickup", "delivery", "amount", "skills", "priority"}
_SHIPMENT_STEP = {
    "id", "description", "location", "location_index", "setup", "service", "time_windows",
}  # fmt: skip
_VEHICLE = {
    "id", "profile", "description", "start", "start_index", "end", "end_index", "capacity",
    "costs", "skills", "time_window", "breaks", "speed_factor", "max_tasks",
    "max_travel_time", "max_distance", "steps",
}  # fmt: skip
_COSTS = {"fixed", "per_hour", "per_km"}
_BREAK = {"id", "time_windows", "service", "description", "max_load"}
_STEP = {"type", "id", "service_at", "service_after", "service_before"}
_MATRIX = {"durations", "distances", "costs"}
_OPTIONS = {"g", "c", "l"}
_STEP_TYPES = ("start", "job", "pickup", "delivery", "break", "end")


def parse_request(data: object, *, matrix_for: MatrixFor | None = None) -> VroomProblem:
    """Validate VROOM JSON (already decoded) into a :class:`VroomProblem`.

    Parameters
    ----------
    data
        The decoded JSON object.
    matrix_for
        For a request without ``matrices``: returns ``(durations_s, distances_m)``
        between the given ``(lon, lat)`` locations (road network or estimate).

    Raises
    ------
    InputError
        Listing every problem, each with the key path and a fix.
    """
    r = Reader()
    top = r.obj(data, "", _TOP)
    options = r.obj(top.get("options", {}), "options", _OPTIONS)
    dims = _dimensions(r, top)
    tasks = _tasks(r, top, dims)
    vehicles = _vehicles(r, top, dims)
    if not vehicles and "vehicles" in top:
        r.add("vehicles", "give at least one vehicle")
    index_mode = "matrices" in top or "matrix" in top
    matrices: dict[str, ProfileMatrices] = {}
    locations: tuple[tuple[float, float], ...] = ()
    if index_mode:
        matrices = _matrices(r, top)
    r.raise_if_any()
    if not index_mode:
        tasks, vehicles, locations = _index_coordinates(tasks, vehicles)
        if matrix_for is None:
            raise InputError(
                Problem("", "matrices", "give matrices (no travel-time source for coordinates)")
            )
        durations, distances = matrix_for(locations)
        matrices = {
            v.profile: ProfileMatrices(_freeze(durations), _freeze(distances), None)
            for v in vehicles
        }
    problem = VroomProblem(
        tasks=tuple(tasks),
        vehicles=tuple(vehicles),
        dims=dims,
        matrices=matrices,
        index_mode=index_mode,
        locations=locations,
        geometry=r.boolean(options, "g", "options.g"),
        plan_mode=r.boolean(options, "c", "options.c") or any(v.steps for v in vehicles),
        timeout_s=r.number(options, "l", "options.l", low=0.01, high=3600.0),
    )
    from routing.vroom.consistency import check_consistency

    check_consistency(r, problem)
    r.raise_if_any()
    return problem


def _freeze(rows: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(x) for x in row) for row in rows)


def _dimensions(r: Reader, top: Mapping[str, Any]) -> int:
    sizes: list[int] = []
    for v in top.get("vehicles", []) if isinstance(top.get("vehicles"), list) else []:
        if isinstance(v, dict) and isinstance(v.get("capacity"), list):
            sizes.append(len(v["capacity"]))
    for j in top.get("jobs", []) if isinstance(top.get("jobs"), list) else []:
        if isinstance(j, dict):
            sizes += [
                len(j[k]) for k in ("delivery", "pickup", "amount") if isinstance(j.get(k), list)
            ]
    for s in top.get("shipments", []) if isinstance(top.get("shipments"), list) else []:
        if isinstance(s, dict) and isinstance(s.get("amount"), list):
            sizes.append(len(s["amount"]))
    return max(sizes, default=0)


def _amount(r: Reader, item: Mapping[str, Any], key: str, path: str, dims: int) -> tuple[int, ...]:
    values = r.int_list(item, key, f"{path}.{key}", low=0)
    if values is None:
        return (0,) * dims
    if len(values) != dims:
        r.add(f"{path}.{key}", f"has {len(values)} values; every amount needs {dims}")
        return (0,) * dims
    return tuple(values)


def _place(
    r: Reader, item: Mapping[str, Any], key: str, index_key: str, path: str
) -> tuple[int | None, tuple[float, float] | None]:
    coordinates = r.lonlat(item, key, f"{path}.{key}")
    index = r.integer(item, index_key, f"{path}.{index_key}", low=0, high=10**6)
    return index, coordinates


def _task(
    r: Reader, item: Mapping[str, Any], path: str, kind: str, rank: int, common: dict[str, Any]
) -> Task:
    index, coordinates = _place(r, item, "location", "location_index", path)
    if index is None and coordinates is None:
        r.add(f"{path}.location", "give location [lon, lat] or location_index")
    return Task(
        rank=rank,
        kind=kind,
        id=r.integer(item, "id", f"{path}.id", low=0, required=True) or 0,
        path=path,
        location=-1 if index is None else index,
        coordinates=coordinates,
        description=r.string(item, "description", f"{path}.description"),
        setup_s=r.integer(item, "setup", f"{path}.setup", low=0, high=10**7) or 0,
        service_s=r.integer(item, "service", f"{path}.service", low=0, high=10**7) or 0,
        time_windows=r.windows(item, "time_windows", f"{path}.time_windows"),
        **common,
    )


def _tasks(r: Reader, top: Mapping[str, Any], dims: int) -> list[Task]:
    tasks: list[Task] = []
    zero = (0,) * dims
    for i, raw in enumerate(r.array(top, "jobs", "jobs")):
        path = f"jobs[{i}]"
        job = r.obj(raw, path, _JOB)
        if "amount" in job:
            r.add(f"{path}.amount", "deprecated in VROOM: use delivery and/or pickup")
        delivery = _amount(r, job, "delivery", path, dims)
        pickup = _amount(r, job, "pickup", path, dims)
        common = {
            "initial": delivery,
            "change": tuple(p - d for p, d in zip(pickup, delivery, strict=True)),
            "delivery": delivery,
            "pickup": pickup,
            "skills": frozenset(r.int_list(job, "skills", f"{path}.skills", low=0) or ()),
            "priority": r.integer(job, "priority", f"{path}.priority", low=0, high=100) or 0,
        }
        tasks.append(_task(r, job, path, "job", len(tasks), common))
    for i, raw in enumerate(r.array(top, "shipments", "shipments")):
        path = f"shipments[{i}]"
        ship = r.obj(raw, path, _SHIPMENT)
        amount = _amount(r, ship, "amount", path, dims)
        skills = frozenset(r.int_list(ship, "skills", f"{path}.skills", low=0) or ())
        priority = r.integer(ship, "priority", f"{path}.priority", low=0, high=100) or 0
        missing = [k for k in ("pickup", "delivery") if not isinstance(ship.get(k), dict)]
        for kind in missing:
            r.add(f"{path}.{kind}", "required: an object with id and location")
        if missing:
            continue
        ends = []
        for kind, sign in (("pickup", 1), ("delivery", -1)):
            step = r.obj(ship.get(kind), f"{path}.{kind}", _SHIPMENT_STEP, required=True)
            common = {
                "initial": zero,
                "change": tuple(sign * a for a in amount),
                "delivery": zero if sign > 0 else amount,
                "pickup": amount if sign > 0 else zero,
                "skills": skills,
                "priority": priority,
                "partner": len(tasks) + (1 if sign > 0 else -1),
            }
            ends.append(_task(r, step, f"{path}.{kind}", kind, len(tasks), common))
            tasks.append(ends[-1])
    return tasks


def _vehicles(r: Reader, top: Mapping[str, Any], dims: int) -> list[Vehicle]:
    vehicles: list[Vehicle] = []
    for i, raw in enumerate(r.array(top, "vehicles", "vehicles", required=True)):
        path = f"vehicles[{i}]"
        v = r.obj(raw, path, _VEHICLE)
        start, start_xy = _place(r, v, "start", "start_index", path)
        end, end_xy = _place(r, v, "end", "end_index", path)
        if start is None and start_xy is None and end is None and end_xy is None:
            r.add(f"{path}.start", "give start and/or end (coordinates or *_index)")
        costs = r.obj(v.get("costs", {}), f"{path}.costs", _COSTS)
        capacity = r.int_list(v, "capacity", f"{path}.capacity", low=0)
        if capacity is None:
            capacity = [2**40] * dims
        elif len(capacity) != dims:
            r.add(f"{path}.capacity", f"has {len(capacity)} values; every amount needs {dims}")
        window = r.window(v, "time_window", f"{path}.time_window") or (0, OPEN_END_S)
        vehicles.append(
            Vehicle(
                rank=i,
                id=r.integer(v, "id", f"{path}.id", low=0, required=True) or 0,
                path=path,
                profile=r.string(v, "profile", f"{path}.profile") or "car",
                description=r.string(v, "description", f"{path}.description"),
                start=-1 if start is None and start_xy is not None else start,
                end=-1 if end is None and end_xy is not None else end,
                start_coordinates=start_xy,
                end_coordinates=end_xy,
                capacity=tuple(capacity),
                skills=frozenset(r.int_list(v, "skills", f"{path}.skills", low=0) or ()),
                time_window=window,
                breaks=_breaks(r, v, path, dims),
                speed_factor=r.number(v, "speed_factor", f"{path}.speed_factor", 0.01, 5.0) or 1.0,
                max_tasks=r.integer(v, "max_tasks", f"{path}.max_tasks", low=0),
                max_travel_time_s=r.integer(v, "max_travel_time", f"{path}.max_travel_time", 0),
                max_distance_m=r.integer(v, "max_distance", f"{path}.max_distance", low=0),
                fixed_cost=r.integer(costs, "fixed", f"{path}.costs.fixed", 0, 10**9) or 0,
                per_hour=r.integer(costs, "per_hour", f"{path}.costs.per_hour", 0, 10**7, 3600)
                or 0,
                per_km=r.integer(costs, "per_km", f"{path}.costs.per_km", 0, 10**7) or 0,
                steps=_steps(r, v, path),
            )
        )
    return vehicles


def _breaks(r: Reader, v: Mapping[str, Any], path: str, dims: int) -> tuple[Break, ...]:
    out: list[Break] = []
    for b, raw in enumerate(r.array(v, "breaks", f"{path}.breaks")):
        bp = f"{path}.breaks[{b}]"
        item = r.obj(raw, bp, _BREAK)
        max_load = r.int_list(item, "max_load", f"{bp}.max_load", low=0)
        if max_load is not None and len(max_load) != dims:
            r.add(f"{bp}.max_load", f"has {len(max_load)} values; every amount needs {dims}")
        out.append(
            Break(
                id=r.integer(item, "id", f"{bp}.id", low=0, required=True) or 0,
                time_windows=r.windows(item, "time_windows", f"{bp}.time_windows")
                or ((0, OPEN_END_S),),
                service_s=r.integer(item, "service", f"{bp}.service", low=0, high=10**7) or 0,
                description=r.string(item, "description", f"{bp}.description"),
                max_load=None if max_load is None else tuple(max_load),
            )
        )
    return tuple(out)


def _steps(r: Reader, v: Mapping[str, Any], path: str) -> tuple[StepSpec, ...]:
    out: list[StepSpec] = []
    for s, raw in enumerate(r.array(v, "steps", f"{path}.steps")):
        sp = f"{path}.steps[{s}]"
        item = r.obj(raw, sp, _STEP)
        kind = r.string(item, "type", f"{sp}.type")
        if kind not in _STEP_TYPES:
            r.add(f"{sp}.type", f"must be one of {', '.join(_STEP_TYPES)}")
        step_id = r.integer(item, "id", f"{sp}.id", low=0)
        if kind in ("job", "pickup", "delivery", "break") and step_id is None:
            r.add(f"{sp}.id", f"a {kind} step needs the id of its task")
        out.append(
            StepSpec(
                kind=kind,
                id=step_id,
                path=sp,
                service_at=r.integer(item, "service_at", f"{sp}.service_at", low=0),
                service_after=r.integer(item, "service_after", f"{sp}.service_after", low=0),
                service_before=r.integer(item, "service_before", f"{sp}.service_before", low=0),
            )
        )
    return tuple(out)


def _matrices(r: Reader, top: Mapping[str, Any]) -> dict[str, ProfileMatrices]:
    raw_all: dict[str, Any] = {}
    if "matrix" in top:  # VROOM's older single travel-time matrix, for profile "car"
        raw_all["car"] = {"durations": top["matrix"]}
    if "matrices" in top:
        if not isinstance(top["matrices"], dict):
            r.add("matrices", "must be an object {profile: {durations, distances, costs}}")
        else:
            raw_all.update(top["matrices"])
    out: dict[str, ProfileMatrices] = {}
    for profile, raw in raw_all.items():
        path = f"matrices.{profile}"
        m = r.obj(raw, path, _MATRIX)
        rows = {k: r.square(m, k, f"{path}.{k}", MAX_MATRIX_VALUE) for k in sorted(_MATRIX)}
        durations = rows["durations"]
        if durations is None:
            if "durations" not in m:
                r.add(f"{path}.durations", "required: travel times in seconds")
            continue
        for k in ("distances", "costs"):
            other = rows[k]
            if other is not None and len(other) != len(durations):
                r.add(f"{path}.{k}", f"must be {len(durations)} x {len(durations)} as durations")
        out[profile] = ProfileMatrices(
            _freeze(durations),
            None if rows["distances"] is None else _freeze(rows["distances"]),
            None if rows["costs"] is None else _freeze(rows["costs"]),
        )
    return out


def _index_coordinates(
    tasks: Sequence[Task], vehicles: Sequence[Vehicle]
) -> tuple[list[Task], list[Vehicle], tuple[tuple[float, float], ...]]:
    """Number the distinct coordinates (vehicles first) and point everything at them."""
    seen: dict[tuple[float, float], int] = {}
    for v in vehicles:
        for xy in (v.start_coordinates, v.end_coordinates):
            if xy is not None:
                seen.setdefault(xy, len(seen))
    for t in tasks:
        if t.coordinates is not None:
            seen.setdefault(t.coordinates, len(seen))

    def at(xy: tuple[float, float] | None) -> int | None:
        return None if xy is None else seen[xy]

    new_tasks = [replace(t, location=seen[t.coordinates]) for t in tasks if t.coordinates]
    new_vehicles = [
        replace(v, start=at(v.start_coordinates), end=at(v.end_coordinates)) for v in vehicles
    ]
    return new_tasks, new_vehicles, tuple(seen)
