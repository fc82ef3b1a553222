"""Turn an engine's :class:`Solution` into the planner's :class:`Plan`.

The engine only says which pickups each vehicle visits, in what order. Everything a
planner reads — arrival and departure times, load after each stop, km, hours, RMB, the
share of each stop — is recomputed here from the problem and the travel matrices, so
no engine's own report is trusted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routing.build import BuiltInstance
from routing.costs import StopDemand, allocate_run_fen, run_cost_rmb, to_fen
from routing.matrix import TravelMatrix
from routing.model import (
    PickupPoint,
    Plan,
    Problem,
    Run,
    Stop,
    Summary,
    Unassigned,
    UnassignedReason,
    VehicleType,
    VillageCost,
)
from routing.solve.instance import Solution
from routing.unassigned import explain_unassigned, reason_detail
from routing.units import format_clock

PathFn = Callable[[Sequence[Sequence[str]], str], list[list[tuple[float, float]]]]
"""Given id sequences (hub, stops..., hub) and a road profile, (lon, lat) paths."""


@dataclass(frozen=True)
class _Leg:
    pickup: PickupPoint
    arrival: int
    start: int
    departure: int
    distance_m: int
    """Metres driven from the hub up to this stop (VROOM's cumulative distance)."""


def _durations(m: TravelMatrix, vt: VehicleType) -> np.ndarray:
    from routing.road_cost import scaled_durations  # cached per matrix and speed factor

    return scaled_durations(m, vt.speed_factor)


def _simulate(
    start: int,
    nodes: Sequence[int],
    pickups: Sequence[PickupPoint],
    hub_node: int,
    dur: np.ndarray,
    dist: np.ndarray,
    break_at: tuple[int, int, int] | None,
) -> tuple[list[_Leg], int, int, int | None]:
    """Earliest schedule leaving at ``start``; returns legs, end, metres, break start.

    The driver's break starts inside its window, between two services: while driving
    (it delays the arrival) or while waiting for a window to open (it may cost
    nothing). It is taken in the first gap the window has opened by, or earlier
    when the next gap would start after the window has closed.
    """
    t = start
    here = hub_node
    metres = 0
    legs: list[_Leg] = []
    taken: int | None = None

    def gap(depart: int, travel: int, ready: int = 0, service: int = 0) -> tuple[int, int]:
        """Arrival and start of service after a leg, with the break if it falls there."""
        nonlocal taken
        arrive = depart + travel
        begin = max(arrive, ready)
        if break_at is None or taken is not None:
            return arrive, begin
        earliest, latest, length = break_at
        at = max(depart, earliest)
        if at > latest or (begin <= earliest and begin + service <= latest):
            return arrive, begin
        taken = at
        if at <= arrive:  # on the road
            return arrive + length, max(arrive + length, ready)
        return arrive, max(ready, at + length)  # while waiting

    for node, p in zip(nodes, pickups, strict=True):
        arrival, begin = gap(t, int(dur[here, node]), p.ready_s, p.service_s)
        departure = begin + p.service_s
        metres += int(dist[here, node])
        legs.append(_Leg(p, arrival, begin, departure, metres))
        t = departure
        here = node
    end, _ = gap(t, int(dur[here, hub_node]))
    metres += int(dist[here, hub_node])
    return legs, end, metres, taken


def _latest_start(
    earliest: int,
    nodes: Sequence[int],
    pickups: Sequence[PickupPoint],
    hub_node: int,
    dur: np.ndarray,
    dist: np.ndarray,
    brk: tuple[int, int, int] | None,
) -> int:
    """Leave as late as the windows allow without returning later (less waiting)."""
    legs, _, _, _ = _simulate(earliest, nodes, pickups, hub_node, dur, dist, brk)
    delay = None
    waited = 0
    for leg in legs:
        waited += leg.start - leg.arrival
        room = leg.pickup.close_s - leg.start + waited
        delay = room if delay is None else min(delay, room)
    if not legs:
        return earliest
    return earliest + max(0, min(waited, delay if delay is not None else 0))


@dataclass(frozen=True)
class _Vehicle:
    """What scheduling and costing one vehicle's runs needs."""

    vt: VehicleType
    hub_id: str
    hub_node: int
    dur: np.ndarray
    dist: np.ndarray


def _break_of(vt: VehicleType) -> tuple[int, int, int] | None:
    brk = vt.driver_break
    if brk is None:
        return None
    return (brk.earliest_s, brk.latest_s, round(brk.duration_min * 60))


def assemble_plan(
    problem: Problem,
    built: BuiltInstance,
    solution: Solution,
    matrices: Mapping[str, TravelMatrix],
    *,
    allocation: Sequence[str] = ("proportional",),
    paths: PathFn | None = None,
    timings_s: Mapping[str, float] | None = None,
    removed: Mapping[int, UnassignedReason] | None = None,
) -> Plan:
    """Schedule, load, cost and allocate every run of ``solution``.

    Parameters
    ----------
    problem, built, solution, matrices
        The problem, its built instance, an engine's solution and the matrices (hub
        ids then pickup ids, one per road profile).
    allocation
        Allocation methods; the first is the plan's ``cost_rmb`` per stop, all are
        listed in each stop's ``cost_shares``.
    paths
        Draws runs along the roads; without it a run's ``path`` is empty.
    timings_s
        Step timings to report in the summary.
    removed
        Clients taken out of the solution after checking it, with the constraint
        they broke; the others the engines left out are explained here.
    """
    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    node_of = {pid: i for i, pid in enumerate(ids)}
    hub_index = {h.id: i for i, h in enumerate(problem.hubs)}
    runs: list[Run] = []
    requests: list[tuple[int, list[str], str]] = []
    method = allocation[0] if allocation else "proportional"
    for route in solution.routes:
        vt = problem.vehicle_types[route.vehicle_type]
        m = matrices[vt.profile]
        hub = problem.hub_of(vt)
        vehicle = _Vehicle(vt, hub.id, hub_index[hub.id], _durations(m, vt), m.distance_m)
        ready_at = max(vt.shift_start_s, hub.open_s)
        brk = _break_of(vt)
        last_end: int | None = None
        for k, trip in enumerate(route.trips):
            pickups = [built.pickups[c] for c in trip.clients]
            run = _run(
                vehicle,
                f"{vt.name}-{route.vehicle + 1}",
                k,
                pickups,
                [node_of[p.id] for p in pickups],
                ready_at,
                brk,
                (method, *allocation),
                last_end,
            )
            last_end = run.end
            if run.break_start is not None:
                brk = None  # one break a day, taken on the first run that reaches it
            ready_at = run.end + round(vt.reload_min * 60)
            runs.append(run)
            requests.append((len(runs) - 1, [hub.id, *[p.id for p in pickups], hub.id], vt.profile))
    if paths is not None and requests:
        runs = _draw(runs, requests, paths)
    return finish_plan(
        problem,
        runs,
        _unassigned(problem, built, solution, removed or {}),
        solver=solution.engine,
        objective=solution.cost,
        allocation_method=method,
        timings_s=timings_s,
    )


def _run(
    vehicle: _Vehicle,
    name: str,
    k: int,
    pickups: Sequence[PickupPoint],
    nodes: Sequence[int],
    ready_at: int,
    brk: tuple[int, int, int] | None,
    methods: Sequence[str],
    last_end: int | None,
) -> Run:
    """Run ``k`` (0-based) of a vehicle: scheduled, costed, its cost shared by its stops.

    The driver is paid from the day's first departure on, as the engines charge a
    vehicle's whole day: a later run also pays the reload and wait at the hub since
    ``last_end``, the end of the vehicle's run before it.
    """
    vt, dur, dist = vehicle.vt, vehicle.dur, vehicle.dist
    start = _latest_start(ready_at, nodes, pickups, vehicle.hub_node, dur, dist, brk)
    legs, end, metres, break_start = _simulate(
        start, nodes, pickups, vehicle.hub_node, dur, dist, brk
    )
    fixed = vt.fixed_rmb_per_run + (vt.fixed_rmb_per_day if k == 0 else 0.0)
    f_rmb, d_rmb, t_rmb = run_cost_rmb(
        distance_m=metres,
        duration_s=end - (start if last_end is None else min(start, last_end)),
        fixed_rmb=fixed,
        rmb_per_km=vt.rmb_per_km,
        rmb_per_hour=vt.rmb_per_hour,
    )
    run_fen = to_fen(f_rmb + d_rmb + t_rmb)
    demand = [
        StopDemand(
            key=p.id,
            parcels=p.parcels + p.delivery_parcels,
            position=i + 1,
            service_rmb=vt.rmb_per_hour * p.service_s / 3600,
        )
        for i, p in enumerate(pickups)
    ]
    # Driving cost between run positions (0 = hub): standalone and shapley need it.
    sel = np.ix_([vehicle.hub_node, *nodes], [vehicle.hub_node, *nodes])
    leg_rmb = (
        vt.rmb_per_km * dist[sel].astype(np.float64) / 1000
        + vt.rmb_per_hour * dur[sel].astype(np.float64) / 3600
    )
    shares = {
        name: allocate_run_fen(run_fen, demand, method=name, leg_rmb=leg_rmb, fixed_rmb=fixed)
        for name in dict.fromkeys(methods)
    }
    return Run(
        vehicle=name,
        vehicle_type=vt.name,
        run=k + 1,
        hub_id=vehicle.hub_id,
        start=start,
        start_time=format_clock(start),
        end=end,
        end_time=format_clock(end),
        distance=metres,
        duration=end - start,
        distance_km=round(metres / 1000, 2),
        duration_h=round((end - start) / 3600, 2),
        parcels=sum(p.parcels for p in pickups),
        weight_kg=round(sum(p.weight_kg for p in pickups), 3),
        delivery_parcels=sum(p.delivery_parcels for p in pickups),
        cost_rmb=run_fen / 100,
        fixed_cost_rmb=round(f_rmb, 2),
        distance_cost_rmb=round(d_rmb, 2),
        time_cost_rmb=round(t_rmb, 2),
        break_start=break_start,
        stops=_stops(legs, shares, methods[0]),
    )


def _stops(legs: Sequence[_Leg], shares: Mapping[str, list[int]], method: str) -> tuple[Stop, ...]:
    """The stops of a run, with the load on board after each and its cost share."""
    load_p = sum(leg.pickup.delivery_parcels for leg in legs)
    load_kg = sum(leg.pickup.delivery_weight_kg for leg in legs)
    stops: list[Stop] = []
    for i, leg in enumerate(legs):
        p = leg.pickup
        handled = p.parcels + p.delivery_parcels
        load_p += p.parcels - p.delivery_parcels
        load_kg += p.weight_kg - p.delivery_weight_kg
        fen = shares[method][i]
        stops.append(
            Stop(
                pickup_id=p.id,
                village=p.village,
                lon=p.lon,
                lat=p.lat,
                location=(p.lon, p.lat),
                arrival=leg.arrival,
                arrival_time=format_clock(leg.arrival),
                departure=leg.departure,
                departure_time=format_clock(leg.departure),
                waiting_time=leg.start - leg.arrival,
                service=p.service_s,
                parcels=p.parcels,
                weight_kg=round(p.weight_kg, 3),
                delivery_parcels=p.delivery_parcels,
                delivery_weight_kg=round(p.delivery_weight_kg, 3),
                load_parcels=load_p,
                load_kg=round(max(0.0, load_kg), 3),
                distance=leg.distance_m,
                cost_rmb=fen / 100,
                cost_per_parcel_rmb=round(fen / 100 / handled, 2) if handled else None,
                cost_shares={name: s[i] / 100 for name, s in shares.items()},
                contact=p.contact,
            )
        )
    return tuple(stops)


def _draw(
    runs: Sequence[Run], requests: Sequence[tuple[int, list[str], str]], paths: PathFn
) -> list[Run]:
    """Each run's road geometry, drawn one road profile at a time."""
    out = list(runs)
    by_profile: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for i, seq, prof in requests:
        by_profile[prof].append((i, seq))
    for prof, items in by_profile.items():
        drawn = paths([seq for _, seq in items], prof)
        for (i, _), line in zip(items, drawn, strict=True):
            out[i] = out[i].model_copy(
                update={"path": tuple((round(x, 6), round(y, 6)) for x, y in line)}
            )
    return out


def draw_plan(plan: Plan, paths: PathFn) -> Plan:
    """The plan with each run drawn along the roads of its vehicle type's profile."""
    profile = {v.name: v.profile for v in plan.vehicle_types}
    requests = [
        (i, [r.hub_id, *[s.pickup_id for s in r.stops], r.hub_id], profile[r.vehicle_type])
        for i, r in enumerate(plan.runs)
    ]
    if not requests:
        return plan
    return plan.model_copy(update={"runs": tuple(_draw(plan.runs, requests, paths))})


def _unassigned(
    problem: Problem,
    built: BuiltInstance,
    solution: Solution,
    removed: Mapping[int, UnassignedReason],
) -> list[Unassigned]:
    """Pickups screened out before solving, then those the solution leaves out, why."""
    location = {p.id: p.location for p in problem.pickups}
    out = [u.model_copy(update={"location": location.get(u.pickup_id)}) for u in built.screened]
    left = [c for c in solution.unassigned if c not in removed]
    optional = {c for c in left if built.pickups[c].prize_rmb is not None}
    reasons = {**explain_unassigned(built.instance, solution, left, optional), **removed}
    for c in solution.unassigned:
        p = built.pickups[c]
        reason = reasons.get(c, UnassignedReason.CAPACITY)
        detail = reason_detail(reason)
        if c in removed:
            detail = f"taken out of the plan: its run broke a {reason.value} constraint"
        elif reason == UnassignedReason.NOT_WORTH_IT:
            detail = f"its value (RMB {p.prize_rmb:.2f}) is below the cost of collecting it"
        out.append(
            Unassigned(
                pickup_id=p.id,
                village=p.village,
                reason=reason,
                location=p.location,
                detail=detail,
            )
        )
    return out


def finish_plan(
    problem: Problem,
    runs: Sequence[Run],
    unassigned: Sequence[Unassigned],
    *,
    solver: str = "",
    objective: int = 0,
    allocation_method: str = "proportional",
    timings_s: Mapping[str, float] | None = None,
) -> Plan:
    """Add the summary and the per-village table to a plan's runs."""
    order = {p.id: i for i, p in enumerate(problem.pickups)}
    unassigned = sorted(unassigned, key=lambda u: order.get(u.pickup_id, len(order)))
    total_fen = sum(to_fen(r.cost_rmb) for r in runs)
    parcels = sum(r.parcels for r in runs)
    handled = parcels + sum(r.delivery_parcels for r in runs)
    township = {p.village: p.township for p in problem.pickups}
    per_village: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in runs:
        for s in r.stops:
            row = per_village[s.village]
            row[0] += 1
            row[1] += s.parcels + s.delivery_parcels
            row[2] += to_fen(s.cost_rmb)
    villages = tuple(
        VillageCost(
            village=v,
            township=township.get(v, ""),
            pickups=row[0],
            parcels=row[1],
            cost_rmb=row[2] / 100,
            cost_per_parcel_rmb=round(row[2] / 100 / row[1], 2) if row[1] else None,
        )
        for v, row in sorted(per_village.items())
    )
    summary = Summary(
        total_cost_rmb=total_fen / 100,
        cost_per_parcel_rmb=round(total_fen / 100 / handled, 2) if handled else None,
        parcels=parcels,
        delivery_parcels=handled - parcels,
        weight_kg=round(sum(r.weight_kg for r in runs), 1),
        distance_km=round(sum(r.distance for r in runs) / 1000, 1),
        duration_h=round(sum(r.duration for r in runs) / 3600, 2),
        runs=len(runs),
        vehicles=len({r.vehicle for r in runs}),
        unassigned=len(unassigned),
        pickups=len(problem.pickups),
        solver=solver,
        objective=objective,
        timings_s=dict(timings_s or {}),
    )
    return Plan(
        name=problem.name,
        hubs=problem.hubs,
        vehicle_types=problem.vehicle_types,
        summary=summary,
        runs=tuple(runs),
        unassigned=tuple(unassigned),
        villages=villages,
        allocation_method=allocation_method,
    )
