"""The three-tier solve: decide direct or station per pickup, then plan each tier.

1. Each pickup gets a first choice by a cost estimate: a round trip from the hub
   against a feeder round trip from its best station plus the trunk's share and the
   station's handling; a pickup no legal day reaches from the hub goes to a station.
2. Feeders are planned per station as ordinary days (the station as their hub),
   within legal driving hours (:mod:`routing.tiers.legal`).
3. The hub's fleet then plans the direct pickups together with one load per station,
   ready when the last feeder is back plus handling (a run collecting a station's
   load is a trunk run; it may also collect villages on the way).
4. Pickups still out of reach get a two-day run with a night at a station.
5. Large-neighbourhood moves open or close each station (its pickups going direct or
   coming back), kept when the whole day costs less.

Outbound parcels of a station's villages ride the trunk to the station and leave on
the feeders' next morning run; in a steady day the feeders load as much at the
station as the trunk drops there, so each feeder day starts with today's amounts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from routing.deadline import Deadline
from routing.matrix import TravelMatrix
from routing.model import (
    Hub,
    PickupPoint,
    Plan,
    Problem,
    Run,
    Unassigned,
    UnassignedReason,
)
from routing.pipeline import SolveOptions
from routing.tiers.assemble import StationDay, tier_plan, transfers_for
from routing.tiers.hours import base_id, legal_types, real_durations
from routing.tiers.legal import plan_legal, with_options
from routing.tiers.overnight import overnight_run
from routing.tiers.problem import Feeder, TierProblem
from routing.tiers.roads import sub_matrices
from routing.units import UNREACHABLE

Assignment = dict[str, str | None]
"""Pickup id -> station id (collected by its feeders), or None (a direct hub run)."""

_RETRY = {UnassignedReason.SHIFT_TOO_SHORT, UnassignedReason.TIME_WINDOW}

#: The hub-level day's weight against one station's feeder day when an evaluation's
#: time is shared out (its budget share is 1/3 of a day against 1/10 for a station).
HUB_DAY_PARTS = 3


def feeder_allowed(p: PickupPoint, feeders: list[Feeder]) -> tuple[str, ...] | None:
    """Feeder types that may serve ``p`` (None: any), from its allowed hub types."""
    if p.allowed_vehicle_types is None:
        return None
    allowed = set(p.allowed_vehicle_types)
    return tuple(f.vehicle.name for f in feeders if f.vehicle.name in allowed or f.like in allowed)


def _fits(p: PickupPoint, feeders: list[Feeder], allowed: tuple[str, ...] | None) -> bool:
    """Some feeder allowed at ``p`` takes its produce and its outbound parcels."""
    return any(
        (allowed is None or f.vehicle.name in allowed)
        and max(p.parcels, p.delivery_parcels) <= f.vehicle.capacity_parcels
        and max(p.weight_kg, p.delivery_weight_kg) <= f.vehicle.capacity_kg
        for f in feeders
    )


@dataclass
class TierSolver:
    """Plans three-tier days for one problem, reusing feeder days across moves."""

    tp: TierProblem
    matrices: Mapping[str, TravelMatrix]
    options: SolveOptions
    evaluations: int = 1
    """Whole days the budget is planned to cover (the moves of the search)."""
    deadline: Deadline | None = None
    """When the whole plan must be done (clock budgets; None with an iteration budget)."""
    finish_s: float = 0.0
    """Seconds kept back from the deadline for what follows the last evaluation."""
    _days: dict[tuple[str, frozenset[str]], StationDay] = field(default_factory=dict, init=False)

    def _left_s(self, parts: float = 1.0, parts_after: float = 0.0) -> float | None:
        """A sub-solve's part of what the deadline leaves (None without a deadline):
        ``parts`` of ``parts + parts_after``, after :attr:`finish_s` is kept back."""
        if self.deadline is None:
            return None
        left = self.deadline.remaining_s() - self.finish_s
        return left * parts / (parts + parts_after)

    def _sub_deadline(self, left_s: float | None) -> Deadline | None:
        return None if left_s is None else Deadline.after(left_s)

    def _share(self, per_evaluation: int) -> float:
        """Budget share of one sub-solve, so that ``evaluations`` days fit the budget."""
        return 1.0 / (per_evaluation * self.evaluations)

    def station_day(
        self, station_id: str, pickup_ids: frozenset[str], parts_after: float = HUB_DAY_PARTS
    ) -> StationDay:
        """Feeder runs of a station collecting these pickups (cached); ``parts_after``
        is the share of the evaluation's time still to come after it."""
        key = (station_id, pickup_ids)
        if key not in self._days:
            self._days[key] = self._plan_station(station_id, pickup_ids, parts_after)
        return self._days[key]

    def _plan_station(
        self, station_id: str, pickup_ids: frozenset[str], parts_after: float
    ) -> StationDay:
        tp = self.tp
        s = tp.station(station_id)
        feeders = tp.feeders_at(station_id)
        tail_s = round(60 * (s.handling_min + s.trunk_service_min))
        mine = [p for p in tp.problem.pickups if p.id in pickup_ids]
        last_call = self._last_trunk_call(
            s.id, sum(p.parcels for p in mine), sum(p.weight_kg for p in mine)
        )
        hub = Hub(
            id=s.id,
            name=s.name or s.id,
            lon=s.lon,
            lat=s.lat,
            open_s=s.open_s,
            close_s=max(s.open_s + 60, min(s.close_s, last_call) - tail_s),
        )
        pickups = [
            p.model_copy(update={"allowed_vehicle_types": feeder_allowed(p, feeders)})
            for p in tp.problem.pickups
            if p.id in pickup_ids
        ]
        types = tuple(f.vehicle.model_copy(update={"hub_id": None}) for f in feeders)
        problem = Problem(
            name=f"{tp.problem.name}-{s.id}",
            hubs=(hub,),
            pickups=tuple(pickups),
            vehicle_types=types,
        )
        m = sub_matrices(
            self.matrices, [s.id, *[p.id for p in pickups]], [t.profile for t in types]
        )
        left_s = self._left_s(1.0, parts_after)
        day = plan_legal(
            problem,
            m,
            tp.hours_of,
            with_options(self.options, self._share(10), 1.0, left_s),
            deadline=self._sub_deadline(left_s),
        )
        runs = tuple(
            r.model_copy(update={"tier": "feeder", "handover": f"station {s.name or s.id}"})
            for r in day.runs
        )
        release = max([s.open_s, *[r.end for r in runs]]) + round(60 * s.handling_min)
        limits = {p.id: p.max_on_board_min for p in pickups if p.max_on_board_min is not None}
        left = [
            round(limits[st.pickup_id] * 60) - (release - st.departure)
            for r in runs
            for st in r.stops
            if st.pickup_id in limits
        ]
        return StationDay(s, runs, day.unassigned, release, min(left) if left else None)

    def _last_trunk_call(self, station_id: str, parcels: int, weight_kg: float) -> int:
        """Latest a trunk that takes the load may call and be back within legal hours."""
        hub = self.tp.problem.hubs[0]
        fleet = self.tp.problem.vehicle_types
        fit = [v for v in fleet if v.capacity_parcels >= parcels and v.capacity_kg >= weight_kg]
        latest = 0
        for vt in fit or [max(fleet, key=lambda v: v.capacity_parcels)]:
            hours = self.tp.hours_of(vt.name)
            m = self.matrices[vt.profile]
            back = real_durations(m, vt)[m.index(station_id), m.index(hub.id)]
            if back >= UNREACHABLE:
                continue
            # The last legal type for ``vt`` (its late twin, if it has one) ends last.
            end = min(legal_types(vt, hours)[-1].shift_end_s, hub.close_s)
            latest = max(latest, round(end - back * hours.rest_factor))
        return latest

    def evaluate(self, assignment: Assignment) -> Plan:
        """Plan the whole day for one assignment of pickups to stations."""
        tp = self.tp
        t0 = time.perf_counter()
        days: dict[str, StationDay] = {}
        direct = {pid for pid, sid in assignment.items() if sid is None}
        open_ids = sorted({v for v in assignment.values() if v is not None})
        for n, sid in enumerate(open_ids):
            after = len(open_ids) - n - 1 + HUB_DAY_PARTS
            day = self.station_day(
                sid, frozenset(k for k, v in assignment.items() if v == sid), after
            )
            if day.on_board_left_s is not None and day.on_board_left_s < 600:
                # Perishables would spoil on the way to the hub: they go direct.
                perishable = {p.id for p in tp.problem.pickups if p.max_on_board_min is not None}
                direct |= perishable & set(day.pickup_ids)
                keep = frozenset(day.pickup_ids) - perishable
                day = self.station_day(sid, keep, after) if keep else None  # type: ignore[assignment]
                if day is None:
                    continue
            direct |= {u.pickup_id for u in day.unassigned}
            if day.runs:
                days[sid] = day
        hub_runs, unassigned, solver = self._hub_day(direct, days)
        carried = {base_id(s.pickup_id) for r in hub_runs for s in r.stops}
        lost = [sid for sid in days if sid not in carried]
        if lost:
            # No trunk reaches these stations in time: their villages go direct.
            for sid in lost:
                direct |= set(days.pop(sid).pickup_ids)
            hub_runs, unassigned, solver = self._hub_day(direct, days)
            carried = {base_id(s.pickup_id) for r in hub_runs for s in r.stops}
            for sid in [sid for sid in days if sid not in carried]:
                unassigned += [
                    Unassigned(
                        pickup_id=pid,
                        village=pid,
                        reason=UnassignedReason.CAPACITY,
                        detail=f"no trunk run could collect station {sid} in time",
                    )
                    for pid in days.pop(sid).pickup_ids
                ]
        unassigned = [u for u in unassigned if base_id(u.pickup_id) not in tp_station_ids(tp)]
        runs = [r for d in days.values() for r in d.runs] + hub_runs
        runs += self._overnight(unassigned, runs)
        served = {s.pickup_id for r in runs for s in r.stops}
        unassigned = [u for u in unassigned if u.pickup_id not in served]
        transfers = transfers_for(hub_runs, days)
        timings = {"solve": round(time.perf_counter() - t0, 3)}
        return tier_plan(tp, runs, transfers, unassigned, solver=solver, timings_s=timings)

    def _hub_day(
        self, direct: set[str], days: Mapping[str, StationDay]
    ) -> tuple[list[Run], list[Unassigned], str]:
        tp = self.tp
        loads = [_station_load(d) for d in days.values()]
        pickups = [p for p in tp.problem.pickups if p.id in direct]
        every = loads + pickups
        if not every:
            return [], [], ""
        fleet = tp.problem.vehicle_types
        biggest_p = max(v.capacity_parcels for v in fleet)
        biggest_kg = max(v.capacity_kg for v in fleet)
        split = tp.problem.split_oversize or any(
            p.parcels > biggest_p or p.weight_kg > biggest_kg for p in loads
        )
        problem = tp.problem.model_copy(
            update={"pickups": tuple(every), "split_oversize": split, "locked_runs": ()}
        )
        ids = [h.id for h in problem.hubs] + [p.id for p in every]
        m = sub_matrices(self.matrices, ids, [v.profile for v in fleet])
        left_s = self._left_s()
        day = plan_legal(
            problem,
            m,
            tp.hours_of,
            with_options(self.options, self._share(3), 5.0, left_s),
            deadline=self._sub_deadline(left_s),
        )
        runs = [
            r.model_copy(
                update={
                    "tier": "trunk"
                    if any(base_id(s.pickup_id) in days for s in r.stops)
                    else "direct",
                    "handover": "hub",
                }
            )
            for r in day.runs
        ]
        return runs, list(day.unassigned), day.solver

    def _overnight(self, unassigned: list[Unassigned], runs: list[Run]) -> list[Run]:
        tp = self.tp
        by_id = {p.id: p for p in tp.problem.pickups}
        used: dict[str, int] = {}
        for r in runs:
            used.setdefault(r.vehicle_type, 0)
        for name in used:
            used[name] = len({r.vehicle for r in runs if r.vehicle_type == name})
        out: list[Run] = []
        for u in unassigned:
            p = by_id.get(u.pickup_id)
            if p is None or u.reason not in _RETRY:
                continue
            types = [
                v
                for v in tp.problem.vehicle_types
                if v.count is None or used.get(v.name, 0) + 2 <= v.count
            ]

            run = overnight_run(
                p,
                tp.problem.hubs[0],
                types,
                tp.stations,
                self.matrices,
                tp.hours_of,
                lambda vt: f"{vt.name}-night{sum(r.vehicle_type == vt.name for r in out) + 1}",
            )
            if run is not None:
                out.append(run)
                used[run.vehicle_type] = used.get(run.vehicle_type, 0) + 2
        return out


def tp_station_ids(tp: TierProblem) -> set[str]:
    """Ids of the stations."""
    return {s.id for s in tp.stations}


def _station_load(day: StationDay) -> PickupPoint:
    s = day.station
    return PickupPoint(
        id=s.id,
        village=s.name or s.id,
        township=s.township,
        lon=s.lon,
        lat=s.lat,
        parcels=round(day.total("parcels")),
        weight_kg=day.total("weight_kg"),
        delivery_parcels=round(day.total("delivery_parcels")),
        delivery_weight_kg=day.total("delivery_weight_kg"),
        ready_s=day.release_s,
        close_s=max(day.release_s, s.close_s - round(60 * s.trunk_service_min)),
        service_min=s.trunk_service_min,
        max_on_board_min=day.on_board_left_s / 60 if day.on_board_left_s else None,
        contact=f"station {s.name or s.id}",
    )


def station_choices(
    tp: TierProblem, matrices: Mapping[str, TravelMatrix]
) -> dict[str, tuple[float, str]]:
    """Pickup id -> (estimated RMB saved going via the station, best station id)."""
    hub = tp.problem.hubs[0]
    trunk = max(tp.problem.vehicle_types, key=lambda v: v.capacity_parcels)
    out: dict[str, tuple[float, str]] = {}
    for p in tp.problem.pickups:
        direct = _round_trip(tp, matrices, hub.id, p, None)
        best: tuple[float, str] | None = None
        for s in tp.stations:
            feeders = tp.feeders_at(s.id)
            allowed = feeder_allowed(p, feeders)
            if not _fits(p, feeders, allowed):
                continue
            feed = _round_trip(tp, matrices, s.id, p, feeders, allowed)
            haul = _leg_rmb(tp, matrices, trunk.name, hub.id, s.id) * 2
            per_parcel = haul / (0.5 * trunk.capacity_parcels) + s.handling_rmb_per_parcel
            cost = feed + per_parcel * (p.parcels + p.delivery_parcels)
            if best is None or cost < best[0]:
                best = (cost, s.id)
        if best is not None and best[0] < float("inf"):
            saving = direct - best[0] if direct < float("inf") else float("inf")
            out[p.id] = (saving, best[1])
    return out


def initial_assignment(tp: TierProblem, choices: Mapping[str, tuple[float, str]]) -> Assignment:
    """Each pickup to its best station where that saves money, within station capacity."""
    out: Assignment = {p.id: None for p in tp.problem.pickups}
    load: dict[str, list[float]] = {s.id: [0.0, 0.0] for s in tp.stations}
    by_id = {p.id: p for p in tp.problem.pickups}
    ranked = sorted((-saving, pid, sid) for pid, (saving, sid) in choices.items() if saving > 0)
    for _, pid, sid in ranked:
        s = tp.station(sid)
        p = by_id[pid]
        if load[sid][0] + p.parcels <= s.capacity_parcels and (
            load[sid][1] + p.weight_kg <= s.capacity_kg
        ):
            load[sid][0] += p.parcels
            load[sid][1] += p.weight_kg
            out[pid] = sid
    return out


def _leg_rmb(
    tp: TierProblem, matrices: Mapping[str, TravelMatrix], type_name: str, a: str, b: str
) -> float:
    vt = tp.vehicle_type(type_name)
    m = matrices[vt.profile]
    i, j = m.index(a), m.index(b)
    dur = real_durations(m, vt)
    if dur[i, j] >= 10**8:
        return float("inf")
    hours = tp.hours_of(vt.name)
    return float(
        vt.rmb_per_km * m.distance_m[i, j] / 1000
        + vt.rmb_per_hour * dur[i, j] * hours.rest_factor / 3600
    )


def _round_trip(
    tp: TierProblem,
    matrices: Mapping[str, TravelMatrix],
    base: str,
    p: PickupPoint,
    feeders: list[Feeder] | None,
    allowed: tuple[str, ...] | None = None,
) -> float:
    """Cheapest legal round trip from ``base`` to ``p`` (inf when none is legal)."""
    if feeders is None:
        names = [v.name for v in tp.problem.vehicle_types]
        allowed = p.allowed_vehicle_types
    else:
        names = [f.vehicle.name for f in feeders]
    best = float("inf")
    for name in names:
        if allowed is not None and name not in allowed:
            continue
        hours = tp.hours_of(name)
        vt = tp.vehicle_type(name)
        m = matrices[vt.profile]
        dur = real_durations(m, vt)
        i, j = m.index(base), m.index(p.id)
        drive = int(dur[i, j]) + int(dur[j, i])
        if drive > hours.max_drive_day_min * 60:
            continue
        cost = _leg_rmb(tp, matrices, name, base, p.id) + _leg_rmb(tp, matrices, name, p.id, base)
        best = min(best, cost)
    return best
