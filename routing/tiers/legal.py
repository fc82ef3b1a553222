"""Plan one ordinary day (one hub, its pickups, its fleet) within legal driving hours.

The existing flow (:func:`routing.pipeline.plan_with_matrices`) solves with the
engines on stretched travel times and a capped working day (see
:mod:`routing.tiers.hours`); every run is re-timed with its rests. Where a vehicle
still drives more than its daily limit, its type's working day is shortened and the
day solved again; after a few rounds the farthest pickup of an offending run is
left out (the overnight step may still serve it).

With a :class:`~routing.deadline.Deadline` each round's solve gets at most what is
left of it, and no further round starts once it has passed: the runs still over
their driving limit are then left out, so that the day stays legal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from routing.deadline import MIN_SOLVE_S, Deadline
from routing.matrix import TravelMatrix
from routing.model import PickupPoint, Problem, Run, Unassigned, UnassignedReason, VehicleType
from routing.pipeline import SolveOptions, plan_with_matrices
from routing.plan import PathFn
from routing.tiers.hours import (
    base_id,
    base_type,
    driving_by_vehicle,
    legal_types,
    retime_run,
)
from routing.tiers.model import DriverHours
from routing.tiers.roads import sub_matrices

#: Rounds of shortening the working day before pickups are left out.
SHRINK_ROUNDS = 3
#: Rounds in all (shortening, then leaving out one pickup a round).
MAX_ROUNDS = 8
#: Improving solutions each sub-solve may look for when the caller gives a clock only.
SUB_ITERATIONS = 100


@dataclass(frozen=True)
class LegalDay:
    """Legal runs of one hub's day and the pickups it leaves out."""

    runs: tuple[Run, ...]
    unassigned: tuple[Unassigned, ...]
    solver: str = ""


def plan_legal(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    hours_of: Callable[[str], DriverHours],
    options: SolveOptions,
    paths: PathFn | None = None,
    deadline: Deadline | None = None,
) -> LegalDay:
    """Plan ``problem`` so that no vehicle drives longer than its rules allow.

    ``deadline`` (clock budgets only) caps each round and stops the rounds when it has
    passed; with an iteration budget the rounds never depend on the clock.
    """
    base_hours = hours_of
    hours_of = lambda name: base_hours(base_type(name))  # noqa: E731 (late twins' rules)
    legal = {t.name: t for vt in problem.vehicle_types for t in legal_types(vt, hours_of(vt.name))}
    by_name = {vt.name: vt for vt in problem.vehicle_types}
    real = {name: by_name[base_type(name)] for name in legal}
    dropped: list[Unassigned] = []
    pickups = list(problem.pickups)
    by_id = {p.id: p for p in pickups}
    ready = {p.id: p.ready_s for p in problem.pickups}
    hub = problem.hubs[0]
    solver = ""
    runs: list[Run] = []
    unassigned: list[Unassigned] = []
    for round_no in range(MAX_ROUNDS):
        if not pickups:
            return LegalDay((), tuple(dropped))
        day = problem.model_copy(
            update={"pickups": tuple(pickups), "vehicle_types": tuple(legal.values())}
        )
        ids = [h.id for h in problem.hubs] + [p.id for p in pickups]
        here = sub_matrices(matrices, ids, list(matrices))
        plan = plan_with_matrices(day, here, options=_capped(options, deadline), paths=paths)
        solver = plan.summary.solver
        runs = [
            retime_run(
                r,
                real[r.vehicle_type],
                matrices[real[r.vehicle_type].profile],
                ready,
                hours_of(r.vehicle_type),
            )
            for r in plan.runs
        ]
        unassigned = list(plan.unassigned)
        over = _over_limit(runs, real, hours_of)
        if not over:
            break
        if deadline is not None and deadline.remaining_s() <= 0:
            runs, unassigned = _drop_over_limit(runs, unassigned, pickups, dropped, real, hours_of)
            break
        if round_no < SHRINK_ROUNDS:
            for name, excess_s in over.items():
                legal[name] = _shorter_day(legal[name], excess_s, hours_of(name))
            continue
        worst = max(over, key=lambda n: over[n])
        victim = by_id[_farthest_stop(runs, worst, matrices[real[worst].profile], hub.id)]
        pickups = [p for p in pickups if p.id != victim.id]
        dropped.append(_too_far(victim))
    else:
        runs, unassigned = _drop_over_limit(runs, unassigned, pickups, dropped, real, hours_of)
    runs = [r.model_copy(update={"vehicle_type": base_type(r.vehicle_type)}) for r in runs]
    return LegalDay(tuple(runs), tuple(unassigned) + tuple(dropped), solver)


def _capped(options: SolveOptions, deadline: Deadline | None) -> SolveOptions:
    """``options`` with the solve capped at what is left of ``deadline``."""
    if deadline is None:
        return options
    left_s = max(MIN_SOLVE_S, deadline.remaining_s())
    return replace(options, time_limit_s=min(options.time_limit_s, left_s))


def _drop_over_limit(
    runs: list[Run],
    unassigned: list[Unassigned],
    pickups: list[PickupPoint],
    dropped: list[Unassigned],
    real: Mapping[str, VehicleType],
    hours_of: Callable[[str], DriverHours],
) -> tuple[list[Run], list[Unassigned]]:
    """Leave out the runs still over their driving limit; their pickups join ``dropped``."""
    runs = [r for r in runs if not _over_limit([r], real, hours_of)]
    kept = {base_id(s.pickup_id) for r in runs for s in r.stops}
    dropped.extend(_too_far(p) for p in pickups if p.id not in kept)
    gone = {d.pickup_id for d in dropped}
    return runs, [u for u in unassigned if u.pickup_id not in gone]


def _over_limit(
    runs: list[Run], real: Mapping[str, VehicleType], hours_of: Callable[[str], DriverHours]
) -> dict[str, int]:
    """Vehicle type name -> most seconds a vehicle of it drives over its daily limit."""
    type_of = {r.vehicle: r.vehicle_type for r in runs}
    out: dict[str, int] = {}
    for vehicle, drive_s in driving_by_vehicle(runs).items():
        name = type_of[vehicle]
        excess = drive_s - round(hours_of(name).max_drive_day_min * 60)
        if excess > 0 and name in real:
            out[name] = max(out.get(name, 0), excess)
    return out


def _shorter_day(vt: VehicleType, excess_s: int, hours: DriverHours) -> VehicleType:
    cut = round(excess_s * hours.rest_factor) + 300
    end = max(vt.shift_start_s + 3600, vt.shift_end_s - cut)
    return vt.model_copy(update={"shift_end_s": end})


def _farthest_stop(runs: list[Run], type_name: str, m: TravelMatrix, hub_id: str) -> str:
    index = {i: n for n, i in enumerate(m.ids)}
    h = index[hub_id]
    drive = driving_by_vehicle(runs)
    mine = [r for r in runs if r.vehicle_type == type_name]
    worst_vehicle = max(mine, key=lambda r: drive[r.vehicle]).vehicle
    stops = [s for r in mine if r.vehicle == worst_vehicle for s in r.stops]
    far = max(stops, key=lambda s: int(m.duration_s[h, index[base_id(s.pickup_id)]]))
    return base_id(far.pickup_id)


def _too_far(p: PickupPoint) -> Unassigned:
    return Unassigned(
        pickup_id=p.id,
        village=p.village,
        reason=UnassignedReason.SHIFT_TOO_SHORT,
        location=p.location,
        detail="no run reaches it within the legal driving hours of a day",
    )


def with_options(
    options: SolveOptions, share: float, floor_s: float, left_s: float | None = None
) -> SolveOptions:
    """``options`` for a sub-solve, which always runs OR-Tools on an iteration budget.

    A three-tier day is many small solves; the portfolio's process start-up and race
    cost more than they find on each, and a clock-limited engine may stop before its
    first solution. So each sub-solve stops on iterations (the caller's, else
    :data:`SUB_ITERATIONS`), with a share of the clock as a cap: at least ``floor_s``
    and, when ``left_s`` (the sub-solve's part of what the deadline leaves) is known,
    at most half of it (the deadline wins over the floor). With the
    caller's own iteration budget the whole time limit is only a safety net, so that
    the plan does not depend on the machine's speed.
    """
    limit = options.time_limit_s
    if options.iterations is None:
        limit = max(floor_s, limit * share)
        if left_s is not None:
            limit = max(MIN_SOLVE_S, min(limit, left_s / 2))
    return replace(
        options,
        time_limit_s=limit,
        iterations=options.iterations or SUB_ITERATIONS,
        baselines=False,
    )
