"""The plan's baselines and each village's saving against its direct runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from routing.baselines.common import BaselineResult, base_id
from routing.baselines.direct import direct_baseline
from routing.baselines.greedy import nearest_neighbour_baseline
from routing.costs import CostModel, to_fen
from routing.matrix import TravelMatrix
from routing.model import PickupPoint, Plan, Problem, VillageCost
from routing.network import RoadNetwork

if TYPE_CHECKING:
    from routing.road_cost import RoadCosting


def _served(plan: Plan, problem: Problem) -> list[PickupPoint]:
    by_id = {p.id: p for p in problem.pickups}
    out: list[PickupPoint] = []
    for r in plan.runs:
        for s in r.stops:
            p = by_id.get(s.pickup_id) or by_id.get(base_id(s.pickup_id))
            if p is None:
                continue
            if p.id != s.pickup_id:  # a part of a split pickup: its own size
                p = p.model_copy(
                    update={
                        "id": s.pickup_id,
                        "parcels": s.parcels,
                        "weight_kg": s.weight_kg,
                        "delivery_parcels": s.delivery_parcels,
                        "delivery_weight_kg": s.delivery_weight_kg,
                    }
                )
            out.append(p)
    return out


def add_baselines(
    plan: Plan,
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    *,
    cost_model: CostModel | None = None,
    network: RoadNetwork | None = None,
    max_snap_m: float = 2000.0,
    costing: RoadCosting | None = None,
) -> Plan:
    """Fill the plan's baselines and each village's direct baseline and saving.

    Parameters
    ----------
    plan
        A costed plan (after :func:`routing.costs.apply_cost_model` if a cost model
        is used: pass the same ``cost_model`` and ``network`` here).
    problem
        The problem the plan answers.
    matrices
        The travel matrices the plan was made with (hub ids then pickup ids).
    cost_model, network, max_snap_m, costing
        As for :func:`routing.costs.apply_cost_model`.

    Returns
    -------
    Plan
        With ``baselines`` = ``{"direct": {...}, "nearest_neighbour": {...},
        "saving_per_parcel_rmb": {"direct": x, "nearest_neighbour": y}}``, each
        baseline giving ``total_cost_rmb``, ``cost_per_parcel_rmb``, ``runs``,
        ``distance_km`` and ``unserved``; and each village's
        ``baseline_direct_per_parcel_rmb`` and ``saving_per_parcel_rmb`` (direct
        minus the plan, RMB per parcel; positive is a saving).
    """
    pickups = _served(plan, problem)
    kw = {
        "cost_model": cost_model,
        "network": network,
        "max_snap_m": max_snap_m,
        "costing": costing,
    }
    direct = direct_baseline(problem, matrices, pickups, **kw)  # type: ignore[arg-type]
    greedy = nearest_neighbour_baseline(problem, matrices, pickups, **kw)  # type: ignore[arg-type]
    plan_fen = sum(to_fen(r.cost_rmb) for r in plan.runs)
    handled = sum(r.parcels + r.delivery_parcels for r in plan.runs)
    own = plan_fen / 100 / handled if handled else None
    baselines: dict[str, object] = {}
    saving: dict[str, float] = {}
    for b in (direct, greedy):
        per = b.cost_per_parcel_rmb
        baselines[b.name] = {
            "total_cost_rmb": b.total_fen / 100,
            "cost_per_parcel_rmb": round(per, 2) if per is not None else None,
            "parcels": b.parcels,
            "runs": len(b.runs) if b.name != "direct" else sum(r.run for r in b.runs),
            "vehicles": len({r.vehicle for r in b.runs}) if b.name != "direct" else None,
            "distance_km": round(sum(r.distance_m for r in b.runs) / 1000, 1),
            "unserved": list(b.unserved),
        }
        if per is not None and own is not None:
            saving[b.name] = round(per - own, 2)
    baselines["saving_per_parcel_rmb"] = saving
    villages = _village_savings(plan, pickups, direct)
    return plan.model_copy(update={"baselines": baselines, "villages": villages})


def _village_savings(
    plan: Plan, pickups: Sequence[PickupPoint], direct: BaselineResult
) -> tuple[VillageCost, ...]:
    """Each village's direct-run cost per parcel and the plan's saving against it."""
    village_of = {p.id: p.village for p in pickups}
    direct_fen: dict[str, int] = defaultdict(int)
    for pid, fen in direct.cost_fen_by_pickup.items():
        direct_fen[village_of[pid]] += fen
    villages: list[VillageCost] = []
    for v in plan.villages:
        if v.village in direct_fen and v.parcels > 0:
            base = direct_fen[v.village] / 100 / v.parcels
            mine = v.cost_rmb / v.parcels
            villages.append(
                v.model_copy(
                    update={
                        "baseline_direct_per_parcel_rmb": round(base, 2),
                        "saving_per_parcel_rmb": round(base - mine, 2),
                    }
                )
            )
        else:
            villages.append(v)
    return tuple(villages)


__all__ = ["add_baselines"]
