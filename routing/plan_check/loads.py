"""Loads along a run: what each stop hands over, what is on board, capacity."""

from __future__ import annotations

from routing.model import Run, VehicleType
from routing.plan_check.day import SLACK_KG, Day


def check_stop_amounts(day: Day, run: Run, where: str) -> None:
    """Each stop collects and drops exactly what its pickup has (parts: a share)."""
    for s in run.stops:
        p = day.pickup_of(s.pickup_id)
        if p is None:
            day.bad("coverage", f"{where} stop {s.pickup_id}", "not a pickup of the problem")
            continue
        if s.pickup_id not in day.pickups:
            continue  # a part of a split pickup: the parts' sum is checked per pickup
        stated = (s.parcels, s.delivery_parcels, s.weight_kg, s.delivery_weight_kg)
        wanted = (p.parcels, p.delivery_parcels, p.weight_kg, p.delivery_weight_kg)
        if stated[:2] != wanted[:2] or any(
            abs(a - b) > SLACK_KG for a, b in zip(stated[2:], wanted[2:], strict=True)
        ):
            day.bad(
                "load",
                f"{where} stop {s.pickup_id}",
                f"collects/drops {stated}, the pickup has {wanted} "
                "(parcels, delivery parcels, kg, delivery kg)",
            )


def check_capacity(day: Day, run: Run, vt: VehicleType, where: str) -> None:
    """Deliveries leave the hub on board; each stop drops its own and adds its produce.

    The load must stay within the vehicle's parcels and kilograms at every point, and
    the loads the plan states after each stop must be the ones recomputed here.
    """
    parcels = sum(s.delivery_parcels for s in run.stops)
    kg = sum(s.delivery_weight_kg for s in run.stops)
    _within(day, vt, parcels, kg, f"{where} leaving the hub", run, "")
    for s in run.stops:
        parcels += s.parcels - s.delivery_parcels
        kg += s.weight_kg - s.delivery_weight_kg
        at = f"{where} stop {s.pickup_id}"
        _within(day, vt, parcels, kg, at, run, s.pickup_id)
        if s.load_parcels != parcels or abs(s.load_kg - max(0.0, kg)) > SLACK_KG * 10:
            day.bad(
                "load",
                at,
                f"states {s.load_parcels} parcels / {s.load_kg} kg on board, "
                f"recomputed {parcels} / {kg:.3f}",
            )
    if run.parcels != sum(s.parcels for s in run.stops):
        day.bad("load", where, f"run states {run.parcels} parcels, its stops add to another")


def _within(
    day: Day, vt: VehicleType, parcels: int, kg: float, where: str, run: Run, stop: str
) -> None:
    if parcels > vt.capacity_parcels or kg > vt.capacity_kg + SLACK_KG:
        day.bad(
            "capacity",
            where,
            f"{parcels} parcels / {kg:.1f} kg on board; {vt.name} takes "
            f"{vt.capacity_parcels} parcels / {vt.capacity_kg:g} kg",
            run=run,
            stop=stop,
        )
