"""Breaks on a route that obeys every other rule: a lean clock for the search.

:meth:`routing.vroom.search_state.Search.fit` checks loads, skills, task count, travel
time, distance, windows (without breaks) and shipment order before it places breaks.
What is left then is the clock: a break delays what follows (and may interrupt a leg,
as VROOM 1.15 lets it), may itself start too late, and may find too much on board
(``max_load``). :func:`routing.vroom.timeline.route_timeline` answers that too, but
builds every step of the report to do so; ruin and recreate asks thousands of times
per second. This clock follows the same rules and only counts what goes wrong; the
tests hold it to ``route_timeline`` on random routes. It runs in whole seconds with each
leg rounded up, so under a ``speed_factor`` (where the timeline keeps VROOM's
hundredths) it is never more lenient, and a route it passes is clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from routing.vroom.request import Vehicle, VroomProblem
from routing.vroom.timeline import Item, earliest_in, place_breaks


def late_count(
    problem: VroomProblem, v: Vehicle, items: Sequence[Item], travel: list[list[int]]
) -> int:
    """Tasks and breaks that start too late, breaks over ``max_load``, and a late end.

    ``travel``: the vehicle's travel seconds between matrix indices.
    """
    tasks, dims = problem.tasks, problem.dims
    load = [sum(tasks[i].initial[d] for k, i in items if k == "task") for d in range(dims)]
    clock, here, last, driven = v.time_window[0], v.start, v.start, 0
    found = 0
    for n, (kind, i) in enumerate(items):
        if kind == "break":
            brk = v.breaks[i]
            start, late = earliest_in(brk.time_windows, clock)
            ahead = next((tasks[j].location for k, j in items[n + 1 :] if k == "task"), v.end)
            if ahead is not None:
                left = (0 if here is None else travel[here][ahead]) - driven
                if start - clock >= left:
                    clock, here, driven = clock + left, ahead, 0
                else:
                    driven += start - clock
                    clock = start
                start, late = earliest_in(brk.time_windows, clock)
            found += late > 0
            if brk.max_load is not None:
                found += any(load[d] > brk.max_load[d] for d in range(dims))
            clock = start + brk.service_s
            continue
        t = tasks[i]
        arrival = clock + (0 if here is None else travel[here][t.location]) - driven
        here, driven = t.location, 0
        start, late = earliest_in(t.time_windows, arrival)
        found += late > 0
        for d in range(dims):
            load[d] += t.change[d]
        setup = t.setup_s if last != t.location or last is None else 0
        clock, last = start + setup + t.service_s, t.location
    if v.end is not None:
        clock += (0 if here is None else travel[here][v.end]) - driven
    return found + (clock > v.time_window[1])


def with_breaks(
    problem: VroomProblem,
    v: Vehicle,
    seq: list[int],
    old: Sequence[Item],
    travel: list[list[int]],
) -> list[Item] | None:
    """``seq`` with ``v``'s breaks placed so that nothing is late; None if no place found.

    First each break after as many tasks as on the route before (``old``): usually
    still right. Else :func:`routing.vroom.timeline.place_breaks` on this clock.
    """
    items: list[Item] = [("task", i) for i in seq]
    trial = list(items)
    for position, (kind, b) in enumerate(old):
        if kind == "break":
            trial.insert(min(position, len(trial)), ("break", b))
    if len(trial) - len(items) == len(v.breaks) and not late_count(problem, v, trial, travel):
        return trial
    return place_breaks(problem, v, items, partial(late_count, problem, v, travel=travel))
