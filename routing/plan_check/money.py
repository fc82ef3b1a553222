"""Run costs recomputed from the rates, and the shares and totals that must add up.

A run costs its fixed part (per run, plus per day on the vehicle's first run), its
rate per km times the km driven (times a road-class factor under a hub cost model),
its rate per hour times the hours from leaving to returning (for a later run also the
wait at the hub since the vehicle's previous run), and the energy of its climbs;
under a cost model the hub's handling and overheads are spread over the runs' parcels.
The rates are resolved here from the fleet and the cost model's own fields.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from routing.cost_model import CostModel, VehicleRates
from routing.model import Plan, Run, VehicleType
from routing.plan_check.day import Day

#: Fen of rounding tolerated: each stated part of a run is rounded to fen on its own.
_SLACK_FEN = 3


@dataclass(frozen=True)
class _Rates:
    per_run: float
    per_day: float
    per_km: float
    per_hour: float
    per_100m_ascent: float
    factor_lo: float
    factor_hi: float


def _fen(rmb: float) -> int:
    return round(rmb * 100)


def _vehicle_rates(model: CostModel, hub_id: str, name: str) -> dict[str, float | None]:
    """The cost model's rates for a vehicle type, the hub's own entries first."""
    out: dict[str, float | None] = dict.fromkeys(VehicleRates.model_fields)
    base = model.vehicles.get(name)
    hub = model.hubs.get(hub_id)
    over = hub.vehicles.get(name) if hub is not None else None
    for rates in (base, over):
        if rates is not None:
            out.update({k: getattr(rates, k) for k in rates.model_fields_set})
    return out


def _rates(model: CostModel | None, hub_id: str, vt: VehicleType) -> _Rates:
    if model is None:
        return _Rates(
            vt.fixed_rmb_per_run, vt.fixed_rmb_per_day, vt.rmb_per_km, vt.rmb_per_hour,
            vt.rmb_per_100m_ascent, 1.0, 1.0,
        )  # fmt: skip
    hub = model.hubs.get(hub_id)
    v = _vehicle_rates(model, hub_id, vt.name)
    driver = next(
        x
        for x in (
            v["driver_rmb_per_hour"],
            hub.driver_rmb_per_hour if hub else None,
            model.driver_rmb_per_hour,
            vt.rmb_per_hour,
        )
        if x is not None
    )
    classes = (hub.road_class_factor if hub and hub.road_class_factor else None) or (
        model.road_class_factor
    )
    unknown = hub.unknown_road_factor if hub and hub.unknown_road_factor else None
    factors = [1.0, *classes.values(), unknown or model.unknown_road_factor]

    def pick(key: str, fleet: float) -> float:
        value = v[key]
        return fleet if value is None else value

    return _Rates(
        pick("fixed_rmb_per_run", vt.fixed_rmb_per_run),
        pick("fixed_rmb_per_day", vt.fixed_rmb_per_day),
        pick("energy_rmb_per_km", vt.rmb_per_km),
        driver + (v["vehicle_rmb_per_hour"] or 0.0),
        pick("energy_rmb_per_100m_ascent", vt.rmb_per_100m_ascent),
        min(factors),
        max(factors),
    )


def check_run_cost(
    day: Day,
    run: Run,
    vt: VehicleType,
    first: bool,
    model: CostModel | None,
    where: str,
    *,
    gap_s: int = 0,
) -> int:
    """Each part of the run's vehicle cost from the rates; return the vehicle part, fen.

    ``gap_s``: paid time at the hub before this run (since the vehicle's previous run).
    """
    rates = _rates(model, run.hub_id, vt)
    fixed = rates.per_run + (rates.per_day if first else 0.0)
    hours = (run.duration + gap_s) / 3600
    km = run.distance / 1000
    climb = rates.per_100m_ascent * (run.ascent_m or 0) / 100
    expected = {
        "fixed_cost_rmb": (fixed, fixed),
        "time_cost_rmb": (rates.per_hour * hours, rates.per_hour * hours),
        "distance_cost_rmb": (
            rates.per_km * km * rates.factor_lo,
            rates.per_km * km * rates.factor_hi,
        ),
        "climb_cost_rmb": (climb, climb),
    }
    for name, (lo, hi) in expected.items():
        stated = getattr(run, name)
        if not _fen(lo) - 1 <= _fen(stated) <= _fen(hi) + 1:
            span = f"{lo:.2f}" if lo == hi else f"{lo:.2f}-{hi:.2f}"
            day.bad("cost", where, f"{name} {stated:.2f}, the rates give {span}")
    vehicle_fen = _fen(
        run.fixed_cost_rmb + run.distance_cost_rmb + run.time_cost_rmb + run.climb_cost_rmb
    )
    shares: dict[str, int] = defaultdict(int)
    for s in run.stops:
        shares[""] += _fen(s.cost_rmb)
        for method, amount in s.cost_shares.items():
            shares[method] += _fen(amount)
    for method, total in shares.items():
        if run.stops and total != _fen(run.cost_rmb):
            label = method or "cost_rmb"
            day.bad(
                "cost",
                where,
                f"stop shares ({label}) add to {total / 100:.2f}, run costs {run.cost_rmb:.2f}",
            )
    return vehicle_fen


def check_totals(
    day: Day, plan: Plan, vehicle_fen: dict[int, int], model: CostModel | None
) -> None:
    """Handling and overheads per hub; the runs add up to the summary's total."""
    extra: dict[str, int] = defaultdict(int)
    handled: dict[str, int] = defaultdict(int)
    runs_at: dict[str, int] = defaultdict(int)
    for i, r in enumerate(plan.runs):
        extra[r.hub_id] += _fen(r.cost_rmb) - vehicle_fen.get(i, _fen(r.cost_rmb))
        handled[r.hub_id] += sum(s.parcels + s.delivery_parcels for s in r.stops)
        runs_at[r.hub_id] += 1
    for hub_id, fen in sorted(extra.items()):
        want = 0
        if model is not None and handled[hub_id]:
            hub = model.hubs.get(hub_id)
            rate = (
                hub.handling_rmb_per_parcel
                if hub and hub.handling_rmb_per_parcel is not None
                else None
            )
            overhead = (
                hub.overhead_rmb_per_day if hub and hub.overhead_rmb_per_day is not None else None
            )
            rate = model.handling_rmb_per_parcel if rate is None else rate
            overhead = model.overhead_rmb_per_day if overhead is None else overhead
            want = _fen(rate * handled[hub_id]) + _fen(overhead)
        if abs(fen - want) > _SLACK_FEN * runs_at[hub_id]:
            day.bad(
                "cost",
                f"hub {hub_id}",
                f"runs charge {fen / 100:.2f} beyond their vehicles; handling and "
                f"overheads come to {want / 100:.2f}",
            )
    total = sum(_fen(r.cost_rmb) for r in plan.runs)
    if total != _fen(plan.summary.total_cost_rmb):
        day.bad(
            "cost",
            "summary",
            f"total {plan.summary.total_cost_rmb:.2f}, the runs add to {total / 100:.2f}",
        )
