"""Every pickup once: in a run or unassigned with a reason that holds; locked runs kept."""

from __future__ import annotations

from collections import Counter, defaultdict

from routing.model import PickupPoint, Plan, UnassignedReason, VehicleType
from routing.plan_check.day import SLACK_KG, Day


def check_coverage(day: Day, plan: Plan) -> None:
    """Each pickup is served or unassigned, once; split into parts, the parts add up.

    A pickup split into parts (``"<id>#<k>"``) may have some parts served and others
    unassigned; the served parts then carry no more than the pickup has.
    """
    visits: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
    for r in plan.runs:
        for s in r.stops:
            amounts = (s.parcels, s.delivery_parcels, s.weight_kg, s.delivery_weight_kg)
            visits[day.key_of(s.pickup_id)].append(amounts)
    entries = Counter(
        [s.pickup_id for r in plan.runs for s in r.stops] + [u.pickup_id for u in plan.unassigned]
    )
    for sid, n in sorted(entries.items()):
        if n > 1:
            day.bad("coverage", f"pickup {sid}", f"{n} times in runs and unassigned", stop=sid)
    parts_left = Counter(day.key_of(u.pickup_id) for u in plan.unassigned)
    for p in day.problem.pickups:
        served = visits.get(p.id, [])
        split = any(day.key_of(i) == p.id and i != p.id for i in entries)
        if not served and not parts_left[p.id]:
            day.bad("coverage", f"pickup {p.id}", "neither in a run nor unassigned", stop=p.id)
        elif not split and served and parts_left[p.id]:
            day.bad("coverage", f"pickup {p.id}", "both in a run and unassigned", stop=p.id)
        elif split and served and not _parts_add_up(p, served, whole=not parts_left[p.id]):
            day.bad("coverage", f"pickup {p.id}", "its split visits do not add up to the pickup")
    for pid in sorted({day.key_of(i) for i in entries}):
        if pid not in day.pickups:
            day.bad("coverage", f"pickup {pid}", "in the plan but not in the problem")


def _parts_add_up(
    p: PickupPoint, parts: list[tuple[int, int, float, float]], *, whole: bool
) -> bool:
    sums = [sum(x[i] for x in parts) for i in range(4)]
    wanted = (p.parcels, p.delivery_parcels, p.weight_kg, p.delivery_weight_kg)
    slack = SLACK_KG * len(parts)
    if not whole:
        return all(a <= b + slack for a, b in zip(sums, wanted, strict=True))
    return sums[:2] == list(wanted[:2]) and all(
        abs(a - b) <= slack for a, b in zip(sums[2:], wanted[2:], strict=True)
    )


def check_reasons(day: Day, plan: Plan) -> None:
    """The reasons that can be verified from the inputs alone are true.

    ``not_worth_it`` only for optional pickups, ``no_vehicle_fits`` only when no
    vehicle allowed there takes the load, ``unreachable`` only when no allowed
    vehicle's roads join it with its hub both ways.
    """
    for u in plan.unassigned:
        p = day.pickup_of(u.pickup_id)
        if p is None:
            continue
        allowed = [vt for vt in day.types.values() if _may_serve(vt, p)]
        where = f"unassigned {p.id}"
        if u.reason == UnassignedReason.NOT_WORTH_IT and p.prize_rmb is None:
            day.bad("unassigned_reason", where, "not_worth_it for a pickup that must be collected")
        if u.reason == UnassignedReason.NO_VEHICLE_FITS and any(_fits(vt, p) for vt in allowed):
            day.bad("unassigned_reason", where, "no_vehicle_fits, yet an allowed vehicle takes it")
        if u.reason == UnassignedReason.UNREACHABLE and any(_reaches(day, vt, p) for vt in allowed):
            day.bad(
                "unassigned_reason", where, "unreachable, yet an allowed vehicle's roads join it"
            )


def _may_serve(vt: VehicleType, p: PickupPoint) -> bool:
    return vt.count != 0 and (p.allowed_vehicle_types is None or vt.name in p.allowed_vehicle_types)


def _fits(vt: VehicleType, p: PickupPoint) -> bool:
    return (
        max(p.parcels, p.delivery_parcels) <= vt.capacity_parcels
        and max(p.weight_kg, p.delivery_weight_kg) <= vt.capacity_kg + SLACK_KG
    )


def _reaches(day: Day, vt: VehicleType, p: PickupPoint) -> bool:
    hub = day.problem.hub_of(vt).id
    there, back = day.leg(vt, hub, p.id), day.leg(vt, p.id, hub)
    return there is not None and back is not None and there.reachable and back.reachable


def check_locked(day: Day, plan: Plan) -> None:
    """A run already on the road keeps its vehicle, run number and first stops.

    Locked pickups reported unassigned (no vehicle could ever serve them) are skipped.
    """
    left = {u.pickup_id for u in plan.unassigned}
    for lock in day.problem.locked_runs:
        run = next((r for r in plan.runs if (r.vehicle, r.run) == (lock.vehicle, lock.run)), None)
        wanted = [pid for pid in lock.pickup_ids if pid not in left]
        stated = [s.pickup_id for s in run.stops][: len(wanted)] if run is not None else []
        if wanted and stated != wanted:
            day.bad(
                "locked_run",
                f"{lock.vehicle} run {lock.run}",
                f"must start with {wanted}, starts with {stated or 'nothing (no such run)'}",
            )
