"""Driving hours: rests on the road, driving per day, and legal re-timing of runs.

The engines know nothing of rests. The solve therefore plans with travel times
stretched by :attr:`DriverHours.rest_factor` (4 h 20 min per 4 h of driving), which
bounds the rest any schedule needs, and caps the working day. Each run is then
re-timed here on the real travel times with a rest inserted wherever continuous
driving would pass the limit; a stop at least as long as a rest counts as one. The
re-timed run arrives everywhere no later than the stretched plan, so windows, shifts
and station hours still hold.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routing.allocation import run_cost_rmb, split_fen, to_fen
from routing.matrix import TravelMatrix
from routing.model import Run, VehicleType
from routing.plan import _durations
from routing.tiers.model import DriverHours
from routing.units import format_clock

DEFAULT_HOURS = DriverHours()


@dataclass(frozen=True)
class Timeline:
    """A run's schedule on real travel times with the rests it needs."""

    arrivals: tuple[int, ...]
    begins: tuple[int, ...]
    departures: tuple[int, ...]
    end: int
    rests: tuple[int, ...]
    drive_s: int


def schedule(
    start: int,
    legs_s: Sequence[int],
    stops: Sequence[tuple[int, int]],
    hours: DriverHours,
) -> Timeline:
    """Drive ``legs_s`` (one more than ``stops``) from ``start``, resting as the rules need.

    ``stops`` holds ``(ready_s, service_s)`` for each stop in order.
    """
    limit = round(hours.max_continuous_drive_min * 60)
    rest = round(hours.min_rest_min * 60)
    t, cont, drive = start, 0, 0
    rests: list[int] = []
    arrivals: list[int] = []
    begins: list[int] = []
    departures: list[int] = []
    for k, leg in enumerate(legs_s):
        remaining = int(leg)
        drive += remaining
        while cont + remaining > limit:
            part = limit - cont
            t += part
            remaining -= part
            rests.append(t)
            t += rest
            cont = 0
        t += remaining
        cont += remaining
        if k < len(stops):
            ready, service = stops[k]
            arrivals.append(t)
            begin = max(t, ready)
            begins.append(begin)
            t = begin + service
            departures.append(t)
            if t - arrivals[-1] >= rest:
                cont = 0
    return Timeline(tuple(arrivals), tuple(begins), tuple(departures), t, tuple(rests), drive)


def real_durations(m: TravelMatrix, vt: VehicleType) -> np.ndarray:
    """Travel seconds of ``vt`` on matrix ``m`` (its speed factor applied), as the
    plan builder times runs."""
    return _durations(m, vt)


#: Working time besides driving that the engine's day allows for (stops, waiting).
STOP_ALLOWANCE_S = 3600


def legal_day_s(hours: DriverHours) -> int:
    """Longest day the engine may plan: the daily driving with its rests plus an
    allowance for stops, within the working day. Longer days with little stopping
    would break the driving limit; the re-solve in :mod:`routing.tiers.legal` trims
    the few that still do."""
    drive_s = hours.max_drive_day_min * 60 * hours.rest_factor
    return round(min(hours.max_duty_day_min * 60, drive_s + STOP_ALLOWANCE_S))


def legal_type(vt: VehicleType, hours: DriverHours) -> VehicleType:
    """The vehicle type the engine plans with: stretched travel, capped working day."""
    duty_s = legal_day_s(hours)
    return vt.model_copy(
        update={
            "speed_factor": vt.speed_factor / hours.rest_factor,
            "shift_end_s": min(vt.shift_end_s, vt.shift_start_s + duty_s),
            "driver_break": None,
        }
    )


#: Suffix of the late twin of a vehicle type (see :func:`legal_types`).
LATE = "~late"


def legal_types(vt: VehicleType, hours: DriverHours) -> list[VehicleType]:
    """The types the engine plans with for ``vt``: an early legal day from the start
    of its shift and, when the shift is longer than a legal day and there are two or
    more vehicles, a late twin ending with the shift (half the vehicles each). A
    trunk run can then wait for the feeders and still come back within the hours."""
    early = legal_type(vt, hours)
    day_s = early.shift_end_s - early.shift_start_s
    if vt.shift_end_s - vt.shift_start_s < day_s + 1800 or vt.count in (0, 1):
        return [early]
    late_count = None if vt.count is None else vt.count // 2
    early_count = None if vt.count is None else vt.count - vt.count // 2
    late = early.model_copy(
        update={
            "name": vt.name + LATE,
            "count": late_count,
            "shift_start_s": vt.shift_end_s - day_s,
            "shift_end_s": vt.shift_end_s,
        }
    )
    return [early.model_copy(update={"count": early_count}), late]


def base_type(name: str) -> str:
    """The vehicle type a late twin stands for."""
    return name.removesuffix(LATE)


def base_id(stop_id: str) -> str:
    """The pickup a part of a split pickup (``"V17#2"``) belongs to."""
    return stop_id.rsplit("#", 1)[0]


def retime_run(
    run: Run,
    vt: VehicleType,
    matrix: TravelMatrix,
    ready_s: Mapping[str, int],
    hours: DriverHours,
) -> Run:
    """``run`` re-timed on real travel times with rests; its time cost and shares follow."""
    dur = _durations(matrix, vt)
    index = {i: n for n, i in enumerate(matrix.ids)}
    seq = [run.hub_id, *[base_id(s.pickup_id) for s in run.stops], run.hub_id]
    legs = [int(dur[index[a], index[b]]) for a, b in itertools.pairwise(seq)]
    stops = [(ready_s[base_id(s.pickup_id)], s.service) for s in run.stops]
    tl = schedule(run.start, legs, stops, hours)
    fixed, dist_rmb, time_rmb = run_cost_rmb(
        distance_m=run.distance,
        duration_s=tl.end - run.start,
        fixed_rmb=run.fixed_cost_rmb,
        rmb_per_km=vt.rmb_per_km,
        rmb_per_hour=vt.rmb_per_hour,
    )
    run_fen = to_fen(fixed + dist_rmb + time_rmb + run.climb_cost_rmb)
    shares = split_fen(
        run_fen, [max(s.cost_rmb, 0.0) for s in run.stops], [s.pickup_id for s in run.stops]
    )
    new_stops = []
    for s, a, b, d, fen in zip(
        run.stops, tl.arrivals, tl.begins, tl.departures, shares, strict=True
    ):
        handled = s.parcels + s.delivery_parcels
        new_stops.append(
            s.model_copy(
                update={
                    "arrival": a,
                    "arrival_time": format_clock(a),
                    "departure": d,
                    "departure_time": format_clock(d),
                    "waiting_time": b - a,
                    "cost_rmb": fen / 100,
                    "cost_per_parcel_rmb": round(fen / 100 / handled, 2) if handled else None,
                    "cost_shares": {run_method(s.cost_shares): fen / 100},
                }
            )
        )
    return run.model_copy(
        update={
            "stops": tuple(new_stops),
            "end": tl.end,
            "end_time": format_clock(tl.end),
            "duration": tl.end - run.start,
            "duration_h": round((tl.end - run.start) / 3600, 2),
            "cost_rmb": run_fen / 100,
            "time_cost_rmb": round(time_rmb, 2),
            "break_start": None,
            "rests": tl.rests,
            "drive_s": tl.drive_s,
        }
    )


def run_method(shares: Mapping[str, float]) -> str:
    """The allocation method a stop's shares were made with (the first listed)."""
    return next(iter(shares), "proportional")


def driving_by_vehicle(runs: Sequence[Run]) -> dict[str, int]:
    """Seconds of driving per vehicle over its runs of the day."""
    out: dict[str, int] = defaultdict(int)
    for r in runs:
        out[r.vehicle] += r.drive_s or 0
    return dict(out)
