"""An independent check of a three-tier plan (it shares no code with the solve).

It reads the plan as written and the problem's own data, and recomputes: every
pickup collected once (or unassigned), loads, windows, travel times, driving hours
(each stretch of driving and each day), feeder runs based at their station and
inside its hours, transfers (every feeder parcel handed to a trunk run that comes
after the last feeder plus handling), station capacity, perishables' time on board
across both legs, the fleet's counts and that the costs add up.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping

from routing.matrix import TravelMatrix
from routing.model import Plan, Run, VehicleType
from routing.tiers.model import DriverHours
from routing.tiers.problem import TierProblem

_SLACK_S = 2


def check_tier_plan(tp: TierProblem, plan: Plan, matrices: Mapping[str, TravelMatrix]) -> list[str]:
    """Every violation found in ``plan`` (empty: valid). Matrices: hub, station, pickup ids."""
    bad: list[str] = []
    pickups = {p.id: p for p in tp.problem.pickups}
    stations = {s.id: s for s in tp.stations}
    seen: dict[str, int] = defaultdict(int)
    for r in plan.runs:
        for s in r.stops:
            if _base(s.pickup_id) not in stations:
                seen[s.pickup_id] += 1
    for u in plan.unassigned:
        seen[u.pickup_id] += 1
    for pid in set(pickups) | set(seen):
        if pid not in pickups:
            bad.append(f"pickup {pid}: in the plan but not in the problem")
        elif seen[pid] != 1:
            bad.append(f"pickup {pid}: appears {seen[pid]} times in runs + unassigned")
    for r in plan.runs:
        bad += _check_run(tp, r, matrices)
    bad += _check_transfers(tp, plan)
    bad += _check_fleet(tp, plan)
    handling = round(sum(t.handling_rmb for t in plan.transfers) * 100)
    runs_fen = sum(round(r.cost_rmb * 100) for r in plan.runs)
    if runs_fen + handling != round(plan.summary.total_cost_rmb * 100):
        bad.append(
            f"summary: total {plan.summary.total_cost_rmb}, runs and handling add to "
            f"{(runs_fen + handling) / 100}"
        )
    return bad


def _base(stop_id: str) -> str:
    return stop_id.rsplit("#", 1)[0]


def _check_run(tp: TierProblem, r: Run, matrices: Mapping[str, TravelMatrix]) -> list[str]:
    name = f"{r.vehicle} run {r.run}"
    try:
        vt = tp.vehicle_type(r.vehicle_type)
    except StopIteration:
        return [f"{name}: unknown vehicle type {r.vehicle_type}"]
    bad: list[str] = []
    feeder = next((f for f in tp.feeders if f.vehicle.name == vt.name), None)
    if feeder is not None and (r.hub_id != feeder.station_id or r.tier != "feeder"):
        bad.append(f"{name}: a feeder of {feeder.station_id} must run from it as 'feeder'")
    if feeder is None and r.hub_id not in {h.id for h in tp.problem.hubs}:
        bad.append(f"{name}: starts at {r.hub_id}, not at a hub")
    day2 = 86_400 if r.overnight else 0
    if r.start < vt.shift_start_s - _SLACK_S or r.end > vt.shift_end_s + day2 + _SLACK_S:
        bad.append(f"{name}: {r.start_time}-{r.end_time} outside the shift")
    if feeder is not None:
        st = tp.station(feeder.station_id)
        if r.start < st.open_s - _SLACK_S or r.end > st.close_s + _SLACK_S:
            bad.append(f"{name}: outside the opening hours of station {st.id}")
    if sum(round(s.cost_rmb * 100) for s in r.stops) != round(r.cost_rmb * 100):
        bad.append(f"{name}: stop shares do not add to the run cost {r.cost_rmb}")
    bad += _check_load(tp, r, vt, name)
    bad += _check_times(tp, r, vt, matrices[vt.profile], name)
    return bad


def _check_load(tp: TierProblem, r: Run, vt: VehicleType, name: str) -> list[str]:
    bad = []
    pickups = {p.id: p for p in tp.problem.pickups}
    load_p = sum(s.delivery_parcels for s in r.stops)
    load_kg = sum(s.delivery_weight_kg for s in r.stops)
    for s in r.stops:
        p = pickups.get(s.pickup_id)
        if p is not None:
            if (s.parcels, s.delivery_parcels) != (p.parcels, p.delivery_parcels):
                bad.append(f"{name} {p.id}: parcels differ from the pickup's")
            allowed = p.allowed_vehicle_types
            feeder = next((f for f in tp.feeders if f.vehicle.name == vt.name), None)
            ok = allowed is None or vt.name in allowed or (feeder and feeder.like in allowed)
            if not ok:
                bad.append(f"{name} {p.id}: vehicle type {vt.name} not allowed there")
        load_p += s.parcels - s.delivery_parcels
        load_kg += s.weight_kg - s.delivery_weight_kg
        if max(load_p, load_p - s.parcels + s.delivery_parcels) > vt.capacity_parcels or (
            load_kg > vt.capacity_kg + 1e-6
        ):
            bad.append(f"{name} {s.pickup_id}: over capacity ({load_p} parcels, {load_kg:.1f} kg)")
    return bad


def _check_times(tp: TierProblem, r: Run, vt: VehicleType, m: TravelMatrix, name: str) -> list[str]:
    bad: list[str] = []
    hours = tp.hours_of(vt.name)
    pickups = {p.id: p for p in tp.problem.pickups}
    index = {i: n for n, i in enumerate(m.ids)}
    seq = [r.hub_id, *[_base(s.pickup_id) for s in r.stops]]
    leaves = [r.start] + [s.departure for s in r.stops]
    arrives = [s.arrival for s in r.stops]
    if r.overnight:
        seq += [r.overnight.station_id, r.overnight.station_id]
        arrives += [r.overnight.arrive, r.overnight.leave]
        leaves += [r.overnight.arrive, r.overnight.leave]
        place = r.overnight.station_id
        st = next((x for x in tp.stations if x.id == place), None)
        if st is not None and not st.overnight:
            bad.append(f"{name}: station {st.id} takes no vehicles overnight")
        if st is None and (not r.stops or r.stops[-1].pickup_id != place):
            bad.append(f"{name}: spends the night at {place}, neither a station nor its last stop")
        if r.cost_rmb + 1e-6 < r.overnight.cost_rmb:
            bad.append(f"{name}: its cost leaves out the night at {place}")
    seq.append(r.hub_id)
    arrives.append(r.end)
    for s in r.stops:
        p = pickups.get(s.pickup_id)
        begin = s.arrival + s.waiting_time
        if p is not None and not (p.ready_s - _SLACK_S <= begin <= p.close_s + _SLACK_S):
            bad.append(f"{name} {p.id}: service at {s.arrival_time} outside its window")
        if p is not None and s.departure < begin + p.service_s - _SLACK_S:
            bad.append(f"{name} {p.id}: leaves before loading is done")
    rest_s = round(hours.min_rest_min * 60)
    limit_s = round(hours.max_continuous_drive_min * 60)
    cont, day_drive, metres, total_drive = 0, 0, 0, 0
    day_start = r.start
    for k in range(len(seq) - 1):
        a, b = seq[k], seq[k + 1]
        if a == b and r.overnight and k == len(seq) - 3:
            bad += _check_day(name, day_drive, arrives[k - 1] - day_start, hours)
            cont, day_drive, day_start = 0, 0, leaves[k + 1]
            continue
        need = round(int(m.duration_s[index[a], index[b]]) / vt.speed_factor)
        metres += int(m.distance_m[index[a], index[b]])
        dep, arr = leaves[k], arrives[k]
        if arr + _SLACK_S < dep + need:
            bad.append(f"{name}: reaches {b} faster than the roads allow")
        rests = sorted(t for t in r.rests if dep - _SLACK_S <= t <= arr + _SLACK_S)
        if arr - dep + _SLACK_S < need + rest_s * len(rests):
            bad.append(f"{name}: rests on the way to {b} leave too little time to drive")
        driven, clock = 0, dep
        for t in rests:
            piece = t - clock
            driven += piece
            if cont + piece > limit_s + _SLACK_S:
                bad.append(f"{name}: drives {(cont + piece) / 3600:.2f} h without a rest")
            cont, clock = 0, t + rest_s
        cont += max(0, need - driven)
        day_drive += need
        total_drive += need
        if cont > limit_s + _SLACK_S:
            bad.append(f"{name}: drives {cont / 3600:.2f} h to {b} without a rest")
        if k < len(r.stops) and r.stops[k].departure - r.stops[k].arrival >= rest_s:
            cont = 0
    if abs(metres - r.distance) > 1:
        bad.append(f"{name}: distance {r.distance} m, roads give {metres} m")
    bad += _check_day(name, day_drive, r.end - day_start, hours)
    if r.drive_s is None or abs(r.drive_s - total_drive) > _SLACK_S * len(seq):
        bad.append(f"{name}: states {r.drive_s} s of driving, the roads give {total_drive} s")
    return bad


def _check_day(name: str, drive_s: int, duty_s: int, hours: DriverHours) -> list[str]:
    bad = []
    if drive_s > hours.max_drive_day_min * 60 + _SLACK_S:
        bad.append(f"{name}: drives {drive_s / 3600:.2f} h in a day, over the legal limit")
    if duty_s > hours.max_duty_day_min * 60 + _SLACK_S:
        bad.append(f"{name}: works {duty_s / 3600:.2f} h in a day, over the limit")
    return bad


def _check_transfers(tp: TierProblem, plan: Plan) -> list[str]:
    bad: list[str] = []
    runs = {f"{r.vehicle} run {r.run}": r for r in plan.runs}
    feeders_at: dict[str, list[Run]] = defaultdict(list)
    station_ids = {x.id for x in tp.stations}
    for r in plan.runs:
        if r.tier == "feeder" and r.hub_id in station_ids:
            feeders_at[r.hub_id].append(r)
    moved: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pickups = {p.id: p for p in tp.problem.pickups}
    for t in plan.transfers:
        if t.station_id not in station_ids:
            bad.append(f"transfer at {t.station_id}: not a station")
            continue
        st = tp.station(t.station_id)
        mine = feeders_at.get(st.id, [])
        if set(t.from_runs) != {f"{r.vehicle} run {r.run}" for r in mine}:
            bad.append(f"transfer at {st.id}: from_runs are not the station's feeder runs")
        trunk = runs.get(t.to_run)
        stop = (
            next((s for s in trunk.stops if _base(s.pickup_id) == st.id), None) if trunk else None
        )
        if trunk is None or stop is None:
            bad.append(f"transfer at {st.id}: run {t.to_run} does not call there")
            continue
        moved[st.id][0] += stop.parcels
        moved[st.id][1] += stop.delivery_parcels
        last = max((r.end for r in mine), default=st.open_s)
        ready = last + round(st.handling_min * 60)
        begin = stop.arrival + stop.waiting_time
        if begin + _SLACK_S < ready or t.ready + _SLACK_S < ready:
            bad.append(
                f"transfer at {st.id}: {t.to_run} loads before the feeders' produce is ready"
            )
        if not st.open_s - _SLACK_S <= begin <= st.close_s + _SLACK_S:
            bad.append(f"transfer at {st.id}: {t.to_run} calls outside the station's hours")
        if abs(stop.departure - t.loaded) > _SLACK_S:
            bad.append(
                f"transfer at {st.id}: loaded {t.loaded_time}, the run leaves at "
                f"{stop.departure_time}"
            )
        expected = round((stop.parcels + stop.delivery_parcels) * st.handling_rmb_per_parcel * 100)
        if abs(round(t.handling_rmb * 100) - expected) > 1:
            bad.append(
                f"transfer at {st.id}: handling RMB {t.handling_rmb}, rates give {expected / 100}"
            )
        for s in (s for r in mine for s in r.stops):
            p = pickups.get(s.pickup_id)
            if p is None or p.max_on_board_min is None:
                continue
            if trunk.end - s.departure > p.max_on_board_min * 60 + _SLACK_S:
                bad.append(
                    f"pickup {p.id}: {(trunk.end - s.departure) / 60:.0f} min on "
                    f"board to the hub, limit {p.max_on_board_min:g}"
                )
    for sid, mine in feeders_at.items():
        st = tp.station(sid)
        parcels = sum(s.parcels for r in mine for s in r.stops)
        kg = sum(s.weight_kg for r in mine for s in r.stops)
        outbound = sum(s.delivery_parcels for r in mine for s in r.stops)
        if moved[sid] != [parcels, outbound]:
            bad.append(
                f"station {sid}: feeders bring {parcels} parcels ({outbound} out), "
                f"trunks take {moved[sid][0]} ({moved[sid][1]} out)"
            )
        if parcels > st.capacity_parcels or kg > st.capacity_kg + 1e-6:
            bad.append(f"station {sid}: {parcels} parcels / {kg:.0f} kg, over its capacity")
    return bad


def _check_fleet(tp: TierProblem, plan: Plan) -> list[str]:
    bad: list[str] = []
    by_vehicle: dict[str, list[Run]] = defaultdict(list)
    for r in plan.runs:
        by_vehicle[r.vehicle].append(r)
    per_type: dict[str, int] = defaultdict(int)
    for vehicle, mine in by_vehicle.items():
        try:
            vt = tp.vehicle_type(mine[0].vehicle_type)
        except StopIteration:
            continue
        # A two-day run repeated daily keeps a second vehicle on the road.
        per_type[vt.name] += 2 if any(r.overnight for r in mine) else 1
        if len(mine) > vt.max_runs_per_day:
            bad.append(f"{vehicle}: {len(mine)} runs, at most {vt.max_runs_per_day}")
        mine.sort(key=lambda r: r.start)
        for a, b in itertools.pairwise(mine):
            if b.start < a.end + round(vt.reload_min * 60) - _SLACK_S:
                bad.append(f"{vehicle} run {b.run}: starts before the previous run is unloaded")
        hours = tp.hours_of(vt.name)
        if not any(r.overnight for r in mine):
            drive = sum(r.drive_s or 0 for r in mine)
            if drive > hours.max_drive_day_min * 60 + _SLACK_S:
                bad.append(f"{vehicle}: drives {drive / 3600:.2f} h in the day, over the limit")
    for name, n in per_type.items():
        vt = tp.vehicle_type(name)
        if vt.count is not None and n > vt.count:
            bad.append(f"vehicle type {name}: {n} vehicles needed, {vt.count} exist")
    return bad
