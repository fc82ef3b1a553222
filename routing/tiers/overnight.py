"""Two-day runs: serve a village no legal day reaches, sleep at a station, come back.

Day one leaves the hub, collects at the village inside its window and drives on to
a station that takes vehicles overnight (or stays at the village); day two leaves
at the start of the shift and returns to the hub. Each day keeps the driving rules.
A village served this way every day needs two vehicles (one leaving each morning),
so each such run counts twice against its type's fleet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from routing.allocation import run_cost_rmb, to_fen
from routing.matrix import TravelMatrix
from routing.model import Hub, PickupPoint, Run, Stop, VehicleType
from routing.tiers.hours import Timeline, real_durations, schedule
from routing.tiers.model import DriverHours, OvernightStop, Station
from routing.units import UNREACHABLE, format_clock

DAY_S = 86_400
#: A night at a village when no station takes vehicles overnight, RMB.
VILLAGE_NIGHT_RMB = 150.0


def duty_s(run: Run) -> int:
    """Seconds on duty: the run's span less the night of a two-day run."""
    night = run.overnight.leave - run.overnight.arrive if run.overnight else 0
    return run.duration - night


@dataclass(frozen=True)
class _Option:
    cost_fen: int
    run: Run


def overnight_run(
    p: PickupPoint,
    hub: Hub,
    types: Sequence[VehicleType],
    stations: Sequence[Station],
    matrices: Mapping[str, TravelMatrix],
    hours_of: Callable[[str], DriverHours],
    vehicle_name: Callable[[VehicleType], str],
) -> Run | None:
    """The cheapest legal two-day run serving ``p`` alone, or ``None``."""
    best: _Option | None = None
    for vt in types:
        if p.allowed_vehicle_types is not None and vt.name not in p.allowed_vehicle_types:
            continue
        if p.parcels > vt.capacity_parcels or p.weight_kg > vt.capacity_kg:
            continue
        if p.delivery_parcels > vt.capacity_parcels or p.delivery_weight_kg > vt.capacity_kg:
            continue
        for place, cost in _night_places(p, stations):
            option = _try(p, hub, vt, place, cost, matrices[vt.profile], hours_of(vt.name))
            if option is not None and (best is None or option.cost_fen < best.cost_fen):
                best = option
    if best is None:
        return None
    vt_of = {vt.name: vt for vt in types}
    return best.run.model_copy(update={"vehicle": vehicle_name(vt_of[best.run.vehicle_type])})


def _night_places(p: PickupPoint, stations: Sequence[Station]) -> list[tuple[str, float]]:
    """Stations that take vehicles overnight, and the village itself (a farm stay,
    charged at the dearest station's rate)."""
    places = [(s.id, s.overnight_rmb) for s in stations if s.overnight]
    rate = max((c for _, c in places), default=VILLAGE_NIGHT_RMB)
    return [*places, (p.id, rate)]


def _try(
    p: PickupPoint,
    hub: Hub,
    vt: VehicleType,
    place: str,
    night_rmb: float,
    m: TravelMatrix,
    hours: DriverHours,
) -> _Option | None:
    dur = real_durations(m, vt)
    ix = {i: n for n, i in enumerate(m.ids)}
    h, v, st = ix[hub.id], ix[p.id], ix[place]
    drive_limit = round(hours.max_drive_day_min * 60)
    duty_limit = round(hours.max_duty_day_min * 60)
    if max(int(dur[h, v]), int(dur[v, st]), int(dur[st, h])) >= UNREACHABLE:
        return None
    start = max(vt.shift_start_s, hub.open_s, p.ready_s - int(dur[h, v] * hours.rest_factor))
    day1 = schedule(start, [int(dur[h, v]), int(dur[v, st])], [(p.ready_s, p.service_s)], hours)
    if day1.begins[0] > p.close_s or day1.drive_s > drive_limit:
        return None
    if day1.end - start > duty_limit or day1.end > vt.shift_end_s:
        return None
    leave = vt.shift_start_s + DAY_S
    day2 = schedule(leave, [int(dur[st, h])], [], hours)
    if day2.drive_s > drive_limit or day2.end - leave > duty_limit:
        return None
    if day2.end > min(vt.shift_end_s, hub.close_s) + DAY_S:
        return None
    if p.max_on_board_min is not None and day2.end - day1.departures[0] > p.max_on_board_min * 60:
        return None
    metres = int(m.distance_m[h, v]) + int(m.distance_m[v, st]) + int(m.distance_m[st, h])
    return _two_day_run(
        p, hub, vt, (place, night_rmb), start, day1, day2, metres, int(m.distance_m[h, v])
    )


def _village_stop(p: PickupPoint, day1: Timeline, to_village_m: int, fen: int) -> Stop:
    """The village stop of a two-day run; it carries the whole run's cost."""
    handled = p.parcels + p.delivery_parcels
    return Stop(
        pickup_id=p.id,
        village=p.village,
        lon=p.lon,
        lat=p.lat,
        location=p.location,
        arrival=day1.arrivals[0],
        arrival_time=format_clock(day1.arrivals[0]),
        departure=day1.departures[0],
        departure_time=format_clock(day1.departures[0]),
        waiting_time=day1.begins[0] - day1.arrivals[0],
        service=p.service_s,
        parcels=p.parcels,
        weight_kg=round(p.weight_kg, 3),
        delivery_parcels=p.delivery_parcels,
        delivery_weight_kg=round(p.delivery_weight_kg, 3),
        load_parcels=p.parcels,
        load_kg=round(p.weight_kg, 3),
        distance=to_village_m,
        cost_rmb=fen / 100,
        cost_per_parcel_rmb=round(fen / 100 / handled, 2) if handled else None,
        cost_shares={"proportional": fen / 100},
        contact=p.contact,
    )


def _two_day_run(
    p: PickupPoint,
    hub: Hub,
    vt: VehicleType,
    night: tuple[str, float],
    start: int,
    day1: Timeline,
    day2: Timeline,
    metres: int,
    to_village_m: int,
) -> _Option:
    """The run and its cost: both days' working hours, fixed costs, the night."""
    place, night_rmb = night
    leave = vt.shift_start_s + DAY_S
    on_duty_s = (day1.end - start) + (day2.end - leave)
    fixed = vt.fixed_rmb_per_run + 2 * vt.fixed_rmb_per_day
    f_rmb, d_rmb, t_rmb = run_cost_rmb(
        distance_m=metres,
        duration_s=on_duty_s,
        fixed_rmb=fixed,
        rmb_per_km=vt.rmb_per_km,
        rmb_per_hour=vt.rmb_per_hour,
    )
    fen = to_fen(f_rmb + d_rmb + t_rmb + night_rmb)
    stop = _village_stop(p, day1, to_village_m, fen)
    run = Run(
        vehicle=vt.name,
        vehicle_type=vt.name,
        run=1,
        hub_id=hub.id,
        start=start,
        start_time=format_clock(start),
        end=day2.end,
        end_time=format_clock(day2.end),
        distance=metres,
        duration=day2.end - start,
        distance_km=round(metres / 1000, 2),
        duration_h=round((day2.end - start) / 3600, 2),
        parcels=p.parcels,
        weight_kg=round(p.weight_kg, 3),
        delivery_parcels=p.delivery_parcels,
        cost_rmb=fen / 100,
        fixed_cost_rmb=round(f_rmb, 2),
        distance_cost_rmb=round(d_rmb, 2),
        time_cost_rmb=round(t_rmb, 2),
        stops=(stop,),
        tier="direct",
        handover="hub (day 2)",
        rests=day1.rests + day2.rests,
        drive_s=day1.drive_s + day2.drive_s,
        overnight=OvernightStop(
            station_id=place,
            arrive=day1.end,
            arrive_time=format_clock(day1.end),
            leave=leave,
            leave_time=format_clock(leave),
            cost_rmb=night_rmb,
        ),
    )
    return _Option(fen, run)
