"""One vehicle's day: how many vehicles and runs, reloads, distance, the driver's break."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from routing.model import Break, Run, VehicleType
from routing.plan_check.day import SLACK_S, Day
from routing.units import format_clock


def check_fleet(day: Day, runs: Sequence[Run]) -> None:
    """No more vehicles of a type than exist; each vehicle keeps one type."""
    by_type: dict[str, set[str]] = defaultdict(set)
    type_of: dict[str, str] = {}
    for r in runs:
        by_type[r.vehicle_type].add(r.vehicle)
        if type_of.setdefault(r.vehicle, r.vehicle_type) != r.vehicle_type:
            day.bad("vehicle_type", r.vehicle, "its runs name different vehicle types")
    for name, vehicles in sorted(by_type.items()):
        vt = day.types.get(name)
        if vt is None or vt.count is None:
            continue
        if len(vehicles) > vt.count:
            day.bad(
                "vehicle_count", f"vehicle type {name}", f"{len(vehicles)} used, {vt.count} exist"
            )


def check_vehicle_day(day: Day, vt: VehicleType, runs: Sequence[Run], metres: int) -> None:
    """Runs per day, reload at the hub between runs, maximum distance, the break.

    ``runs`` are one vehicle's runs; ``metres`` what they drive in all (recomputed).
    """
    vehicle = runs[0].vehicle
    ordered = sorted(runs, key=lambda r: r.run)
    if [r.run for r in ordered] != list(range(1, len(ordered) + 1)):
        day.bad("runs_per_day", vehicle, f"run numbers {[r.run for r in ordered]}, not 1..n")
    if len(runs) > vt.max_runs_per_day:
        day.bad(
            "runs_per_day",
            vehicle,
            f"{len(runs)} runs, {vt.name} makes at most {vt.max_runs_per_day}",
            vehicle=vehicle,
        )
    reload_s = round(vt.reload_min * 60)
    for before, after in pairwise(ordered):
        if after.start < before.end + reload_s - SLACK_S:
            day.bad(
                "reload",
                f"{vehicle} run {after.run}",
                f"leaves {format_clock(after.start)}, run {before.run} is back "
                f"{format_clock(before.end)} and reloading takes {vt.reload_min:g} min",
                run=after,
            )
    if vt.max_distance_km is not None and metres > vt.max_distance_km * 1000 + 1:
        day.bad(
            "max_distance",
            vehicle,
            f"{metres / 1000:.1f} km, limit {vt.max_distance_km:g} km",
            vehicle=vehicle,
        )
    if vt.driver_break is not None:
        _check_break(day, vehicle, vt.driver_break, ordered)


def _check_break(day: Day, vehicle: str, brk: Break, runs: Sequence[Run]) -> None:
    """The break starts inside its window: on the road as stated, or off duty.

    A driver who is at the hub or not yet working for the break's length at some
    moment its window allows needs no break on the road.
    """
    taken = [r.break_start for r in runs if r.break_start is not None]
    for t in taken:
        if not brk.earliest_s - SLACK_S <= t <= brk.latest_s + SLACK_S:
            day.bad(
                "break",
                vehicle,
                f"break at {format_clock(t)}, window "
                f"{format_clock(brk.earliest_s)}-{format_clock(brk.latest_s)}",
                vehicle=vehicle,
            )
    inside = [r for r in runs if r.break_start is not None and r.start <= r.break_start <= r.end]
    if len(inside) != len(taken):
        day.bad(
            "break", vehicle, "a break is stated outside the run it belongs to", vehicle=vehicle
        )
    if taken:
        return
    length = round(brk.duration_min * 60)
    busy = [(r.start, r.end) for r in runs]
    candidates = [
        brk.earliest_s,
        brk.latest_s,
        *(b for _, b in busy),
        *(a - length for a, _ in busy),
    ]
    if not any(
        brk.earliest_s <= s <= brk.latest_s
        and all(s + length <= a + SLACK_S or s >= b - SLACK_S for a, b in busy)
        for s in candidates
    ):
        day.bad(
            "break",
            vehicle,
            f"no {brk.duration_min:g}-min break fits between "
            f"{format_clock(brk.earliest_s)} and {format_clock(brk.latest_s)}",
            vehicle=vehicle,
        )
