"""The direct baseline: every pickup fetched by its own runs from the hub and back."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from routing.baselines.common import (
    BaselineResult,
    BaselineRun,
    Factors,
    allowed,
    baseline_result,
    durations,
    run_fen,
    where,
)
from routing.costs import CostModel, RunRates, fleet_cost_model
from routing.matrix import TravelMatrix
from routing.model import PickupPoint, Problem, VehicleType
from routing.network import RoadNetwork
from routing.units import UNREACHABLE

if TYPE_CHECKING:
    from routing.road_cost import RoadCosting


@dataclass(frozen=True)
class _Option:
    """Fetching one pickup by direct runs of one vehicle type."""

    fen: int
    runs: int
    vt: VehicleType
    metres: int
    seconds: int


def direct_baseline(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    pickups: Sequence[PickupPoint],
    *,
    cost_model: CostModel | None = None,
    network: RoadNetwork | None = None,
    max_snap_m: float = 2000.0,
    costing: RoadCosting | None = None,
) -> BaselineResult:
    """Each pickup by its own direct run(s) with the cheapest vehicle type that fits.

    Parameters
    ----------
    problem
        The problem (hubs and fleet).
    matrices
        Travel matrices per road profile over hub ids then pickup ids.
    pickups
        The pickups to fetch (usually those the plan collects).
    cost_model
        Rates; None: the fleet's own.
    network
        For road-class factors; see :func:`routing.costs.apply_cost_model`.
    max_snap_m
        As for planning.
    costing
        Charged metres for ``cost_model`` over ``matrices`` (faster than ``network``).
    """
    model = cost_model or fleet_cost_model()
    factors = _RoundTrips(problem, pickups, Factors(problem, model, network, max_snap_m, costing))
    rates_of = {
        vt.name: model.for_hub(problem.hub_of(vt).id).rates_for(vt) for vt in problem.vehicle_types
    }
    per_pickup: dict[str, int] = {}
    runs: list[BaselineRun] = []
    unserved: list[str] = []
    for p in pickups:
        options = [
            option
            for vt in problem.vehicle_types
            if allowed(vt, p)
            and (option := _option(problem, matrices, p, vt, rates_of[vt.name], factors))
            is not None
        ]
        if not options:
            unserved.append(p.id)
            continue
        # The first of the cheapest, fewest runs breaking a tie.
        best = min(options, key=lambda o: (o.fen, o.runs))
        per_pickup[p.id] = best.fen
        runs.append(
            BaselineRun(
                vehicle=f"direct-{p.id}",
                vehicle_type=best.vt.name,
                run=best.runs,
                pickup_ids=(p.id,),
                start_s=0,
                end_s=best.seconds,
                distance_m=best.runs * best.metres,
                cost_fen=best.fen,
            )
        )
    return baseline_result(
        "direct",
        problem,
        model,
        pickups,
        runs=runs,
        run_fen_by_pickup=per_pickup,
        unserved=unserved,
    )


class _RoundTrips:
    """Road factor of the way from a vehicle type's hub to a pickup and back."""

    def __init__(self, problem: Problem, pickups: Sequence[PickupPoint], factors: Factors) -> None:
        self.factors = factors
        self.by_type: dict[str, dict[str, float]] | None = None
        costing = factors.costing
        if costing is not None:  # every pickup per vehicle type, looked up at once
            ids = [p.id for p in pickups]
            self.by_type = {
                vt.name: dict(
                    zip(
                        ids,
                        costing.round_trip_factors(ids, vt.profile, problem.hub_of(vt).id).tolist(),
                        strict=True,
                    )
                )
                for vt in problem.vehicle_types
            }

    def factor(self, vt: VehicleType, hub_id: str, pickup_id: str) -> float:
        if self.by_type is not None:
            return self.by_type[vt.name][pickup_id]
        (factor,) = self.factors.factors([[hub_id, pickup_id, hub_id]], vt, hub_id)
        return factor


def _runs_needed(p: PickupPoint, vt: VehicleType) -> int:
    """Direct runs the vehicle type needs for the pickup's produce and deliveries."""
    return max(
        1,
        math.ceil(p.parcels / vt.capacity_parcels),
        math.ceil(p.weight_kg / vt.capacity_kg - 1e-9),
        math.ceil(p.delivery_parcels / vt.capacity_parcels),
        math.ceil(p.delivery_weight_kg / vt.capacity_kg - 1e-9),
    )


def _option(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    p: PickupPoint,
    vt: VehicleType,
    rates: RunRates,
    round_trips: _RoundTrips,
) -> _Option | None:
    """Cost of fetching ``p`` by direct runs of ``vt``; None if it cannot reach it."""
    hub = problem.hub_of(vt)
    m = matrices[vt.profile]
    h, j = where(m, hub.id), where(m, p.id)
    dur = durations(m, vt)
    out_s, back_s = int(dur[h, j]), int(dur[j, h])
    if out_s >= UNREACHABLE or back_s >= UNREACHABLE:
        return None
    n_runs = _runs_needed(p, vt)
    metres = int(m.distance_m[h, j]) + int(m.distance_m[j, h])
    # Loading time is the pickup's, once; each extra run adds the fixed stop time.
    seconds = (
        out_s + back_s + p.service_s + (n_runs - 1) * (out_s + back_s + round(60 * p.service_min))
    )
    factor = round_trips.factor(vt, hub.id, p.id)
    # Each run pays its fixed cost and its share of the vehicle's day.
    fixed = rates.fixed_rmb_per_run + rates.fixed_rmb_per_day / vt.max_runs_per_day
    fen = run_fen(
        rates, fixed_rmb=n_runs * fixed, distance_m=n_runs * metres * factor, duration_s=seconds
    )
    return _Option(fen=fen, runs=n_runs, vt=vt, metres=metres, seconds=seconds)


__all__ = ["direct_baseline"]
