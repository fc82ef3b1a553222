"""An independent referee for VROOM answers: reads only the raw request and response.

It shares no code with the parser, the solver or the timeline, so a mistake there is
not repeated here. It checks what VROOM's ``docs/API.md`` promises: each task served
once or listed unassigned; routes from the vehicle's start to its end; skills; load
after every step per amount component (job deliveries on board at the start, pickups
kept to the end, shipments picked up before they are delivered, on one vehicle);
every task started inside one of its windows and no earlier than the travel allows;
setup paid when arriving from another location; every break once, inside a window,
under its ``max_load``; the vehicle's window; ``max_tasks``, ``max_travel_time``,
``max_distance``; and each route's cost from ``costs`` or the matrices, rounded as
VROOM rounds it (a reported cost that differs is a violation).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]
COST_UNIT = 360_000  # VROOM's costs: hundredths of a second times 3,600 per hour


@dataclass
class Verdict:
    """What the referee found: violations (empty = clean) and the recomputed costs."""

    violations: list[str] = field(default_factory=list)
    route_costs: dict[int, int] = field(default_factory=dict)
    served: int = 0

    @property
    def cost(self) -> int:
        """Sum of the recomputed route costs."""
        return sum(self.route_costs.values())


def _tasks(request: Json) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for job in request.get("jobs", []):
        out[("job", job["id"])] = {**job, "_kind": "job"}
    for s in request.get("shipments", []):
        for kind in ("pickup", "delivery"):
            other = "delivery" if kind == "pickup" else "pickup"
            out[(kind, s[kind]["id"])] = {
                **s[kind],
                "_kind": kind,
                "_amount": s.get("amount", []),
                "skills": s.get("skills", []),
                "priority": s.get("priority", 0),
                "_partner": (other, s[other]["id"]),
            }
    return out


def _vec(values: Sequence[int] | None, n: int) -> list[int]:
    values = list(values or [])
    return values + [0] * (n - len(values))


def _dims(request: Json) -> int:
    sizes = [len(v.get("capacity", [])) for v in request["vehicles"]]
    sizes += [len(j.get(k, [])) for j in request.get("jobs", []) for k in ("delivery", "pickup")]
    sizes += [len(s.get("amount", [])) for s in request.get("shipments", [])]
    return max(sizes, default=0)


class _Matrices:
    def __init__(self, request: Json, matrices: Json | None) -> None:
        self.m = matrices if matrices is not None else request.get("matrices", {})
        self.from_timeline = _cost_from_timeline(request)

    def travel_cs(self, vehicle: Json, a: int | None, b: int | None) -> int:
        """Hundredths of a second, as VROOM times with a ``speed_factor``."""
        if a is None or b is None:
            return 0
        raw = self.m[vehicle.get("profile", "car")]["durations"][a][b]
        return int(raw) * round(100 / float(vehicle.get("speed_factor", 1.0)))

    def distance(self, vehicle: Json, a: int | None, b: int | None) -> int:
        d = self.m[vehicle.get("profile", "car")].get("distances")
        return 0 if a is None or b is None or d is None else int(d[a][b])

    def cost(self, vehicle: Json, a: int | None, b: int | None) -> int:
        """In VROOM's exact unit, 1/COST_UNIT: it truncates only a route's total."""
        if a is None or b is None:
            return 0
        m = self.m[vehicle.get("profile", "car")]
        if m.get("costs") is not None:
            return int(m["costs"][a][b]) * COST_UNIT
        costs = vehicle.get("costs", {})
        speed = float(vehicle.get("speed_factor", 1.0))
        per_s = math.floor(100 * int(costs.get("per_hour", 3600)) / speed + 0.5)
        raw_s = int(m["durations"][a][b])
        return per_s * raw_s + 360 * int(costs.get("per_km", 0)) * self.distance(vehicle, a, b)


def check_answer(request: Json, answer: Json, *, matrices: Json | None = None) -> Verdict:
    """Check ``answer`` against ``request`` (index mode, or ``matrices`` by location index).

    For a request with coordinates, pass ``matrices`` ``{profile: {durations,
    distances}}`` indexed by each step's and task's ``location_index``.
    """
    verdict = Verdict()
    tasks = _tasks(request)
    vehicles = {v["id"]: v for v in request["vehicles"]}
    mats = _Matrices(request, matrices)
    dims = _dims(request)
    seen: Counter[tuple[str, int]] = Counter()
    for route in answer.get("routes", []):
        v = vehicles.get(route["vehicle"])
        if v is None:
            verdict.violations.append(f"route of unknown vehicle {route['vehicle']}")
            continue
        _route(verdict, route, v, tasks, mats, dims, seen)
    for u in answer.get("unassigned", []):
        seen[(u.get("type", "job"), u["id"])] += 1
    for key in tasks:
        if seen[key] != 1:
            verdict.violations.append(f"{key[0]} {key[1]} reported {seen[key]} times")
    verdict.served = sum(
        1 for r in answer.get("routes", []) for s in r["steps"] if s["type"] in _TASK_TYPES
    )
    if answer.get("summary", {}).get("unassigned", 0) != len(answer.get("unassigned", [])):
        verdict.violations.append("summary.unassigned differs from the unassigned list")
    return verdict


_TASK_TYPES = ("job", "pickup", "delivery")


def _cost_from_timeline(request: Json) -> bool:
    """VROOM prices the reported timeline in plan mode (``options.c``, or routes given
    as ``steps``), and in VRPTW: once any window or break is given."""
    everything = [[0, 2**32 - 1]]
    tasks = list(request.get("jobs", []))
    tasks += [s[end] for s in request.get("shipments", []) for end in ("pickup", "delivery")]
    vehicles = request["vehicles"]
    return (
        bool(request.get("options", {}).get("c"))
        or any(v.get("steps") for v in vehicles)
        or any(t.get("time_windows", everything) != everything for t in tasks)
        or any(v.get("time_window", everything[0]) != everything[0] for v in vehicles)
        or any(v.get("breaks") for v in vehicles)
    )


def _reported_cost(walk: _Walk, steps: Sequence[Json]) -> int:
    """VROOM's exact cost truncated or, where VROOM prices the timeline, the travel
    seconds reported (each step's arrival less the previous step's end, as VROOM counts
    them) and the metres, rounded half up. A costs matrix is exact either way."""
    v = walk.v
    if not walk.mats.from_timeline or walk.mats.m[v.get("profile", "car")].get("costs") is not None:
        return walk.cost // COST_UNIT
    travel_s = 0
    for before, s in itertools.pairwise(steps):
        end = before["arrival"] + sum(
            before.get(k, 0) for k in ("waiting_time", "setup", "service")
        )
        travel_s += s["arrival"] - end
    costs = v.get("costs", {})
    priced = travel_s * int(costs.get("per_hour", 3600)) * 1000
    priced += walk.distance_total * int(costs.get("per_km", 0)) * 3600
    return (2 * priced + 3_600_000) // 7_200_000


def _next_location(
    steps: Sequence[Json], tasks: Mapping[tuple[str, int], Json], end_loc: int | None
) -> int | None:
    for s in steps:
        if s["type"] in _TASK_TYPES:
            return tasks[(s["type"], s["id"])].get("location_index")
        if s["type"] == "end":
            return end_loc
    return None


def _at(step: Json) -> int | None:
    index = step.get("location_index")
    return None if index is None else int(index)


@dataclass
class _Walk:
    """One route walked step by step: the vehicle's fixed facts and the running state.

    Times are in hundredths of a second: VROOM's own unit once a speed_factor applies;
    reported times are whole seconds, so a step may show up to 0.99 s early.
    """

    bad: list[str]
    name: str
    v: Json
    tasks: Mapping[tuple[str, int], Json]
    mats: _Matrices
    dims: int
    end_loc: int | None
    clock: int
    here: int | None
    last: int | None
    load: list[int]
    driven: int = 0
    travel_cs: int = 0
    distance_total: int = 0
    cost: int = 0
    taken: Counter[int] = field(default_factory=Counter)
    on_board: set[tuple[str, int]] = field(default_factory=set)


def _route(
    verdict: Verdict,
    route: Json,
    v: Json,
    tasks: Mapping[tuple[str, int], Json],
    mats: _Matrices,
    dims: int,
    seen: Counter[tuple[str, int]],
) -> None:
    bad = verdict.violations
    name = f"vehicle {v['id']}"
    steps = route["steps"]
    start_loc = v.get("start_index")
    end_loc = v.get("end_index")
    _check_ends(bad, name, steps, start_loc, end_loc)
    route_tasks = [tasks.get((s["type"], s["id"])) for s in steps if s["type"] in _TASK_TYPES]
    if any(t is None for t in route_tasks):
        bad.append(f"{name}: a step names an unknown task")
        return
    capacity = _vec(v.get("capacity"), dims) if "capacity" in v else None
    load = [sum(_vec(t.get("delivery"), dims)[d] for t in route_tasks if t) for d in range(dims)]
    window = v.get("time_window", [0, 2**62])
    breaks = {b["id"]: b for b in v.get("breaks", [])}
    walk = _Walk(
        bad, name, v, tasks, mats, dims, end_loc, 100 * window[0], start_loc, start_loc, load
    )
    skills = set(v.get("skills", []))
    for n, s in enumerate(steps):
        kind = s["type"]
        if kind == "start":
            walk.clock = max(walk.clock, 100 * s.get("arrival", 0))
        elif kind == "break":
            _break_step(walk, s, breaks.get(s["id"]), steps[n + 1 :])
        elif kind == "end":
            loc = end_loc if end_loc is not None else walk.here
            earliest = _arrive(walk, s, loc)
            if earliest > 100 * window[1]:
                bad.append(f"{name}: ends at {earliest / 100} after its window {window}")
            walk.here = loc
        else:
            t = tasks[(kind, s["id"])]
            earliest = _arrive(walk, s, t.get("location_index"))
            seen[(kind, s["id"])] += 1
            if not set(t.get("skills", [])) <= skills:
                bad.append(f"{name}: lacks the skills of {kind} {s['id']}")
            _serve(walk, s, t, earliest, capacity)
    if walk.clock > 100 * window[1]:
        bad.append(f"{name}: works until {walk.clock / 100}, after its window {window}")
    for b in breaks:
        if walk.taken[b] != 1:
            bad.append(f"{name}: break {b} taken {walk.taken[b]} times")
    if walk.on_board:
        bad.append(f"{name}: shipments picked up and not delivered: {sorted(walk.on_board)}")
    _check_limits(walk, len(route_tasks))
    cost = v.get("costs", {}).get("fixed", 0) + _reported_cost(walk, steps)
    verdict.route_costs[v["id"]] = cost
    if route.get("cost", cost) != cost:
        bad.append(f"{name}: reports cost {route['cost']}, the matrices give {cost}")
    if route.get("violations"):
        bad.append(f"{name}: the answer itself reports violations {route['violations']}")


def _check_ends(
    bad: list[str], name: str, steps: Sequence[Json], start_loc: int | None, end_loc: int | None
) -> None:
    """The route begins at the vehicle's start and finishes at its end, when it has them."""
    kinds = [s["type"] for s in steps]
    if start_loc is not None and (kinds[:1] != ["start"] or _at(steps[0]) != start_loc):
        bad.append(f"{name}: the route does not begin at the vehicle's start")
    if end_loc is not None and (kinds[-1:] != ["end"] or _at(steps[-1]) != end_loc):
        bad.append(f"{name}: the route does not finish at the vehicle's end")


def _break_step(walk: _Walk, s: Json, b: Json | None, following: Sequence[Json]) -> None:
    """A break: the vehicle's own, after the previous step, inside a window and max_load."""
    bad, name, dims, load = walk.bad, walk.name, walk.dims, walk.load
    if b is None:
        bad.append(f"{name}: break {s['id']} is not the vehicle's")
        return
    walk.taken[s["id"]] += 1
    # A break may interrupt the leg to the next stop (VROOM 1.15): the time
    # between the previous step and the break counts as driving, up to the leg. The
    # arrival shown is truncated to the second, so up to 0.99 s more may have been driven.
    ahead = _next_location(following, walk.tasks, walk.end_loc)
    leg = walk.mats.travel_cs(walk.v, walk.here, ahead) if ahead is not None else 0
    drive = max(0, min(leg - walk.driven, 100 * s["arrival"] + 99 - walk.clock))
    walk.driven += drive
    walk.clock += drive
    if 100 * s["arrival"] < walk.clock - 99:
        bad.append(f"{name}: break {s['id']} before the previous step ends")
    begin = max(walk.clock, 100 * (s["arrival"] + s.get("waiting_time", 0)))
    if not any(100 * lo <= begin <= 100 * hi for lo, hi in b["time_windows"]):
        bad.append(f"{name}: break {s['id']} starts at {begin / 100}, outside its windows")
    if "max_load" in b and any(load[d] > b["max_load"][d] for d in range(dims)):
        bad.append(f"{name}: load {load} over break {s['id']} max_load {b['max_load']}")
    walk.clock = begin + 100 * b.get("service", 0)


def _arrive(walk: _Walk, s: Json, loc: int | None) -> int:
    """Drive from the last location to ``loc``; the earliest arrival (hundredths of s).

    The step's reported arrival must not be earlier than the travel allows.
    """
    v, here = walk.v, walk.here
    walk.travel_cs += walk.mats.travel_cs(v, here, loc)
    earliest = walk.clock + walk.mats.travel_cs(v, here, loc) - walk.driven
    walk.driven = 0
    walk.distance_total += walk.mats.distance(v, here, loc)
    walk.cost += walk.mats.cost(v, here, loc)
    if 100 * s["arrival"] < earliest - 99:
        walk.bad.append(
            f"{walk.name}: {s['type']} {s.get('id', '')} arrives {s['arrival']} < {earliest / 100}"
        )
    return earliest


def _serve(walk: _Walk, s: Json, t: Json, earliest: int, capacity: list[int] | None) -> None:
    """A task: started inside a window (setup when arriving from elsewhere), the load
    after it within capacity."""
    bad, name, kind, dims = walk.bad, walk.name, s["type"], walk.dims
    loc = t.get("location_index")
    setup = t.get("setup", 0) if walk.last != loc or walk.last is None else 0
    begin = max(100 * (s["arrival"] + s.get("waiting_time", 0)), earliest)
    windows = t.get("time_windows") or [[0, 2**62]]
    if not any(100 * lo <= begin <= 100 * hi for lo, hi in windows):
        bad.append(f"{name}: {kind} {s['id']} starts at {begin / 100}, outside {windows}")
    walk.clock, walk.here, walk.last = begin + 100 * (setup + t.get("service", 0)), loc, loc
    _load_step(bad, name, kind, s["id"], t, walk.load, dims, walk.on_board)
    if capacity is not None and any(walk.load[d] > capacity[d] for d in range(dims)):
        bad.append(f"{name}: load {walk.load} over capacity {capacity} after {kind} {s['id']}")


def _check_limits(walk: _Walk, n_tasks: int) -> None:
    """The vehicle's ``max_tasks``, ``max_travel_time`` and ``max_distance``."""
    v, bad, name = walk.v, walk.bad, walk.name
    travel_total = walk.travel_cs / 100
    if v.get("max_tasks") is not None and n_tasks > v["max_tasks"]:
        bad.append(f"{name}: {n_tasks} tasks > max_tasks {v['max_tasks']}")
    if v.get("max_travel_time") is not None and travel_total > v["max_travel_time"]:
        bad.append(f"{name}: travel {travel_total} s > max_travel_time {v['max_travel_time']}")
    if v.get("max_distance") is not None and walk.distance_total > v["max_distance"]:
        bad.append(f"{name}: distance {walk.distance_total} m > max_distance {v['max_distance']}")


def _load_step(
    bad: list[str],
    name: str,
    kind: str,
    task_id: int,
    t: Json,
    load: list[int],
    dims: int,
    on_board: set[tuple[str, int]],
) -> None:
    if kind == "job":
        for d in range(dims):
            load[d] += _vec(t.get("pickup"), dims)[d] - _vec(t.get("delivery"), dims)[d]
    elif kind == "pickup":
        on_board.add(("pickup", task_id))
        for d in range(dims):
            load[d] += _vec(t["_amount"], dims)[d]
    else:
        partner = t["_partner"]
        if partner not in on_board:
            bad.append(f"{name}: delivery {task_id} before (or without) its pickup")
        on_board.discard(partner)
        for d in range(dims):
            load[d] -= _vec(t["_amount"], dims)[d]
