"""Arrival times, loads, costs and violations along one VROOM route.

A route is a sequence of items: ``("task", rank)`` or ``("break", index)``. Each task
starts at the earliest time at or after arrival that lies in one of its windows. A
break is taken on arrival at the next stop, as VROOM 1.15 does, or before leaving
when its windows close before that arrival (VROOM's break steps carry no location).
Setup time applies when the previous task was at another location. Time is kept in
hundredths of a second (a ``speed_factor`` scales travel so) and shown truncated to
whole seconds, as VROOM does; the travel shown is each arrival less the previous step's
shown end, VROOM's own count. The same computation
serves VROOM's plan mode (given steps) and the solver's routes, so what is reported is
what was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from routing.vroom.request import StepSpec, Task, Vehicle, VroomProblem

Item = tuple[str, int]  # ("task", rank) or ("break", index in vehicle.breaks)
# Ten times VROOM's own unit (100 * 3600 per cost unit): a matrix second costs
# ``Vehicle.cost_per_matrix_s`` and a metre ``per_km * 3600``. The search minimises
# this exact sum; ``_reported_cost`` turns it into the number VROOM would print.
COST_SCALE = 3_600_000


@dataclass
class RouteTimeline:
    """One route as VROOM reports it, with every violation found."""

    vehicle: Vehicle
    steps: list[dict[str, Any]]
    cost: int = 0
    travel_s: int = 0  # as VROOM reports it: each arrival less the previous step's end
    travel_cs: int = 0  # exact, hundredths of a second
    distance_m: int = 0
    setup_s: int = 0
    service_s: int = 0
    waiting_s: int = 0
    priority: int = 0
    delivery: list[int] = field(default_factory=list)
    pickup: list[int] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    bad_tasks: set[int] = field(default_factory=set)  # ranks of tasks at a violation


def earliest_in(windows: Sequence[tuple[int, int]], t: int, scale: int = 1) -> tuple[int, int]:
    """Earliest start at or after ``t`` inside ``windows``, and lateness (0 if none).

    ``scale``: units of ``t`` per window unit (100 for hundredths against seconds).
    """
    if not windows:
        return t, 0
    for start, end in windows:
        if t <= scale * end:
            return max(t, scale * start), 0
    return t, t - scale * windows[-1][1]


def arc_cost(problem: VroomProblem, v: Vehicle, a: int | None, b: int | None) -> int:
    """Cost of travelling ``a`` -> ``b`` in units of 1/COST_SCALE (costs matrix: x1)."""
    if a is None or b is None:
        return 0
    costs = problem.matrices[v.profile].costs
    if costs is not None:
        return costs[a][b] * COST_SCALE
    raw_s = problem.matrices[v.profile].durations_s[a][b]
    return v.cost_per_matrix_s * raw_s + v.per_km * problem.distance_m(v, a, b) * 3600


def _where(problem: VroomProblem, index: int | None) -> dict[str, Any]:
    if index is None:
        return {}
    if problem.index_mode:
        return {"location_index": index}
    return {"location": list(problem.locations[index])}


def _spec_bounds(spec: StepSpec | None) -> tuple[int, int | None]:
    """Plan mode's ``service_at/after/before`` as bounds on the start, hundredths."""
    if spec is None:
        return 0, None
    low = max(x for x in (spec.service_at, spec.service_after, 0) if x is not None)
    highs = [x for x in (spec.service_at, spec.service_before) if x is not None]
    return 100 * low, 100 * min(highs) if highs else None


def route_timeline(
    problem: VroomProblem,
    v: Vehicle,
    items: Sequence[Item],
    specs: Sequence[StepSpec | None] | None = None,
) -> RouteTimeline:
    """Compute VROOM's route for vehicle ``v`` through ``items`` in order.

    ``specs`` (plan mode) gives each item's ``service_at/after/before``.
    """
    dims = problem.dims
    tasks = [problem.tasks[i] for kind, i in items if kind == "task"]
    load = [sum(t.initial[d] for t in tasks) for d in range(dims)]
    out = RouteTimeline(vehicle=v, steps=[])
    out.delivery = [sum(t.delivery[d] for t in tasks) for d in range(dims)]
    out.pickup = [sum(t.pickup[d] for t in tasks) for d in range(dims)]
    # VROOM always reports start and end steps; an open end sits at the first (last) task.
    first = tasks[0].location if tasks and v.start is None else v.start
    step = _base_step("start", problem, first, v.time_window[0], load)
    if any(load[d] > v.capacity[d] for d in range(dims)):
        step["violations"].append({"cause": "load"})
    out.steps.append(step)
    state = _State(100 * v.time_window[0], v.start, v.start, shown_end=v.time_window[0])
    seen: set[int] = set()
    for n, (kind, i) in enumerate(items):
        spec = specs[n] if specs is not None else None
        if kind == "break":
            later = [problem.tasks[j].location for k, j in items[n + 1 :] if k == "task"]
            _break_step(problem, out, state, v, i, later[0] if later else v.end, load, spec)
            continue
        t = problem.tasks[i]
        arrival = state.clock + _leg(problem, out, state, v, t.location)
        setup = t.setup_s if state.last != t.location or state.last is None else 0
        low, high = _spec_bounds(spec)
        start, late = earliest_in(t.time_windows, max(arrival, low), 100)
        if high is not None and start > high:
            late = max(late, start - high)
        for d in range(dims):
            load[d] += t.change[d]
        step = _shown_step(t.kind, problem, out, state, (t.location, arrival, start), load)
        step.update(id=t.id, setup=setup, service=t.service_s)
        if t.kind == "job":
            step["job"] = t.id
        if t.description:
            step["description"] = t.description
        _task_violations(step["violations"], v, t, load, late, seen)
        if step["violations"]:
            out.bad_tasks.add(t.rank)
        seen.add(t.rank)
        out.steps.append(step)
        out.setup_s += setup
        out.service_s += t.service_s
        out.priority += t.priority
        state.shown_end += setup + t.service_s
        state.clock, state.last = start + 100 * (setup + t.service_s), t.location
    _finish(problem, out, state, v, load, seen)
    return out


@dataclass
class _State:
    clock: int  # hundredths of a second, as VROOM keeps time
    here: int | None  # where the vehicle is
    last: int | None  # where the last task (or the start) was: setup is paid on a change
    cost: int = 0
    driven_cs: int = 0  # part of the next leg already driven (a break may interrupt it)
    shown_end: int = 0  # the reported end of the last step, whole seconds


def _leg(
    problem: VroomProblem, out: RouteTimeline, state: _State, v: Vehicle, to: int | None
) -> int:
    """Rest of the travel to ``to`` (an open end: stay), hundredths of a second; the
    vehicle is then there."""
    if to is None:
        return 0
    travel = problem.travel_cs(v, state.here, to) - state.driven_cs
    out.travel_cs += travel
    out.distance_m += problem.distance_m(v, state.here, to)
    state.cost += arc_cost(problem, v, state.here, to)
    state.here, state.driven_cs = to, 0
    return travel


def _shown_step(
    kind: str,
    problem: VroomProblem,
    out: RouteTimeline,
    state: _State,
    where_arrival_start: tuple[int | None, int, int],
    load: list[int],
) -> dict[str, Any]:
    """A step as VROOM shows it: times truncated to whole seconds, and the travel so far
    counted from each shown arrival less the previous step's shown end.

    ``where_arrival_start``: the location, and the arrival and start in hundredths.
    """
    where, arrival, start = where_arrival_start
    shown, waiting = arrival // 100, start // 100 - arrival // 100
    out.travel_s += shown - state.shown_end
    out.waiting_s += waiting
    state.shown_end = shown + waiting
    step = _base_step(kind, problem, where, shown, load)
    step.update(waiting_time=waiting, duration=out.travel_s, distance=out.distance_m)
    return step


def _base_step(
    kind: str, problem: VroomProblem, index: int | None, arrival: int, load: list[int]
) -> dict[str, Any]:
    step: dict[str, Any] = {"type": kind, **_where(problem, index)}
    step.update(setup=0, service=0, waiting_time=0, arrival=arrival, duration=0, distance=0)
    if problem.dims:
        step["load"] = list(load)
    step["violations"] = []
    return step


def _task_violations(
    found: list[dict[str, Any]], v: Vehicle, t: Task, load: list[int], late: int, seen: set[int]
) -> None:
    if late > 0:  # hundredths; VROOM reports whole seconds, truncated
        found.append({"cause": "delay", "duration": late // 100})
    if any(load[d] > v.capacity[d] for d in range(len(load))):
        found.append({"cause": "load"})
    if not t.skills <= v.skills:
        found.append({"cause": "skills"})
    if t.kind == "delivery" and t.partner not in seen:
        found.append({"cause": "precedence"})


def _break_step(
    problem: VroomProblem,
    out: RouteTimeline,
    state: _State,
    v: Vehicle,
    b: int,
    next_location: int | None,
    load: list[int],
    spec: StepSpec | None,
) -> None:
    """Take break ``b`` as soon as a window allows, stopping on the way if need be.

    VROOM 1.15 lets a break interrupt the leg to the next stop; taking it at the
    earliest allowed moment never makes any later step later.
    """
    brk = v.breaks[b]
    low, high = _spec_bounds(spec)
    start, late = earliest_in(brk.time_windows, max(state.clock, low), 100)
    if next_location is not None:
        left = problem.travel_cs(v, state.here, next_location) - state.driven_cs
        if start - state.clock >= left:
            state.clock += _leg(problem, out, state, v, next_location)
        else:
            state.driven_cs += start - state.clock
            out.travel_cs += start - state.clock
            state.clock = start
        start, late = earliest_in(brk.time_windows, max(state.clock, low), 100)
    if high is not None and start > high:
        late = max(late, start - high)
    step = _shown_step("break", problem, out, state, (None, state.clock, start), load)
    step.update(id=brk.id, service=brk.service_s)
    if brk.description:
        step["description"] = brk.description
    if late > 0:
        step["violations"].append({"cause": "delay", "duration": late // 100})
    if brk.max_load is not None and any(load[d] > brk.max_load[d] for d in range(len(load))):
        step["violations"].append({"cause": "max_load"})
    out.steps.append(step)
    out.service_s += brk.service_s
    state.shown_end += brk.service_s
    state.clock = start + 100 * brk.service_s


def _finish(
    problem: VroomProblem,
    out: RouteTimeline,
    state: _State,
    v: Vehicle,
    load: list[int],
    seen: set[int],
) -> None:
    arrival = state.clock + _leg(problem, out, state, v, v.end)
    step = _shown_step("end", problem, out, state, (state.here, arrival, arrival), load)
    if arrival > 100 * v.time_window[1]:
        late = arrival - 100 * v.time_window[1]
        step["violations"].append({"cause": "delay", "duration": late // 100})
    out.steps.append(step)
    if not problem.has_distances:
        for s in out.steps:
            s.pop("distance", None)
    route_level: list[dict[str, Any]] = []
    if v.max_tasks is not None and len(seen) > v.max_tasks:
        route_level.append({"cause": "max_tasks"})
    if v.max_travel_time_s is not None and out.travel_cs > 100 * v.max_travel_time_s:
        route_level.append({"cause": "max_travel_time"})
    if v.max_distance_m is not None and out.distance_m > v.max_distance_m:
        route_level.append({"cause": "max_distance"})
    taken = {s["id"] for s in out.steps if s["type"] == "break"}
    if any(b.id not in taken for b in v.breaks):
        route_level.append({"cause": "missing_break"})
    for t in seen:
        partner = problem.tasks[t].partner
        if partner is not None and partner not in seen:
            route_level.append({"cause": "precedence"})
            out.bad_tasks.add(t)
    if route_level:
        out.bad_tasks |= seen
    out.violations = route_level + [x for s in out.steps for x in s["violations"]]
    out.cost = v.fixed_cost + _reported_cost(problem, v, state, out)


def _reported_cost(problem: VroomProblem, v: Vehicle, state: _State, out: RouteTimeline) -> int:
    """The route's cost as VROOM reports it: its exact cost truncated or, where VROOM
    prices the timeline (:attr:`VroomProblem.cost_from_timeline`), the travel seconds
    reported and the metres, rounded half up. A costs matrix is exact either way."""
    if not problem.cost_from_timeline or problem.matrices[v.profile].costs is not None:
        return state.cost // COST_SCALE
    priced = out.travel_s * v.per_hour * 1000 + out.distance_m * v.per_km * 3600
    return (2 * priced + COST_SCALE) // (2 * COST_SCALE)


def place_breaks(
    problem: VroomProblem,
    v: Vehicle,
    items: Sequence[Item],
    wrong: Callable[[list[Item]], int] | None = None,
) -> list[Item] | None:
    """Put each break, earliest window first, in the first gap where the route has the
    fewest violations; None if any is left.

    ``wrong`` counts a route's violations other than a missing break (default: from
    :func:`route_timeline`; where only the clock is in doubt, a leaner count will do).
    """
    count = wrong or partial(_violations_but_missing_break, problem, v)
    route: list[Item] = [it for it in items if it[0] == "task"]
    for b in sorted(range(len(v.breaks)), key=lambda b: v.breaks[b].time_windows[0]):
        tries = ([*route[:g], ("break", b), *route[g:]] for g in range(len(route) + 1))
        route = min(tries, key=count)
    return route if not count(route) else None


def _violations_but_missing_break(problem: VroomProblem, v: Vehicle, items: list[Item]) -> int:
    return sum(x["cause"] != "missing_break" for x in route_timeline(problem, v, items).violations)
