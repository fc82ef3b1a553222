"""Times along a run, recomputed from the travel matrices and the pickups.

Every stated time is checked against what the roads and the pickups allow: no leg
faster than its vehicle drives it (with the driver's break on the road when it falls
on that leg), service inside the pickup's window and as long as its loading takes,
the run inside the shift and the hub's opening hours, and perishables home within
their time on board. Distances are summed from the matrix and compared.
"""

from __future__ import annotations

from itertools import pairwise

from routing.model import Hub, Run, Stop, VehicleType
from routing.plan_check.day import SLACK_S, Day
from routing.units import format_clock


def service_s(day: Day, stop: Stop) -> int:
    """Loading seconds at a stop: the pickup's fixed minutes plus per parcel handled."""
    p = day.pickup_of(stop.pickup_id)
    if p is None:
        return 0
    handled = stop.parcels + stop.delivery_parcels
    return round(60 * (p.service_min + p.service_min_per_parcel * handled))


def check_stops(day: Day, run: Run, where: str) -> None:
    """Each stop: served inside its window, long enough, in order along the run."""
    previous = run.start
    for s in run.stops:
        p = day.pickup_of(s.pickup_id)
        at = f"{where} stop {s.pickup_id}"
        begin = s.arrival + s.waiting_time
        if s.arrival < previous - SLACK_S:
            day.bad(
                "travel_time",
                at,
                "arrives before leaving the previous stop",
                run=run,
                stop=s.pickup_id,
            )
        previous = s.departure
        if p is None:
            continue
        if begin < p.ready_s - SLACK_S or begin > p.close_s + SLACK_S:
            day.bad(
                "time_window",
                at,
                f"served at {format_clock(begin)}, window "
                f"{format_clock(p.ready_s)}-{format_clock(p.close_s)}",
                run=run,
                stop=s.pickup_id,
            )
        if s.departure < begin + service_s(day, s) - SLACK_S:
            day.bad(
                "service",
                at,
                f"leaves after {s.departure - begin} s of {service_s(day, s)} s",
                run=run,
                stop=s.pickup_id,
            )
        if p.max_on_board_min is not None:
            ride = run.end - s.departure
            if ride > round(p.max_on_board_min * 60) + SLACK_S:
                day.bad(
                    "time_on_board",
                    at,
                    f"{ride / 60:.0f} min from loading to the hub, limit {p.max_on_board_min:g}",
                    run=run,
                    stop=s.pickup_id,
                )


def check_legs(day: Day, run: Run, vt: VehicleType, where: str) -> int:
    """Every leg no faster than the vehicle's roads allow; return the metres driven.

    Without matrices the stated distance is returned unchecked.
    """
    seq = [run.hub_id, *[s.pickup_id for s in run.stops], run.hub_id]
    leaves = [run.start, *[s.departure for s in run.stops]]
    arrives = [*[s.arrival for s in run.stops], run.end]
    brk = vt.driver_break
    metres = 0
    for k, (a, b) in enumerate(pairwise(seq)):
        leg = day.leg(vt, a, b)
        if leg is None:
            return run.distance
        if not leg.reachable:
            day.bad(
                "road_profile",
                f"{where} {a}->{b}",
                f"no road {vt.name} may use joins them",
                run=run,
                stop=b if b != run.hub_id else a,
            )
            continue
        need = leg.duration_s
        on_leg = run.break_start is not None and leaves[k] <= run.break_start <= arrives[k]
        if brk is not None and on_leg:
            need += round(brk.duration_min * 60)
        if arrives[k] < leaves[k] + need - SLACK_S:
            day.bad(
                "travel_time",
                f"{where} {a}->{b}",
                f"{arrives[k] - leaves[k]} s stated, the roads take {need:.0f} s",
                run=run,
                stop=b if k < len(run.stops) else a,
            )
        metres += leg.distance_m
        if k < len(run.stops) and abs(run.stops[k].distance - metres) > 1:
            day.bad(
                "distance", f"{where} stop {b}", f"states {run.stops[k].distance} m, {metres} m"
            )
    if abs(metres - run.distance) > 1:
        day.bad("distance", where, f"states {run.distance} m, the roads give {metres} m")
    if brk is not None and run.break_start is not None:
        _break_off_service(day, run, round(brk.duration_min * 60), where)
    return metres


def _break_off_service(day: Day, run: Run, length: int, where: str) -> None:
    """The driver does not rest while loading: the break overlaps no service."""
    assert run.break_start is not None
    rest = (run.break_start, run.break_start + length)
    for s in run.stops:
        begin = s.arrival + s.waiting_time
        done = begin + service_s(day, s)
        if rest[0] < done - SLACK_S and rest[1] > begin + SLACK_S:
            day.bad(
                "break",
                f"{where} stop {s.pickup_id}",
                f"break {format_clock(rest[0])}-{format_clock(rest[1])} overlaps loading "
                f"{format_clock(begin)}-{format_clock(done)}",
                run=run,
                stop=s.pickup_id,
            )


def check_hours(day: Day, run: Run, vt: VehicleType, hub: Hub, where: str) -> None:
    """Inside the driver's shift and the hub's opening hours; duration as stated."""
    span = f"{format_clock(run.start)}-{format_clock(run.end)}"
    if run.start < vt.shift_start_s - SLACK_S or run.end > vt.shift_end_s + SLACK_S:
        day.bad(
            "shift",
            where,
            f"{span}, shift {format_clock(vt.shift_start_s)}-{format_clock(vt.shift_end_s)}",
            run=run,
        )
    if run.start < hub.open_s - SLACK_S or run.end > hub.close_s + SLACK_S:
        day.bad(
            "hub_hours",
            where,
            f"{span}, hub {hub.id} open {format_clock(hub.open_s)}-{format_clock(hub.close_s)}",
            run=run,
        )
    if run.duration != run.end - run.start or run.end < run.start:
        day.bad("duration", where, f"states {run.duration} s for {span}")
