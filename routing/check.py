"""An independent check of a plan against its problem and travel matrices.

It reads only the plan as written (plan.json) and the problem's own data: capacity
after every stop, time windows, shifts, travel times between consecutive stops, runs
of one vehicle not overlapping, allowed vehicle types, every pickup either in a run or
unassigned with a reason, and costs that add up. It shares no code with the solver or
the plan builder, so a bug there cannot hide itself here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from itertools import pairwise

from routing.matrix import TravelMatrix
from routing.model import Plan, Problem

#: Seconds of rounding tolerated between stated and recomputed times.
_SLACK_S = 2


def check_plan(
    problem: Problem, plan: Plan, matrices: Mapping[str, TravelMatrix] | None = None
) -> list[str]:
    """Return every violation found in ``plan`` (an empty list means it is valid).

    Parameters
    ----------
    problem
        The problem the plan answers.
    plan
        The plan to check.
    matrices
        Travel matrices per road profile (hub ids then pickup ids). Without them the
        travel-time checks between stops are skipped; everything else is checked.
    """
    bad: list[str] = []
    pickups = {p.id: p for p in problem.pickups}
    types = {v.name: v for v in problem.vehicle_types}
    seen: Counter[str] = Counter()
    for r in plan.runs:
        for s in r.stops:
            seen[s.pickup_id] += 1
    for u in plan.unassigned:
        seen[u.pickup_id] += 1
    for pid in pickups:
        if seen[pid] != 1:
            bad.append(f"pickup {pid}: appears {seen[pid]} times in runs + unassigned")
    for pid in seen:
        if pid not in pickups:
            bad.append(f"pickup {pid}: in the plan but not in the problem")

    per_vehicle: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    total_fen = 0
    for r in plan.runs:
        name = f"{r.vehicle} run {r.run}"
        vt = types.get(r.vehicle_type)
        if vt is None:
            bad.append(f"{name}: unknown vehicle type {r.vehicle_type}")
            continue
        per_vehicle[r.vehicle].append((r.run, r.start, r.end))
        if r.start < vt.shift_start_s - _SLACK_S or r.end > vt.shift_end_s + _SLACK_S:
            bad.append(f"{name}: {r.start_time}-{r.end_time} outside the shift")
        stops = [pickups[s.pickup_id] for s in r.stops if s.pickup_id in pickups]
        load_p = sum(p.delivery_parcels for p in stops)
        load_g = sum(p.delivery_weight_kg for p in stops)
        if load_p > vt.capacity_parcels or load_g > vt.capacity_kg + 1e-6:
            bad.append(f"{name}: leaves the hub over capacity ({load_p} parcels, {load_g} kg)")
        stop_fen = 0
        for s in r.stops:
            p = pickups.get(s.pickup_id)
            if p is None:
                continue
            load_p += p.parcels - p.delivery_parcels
            load_g += p.weight_kg - p.delivery_weight_kg
            if s.load_parcels != load_p:
                bad.append(f"{name} {p.id}: load_parcels {s.load_parcels}, expected {load_p}")
            if load_p > vt.capacity_parcels or load_g > vt.capacity_kg + 1e-6:
                bad.append(f"{name} {p.id}: over capacity ({load_p} parcels, {load_g:.1f} kg)")
            begin = s.arrival + s.waiting_time
            if begin < p.ready_s - _SLACK_S or begin > p.close_s + _SLACK_S:
                bad.append(f"{name} {p.id}: service at {begin} outside window")
            if s.departure < begin + p.service_s - _SLACK_S:
                bad.append(f"{name} {p.id}: leaves before loading is done")
            if p.allowed_vehicle_types is not None and vt.name not in p.allowed_vehicle_types:
                bad.append(f"{name} {p.id}: vehicle type {vt.name} not allowed there")
            if s.parcels != p.parcels:
                bad.append(f"{name} {p.id}: parcels {s.parcels}, pickup has {p.parcels}")
            stop_fen += round(s.cost_rmb * 100)
        if stop_fen != round(r.cost_rmb * 100):
            bad.append(f"{name}: stop shares add to {stop_fen / 100}, run costs {r.cost_rmb}")
        total_fen += round(r.cost_rmb * 100)
        if matrices is not None and vt.profile in matrices and r.stops:
            m = matrices[vt.profile]
            index = {i: n for n, i in enumerate(m.ids)}
            seq = [r.hub_id, *[s.pickup_id for s in r.stops], r.hub_id]
            times = [r.start] + [s.arrival for s in r.stops] + [r.end]
            leaves = [r.start] + [s.departure for s in r.stops]
            metres = 0
            for k in range(len(seq) - 1):
                a, b = index[seq[k]], index[seq[k + 1]]
                need = int(m.duration_s[a, b]) / vt.speed_factor
                metres += int(m.distance_m[a, b])
                if times[k + 1] + _SLACK_S < leaves[k] + need:
                    bad.append(f"{name}: reaches {seq[k + 1]} faster than the roads allow")
            if abs(metres - r.distance) > 1:
                bad.append(f"{name}: distance {r.distance} m, roads give {metres} m")
    if abs(total_fen - round(plan.summary.total_cost_rmb * 100)) > 0:
        bad.append(f"summary: total {plan.summary.total_cost_rmb}, runs add to {total_fen / 100}")
    for vehicle, runs in per_vehicle.items():
        vt = types[next(r.vehicle_type for r in plan.runs if r.vehicle == vehicle)]
        if vt.driver_break is not None:
            # A driver working through the whole window takes the break once inside
            # it; a day that ends before the window opens needs none.
            brk = vt.driver_break
            mine = [r for r in plan.runs if r.vehicle == vehicle]
            taken = [r.break_start for r in mine if r.break_start is not None]
            day = (min(r.start for r in mine), max(r.end for r in mine))
            required = day[0] <= brk.earliest_s and day[1] >= brk.latest_s
            inside = all(brk.earliest_s - _SLACK_S <= b <= brk.latest_s + _SLACK_S for b in taken)
            if len(taken) > 1 or not inside or (required and not taken):
                bad.append(f"{vehicle}: driver break at {taken}, not once inside its window")
        if len(runs) > vt.max_runs_per_day:
            bad.append(f"{vehicle}: {len(runs)} runs, at most {vt.max_runs_per_day}")
        runs.sort()
        for (_, _, end), (n, start, _) in pairwise(runs):
            if start < end + round(vt.reload_min * 60) - _SLACK_S:
                bad.append(f"{vehicle} run {n}: starts before the previous run is unloaded")
    for name, vt in types.items():
        vehicles = {r.vehicle for r in plan.runs if r.vehicle_type == name}
        if vt.count is not None and len(vehicles) > vt.count:
            bad.append(f"vehicle type {name}: {len(vehicles)} vehicles used, {vt.count} exist")
    return bad
