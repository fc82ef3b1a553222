"""Figures the report shows beside the plan: colours, formatting, savings, village costs."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routing.model import Plan, Run, VillageCost
from routing.report.geometry import LonLat

#: Colours of runs, cycled by run index; shared by the HTML map and the PNG. Greens and
#: reds are left out because pickups use them for cost per parcel.
RUN_COLOURS: tuple[str, ...] = (
    "#1f77b4",
    "#9467bd",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#393b79",
    "#bcbd22",
    "#7b4173",
    "#3182bd",
    "#ff7f0e",
)
#: Cost-per-parcel classes from cheap to dear (ColorBrewer RdYlGn, reversed).
COST_COLOURS: tuple[str, ...] = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
_NO_COST_COLOUR = "#bcccdc"


# --------------------------------------------------------------------------- formatting


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rmb(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _num(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _run_key(run: Run) -> str:
    return f'data-vehicle="{_e(run.vehicle)}" data-run="{run.run}"'


def _per_parcel(cost: float, parcels: int) -> float | None:
    return cost / parcels if parcels > 0 else None


def _run_per_parcel(run: Run) -> float | None:
    """A run's RMB per parcel handled (collected plus dropped), as the summary counts."""
    return _per_parcel(run.cost_rmb, run.parcels + run.delivery_parcels)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class _Saving:
    name: str
    baseline_per_parcel_rmb: float
    saving_per_parcel_rmb: float


def _savings(plan: Plan) -> list[_Saving]:
    """Compare with each baseline in ``plan.baselines`` that states a cost per parcel.

    A baseline is a mapping with ``cost_per_parcel_rmb`` or ``total_cost_rmb`` (as the
    plan's summary), or a bare number: RMB per parcel when its name says ``per_parcel``,
    else a total in RMB.
    """
    own = plan.summary.cost_per_parcel_rmb
    parcels = plan.summary.parcels
    if own is None or parcels <= 0:
        return []
    found: list[_Saving] = []
    for name, value in plan.baselines.items():
        per: float | None = None
        if isinstance(value, Mapping):
            if isinstance(value.get("cost_per_parcel_rmb"), int | float):
                per = float(value["cost_per_parcel_rmb"])
            elif isinstance(value.get("total_cost_rmb"), int | float):
                per = float(value["total_cost_rmb"]) / parcels
        elif isinstance(value, int | float) and not isinstance(value, bool):
            per = float(value) if "per_parcel" in name else float(value) / parcels
        if per is not None:
            found.append(_Saving(str(name), per, per - own))
    return found


def _village_saving(villages: Sequence[VillageCost]) -> float | None:
    """Parcel-weighted mean saving per parcel over villages that state one."""
    num = den = 0.0
    for v in villages:
        if v.saving_per_parcel_rmb is not None and v.parcels > 0:
            num += v.saving_per_parcel_rmb * v.parcels
            den += v.parcels
    return num / den if den else None


def _villages(plan: Plan) -> tuple[VillageCost, ...]:
    """The plan's per-village costs, or the same figures grouped from its stops."""
    if plan.villages:
        return plan.villages
    pickups: dict[str, set[str]] = defaultdict(set)
    parcels: dict[str, int] = defaultdict(int)
    cost: dict[str, float] = defaultdict(float)
    for run in plan.runs:
        for s in run.stops:
            pickups[s.village].add(s.pickup_id)
            parcels[s.village] += s.parcels
            cost[s.village] += s.cost_rmb
    return tuple(
        VillageCost(
            village=v,
            pickups=len(pickups[v]),
            parcels=parcels[v],
            cost_rmb=cost[v],
            cost_per_parcel_rmb=_per_parcel(cost[v], parcels[v]),
        )
        for v in pickups
    )


def _cost_bins(values: Sequence[float]) -> list[float]:
    """Upper edges of up to five quantile classes of RMB per parcel."""
    if not values:
        return []
    edges = np.quantile(np.asarray(values, dtype=float), [0.2, 0.4, 0.6, 0.8]).tolist()
    uniq: list[float] = []
    for e in edges:
        if not uniq or e > uniq[-1] + 1e-9:
            uniq.append(float(e))
    return uniq


def _cost_class(value: float | None, edges: Sequence[float]) -> str:
    if value is None:
        return "cn"
    i = int(np.searchsorted(np.asarray(edges), value, side="left")) if edges else 0
    # Spread fewer classes over the whole palette so cheap stays green and dear red.
    n = len(edges) + 1
    return f"c{round(i * 4 / (n - 1)) if n > 1 else 0}"


def _initial_load(run: Run) -> int:
    """Parcels on board when the run leaves the hub (parcels to drop in villages)."""
    if not run.stops:
        return run.delivery_parcels
    s = run.stops[0]
    return s.load_parcels - s.parcels + s.delivery_parcels


def _hubs(plan: Plan, hub: LonLat | None) -> dict[str, LonLat]:
    """Hub positions by id: the plan's hubs, else ``hub``, else where run paths start."""
    found: dict[str, LonLat] = {h.id: h.location for h in plan.hubs}
    if hub is not None:
        for run in plan.runs:
            found.setdefault(run.hub_id, hub)
        if not found:
            found["hub"] = hub
    for run in plan.runs:
        if run.path:
            found.setdefault(run.hub_id, run.path[0])
    return found
