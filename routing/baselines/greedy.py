"""The nearest-neighbour baseline: a dispatcher's greedy runs with the plan's fleet."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

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
from routing.costs import CostModel, RunRates, fleet_cost_model, split_fen
from routing.matrix import TravelMatrix
from routing.model import Hub, PickupPoint, Problem, VehicleType
from routing.network import RoadNetwork
from routing.units import UNREACHABLE

if TYPE_CHECKING:
    from routing.road_cost import RoadCosting


@dataclass
class _Route:
    ids: list[int] = field(default_factory=list)
    peak_p: int = 0
    peak_g: float = 0.0
    load_p: int = 0
    load_g: float = 0.0


class _Demand:
    """The pickups' sizes and windows as arrays, one entry per pickup."""

    def __init__(self, pickups: Sequence[PickupPoint]) -> None:
        self.pickups = pickups
        self.parcels = np.array([p.parcels for p in pickups], dtype=np.int64)
        self.grams = np.array([p.weight_kg for p in pickups], dtype=np.float64)
        self.d_parcels = np.array([p.delivery_parcels for p in pickups], dtype=np.int64)
        self.d_grams = np.array([p.delivery_weight_kg for p in pickups], dtype=np.float64)
        self.ready = np.array([p.ready_s for p in pickups], dtype=np.int64)
        self.close = np.array([p.close_s for p in pickups], dtype=np.int64)
        self.service = np.array([p.service_s for p in pickups], dtype=np.int64)


class _Fleet:
    """One vehicle type as the greedy rule sees it: its hub, roads, rates and reach."""

    def __init__(
        self,
        problem: Problem,
        m: TravelMatrix,
        vt: VehicleType,
        model: CostModel,
        pickups: Sequence[PickupPoint],
    ) -> None:
        self.vt = vt
        self.m = m
        self.hub: Hub = problem.hub_of(vt)
        self.hub_node = where(m, self.hub.id)
        self.nodes = [where(m, p.id) for p in pickups]
        self.node_arr = np.array(self.nodes, dtype=np.int64)
        self.dur = durations(m, vt)
        self.allowed = np.array([allowed(vt, p) for p in pickups], dtype=bool)
        self.back = (
            self.dur[self.node_arr, self.hub_node] if pickups else np.zeros(0, dtype=np.int64)
        )
        self.latest_back = min(vt.shift_end_s, self.hub.close_s)
        self.rates: RunRates = model.for_hub(self.hub.id).rates_for(vt)


def nearest_neighbour_baseline(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    pickups: Sequence[PickupPoint],
    *,
    cost_model: CostModel | None = None,
    network: RoadNetwork | None = None,
    max_snap_m: float = 2000.0,
    costing: RoadCosting | None = None,
) -> BaselineResult:
    """Greedy nearest-neighbour runs with the problem's fleet; see :mod:`routing.baselines`.

    Parameters are as for :func:`~routing.baselines.direct_baseline`. Pickups the greedy
    rule cannot fit anywhere are listed in ``unserved`` and left out of the cost per parcel.
    """
    model = cost_model or fleet_cost_model()
    factors = Factors(problem, model, network, max_snap_m, costing)
    demand = _Demand(pickups)
    remaining = np.ones(len(pickups), dtype=bool)
    runs: list[BaselineRun] = []
    per_pickup: dict[str, int] = {}
    for vt in problem.vehicle_types:
        fleet = _Fleet(problem, matrices[vt.profile], vt, model, pickups)
        count = vt.count if vt.count is not None else len(pickups)
        for v in range(count):
            if not remaining.any():
                break
            t = max(vt.shift_start_s, fleet.hub.open_s)
            used = False
            for k in range(vt.max_runs_per_day):
                route = _fill_run(fleet, demand, remaining, t)
                if not route.ids:
                    break
                used = True
                run = _price_run(fleet, demand, factors, route, t, vehicle=v, k=k)
                runs.append(run)
                # Run cost to its pickups by parcels (for a per-village view if wanted).
                handled = [pickups[j].parcels + pickups[j].delivery_parcels for j in route.ids]
                ids = list(run.pickup_ids)
                for pid, share in zip(ids, split_fen(run.cost_fen, handled, ids), strict=True):
                    per_pickup[pid] = share
                t = run.end_s + round(vt.reload_min * 60)
            if not used:
                break
    return baseline_result(
        "nearest_neighbour",
        problem,
        model,
        pickups,
        runs=runs,
        run_fen_by_pickup=per_pickup,
        unserved=[pickups[int(j)].id for j in np.flatnonzero(remaining)],
    )


def _fill_run(fleet: _Fleet, demand: _Demand, remaining: np.ndarray, t: int) -> _Route:
    """From the hub at ``t``, take the nearest pickup that still fits until none does.

    The pickups taken are marked off in ``remaining``.
    """
    vt, dur, node_arr = fleet.vt, fleet.dur, fleet.node_arr
    route = _Route()
    here, clock = fleet.hub_node, t
    while True:
        arrive = clock + dur[here, node_arr]
        begin = np.maximum(arrive, demand.ready)
        ok = (
            remaining
            & fleet.allowed
            & (dur[here, node_arr] < UNREACHABLE)
            & (begin <= demand.close)
            & (begin + demand.service + fleet.back <= fleet.latest_back)
            & (route.peak_p + demand.d_parcels <= vt.capacity_parcels)
            & (route.load_p + demand.parcels <= vt.capacity_parcels)
            & (route.peak_g + demand.d_grams <= vt.capacity_kg + 1e-9)
            & (route.load_g + demand.grams <= vt.capacity_kg + 1e-9)
        )
        if not ok.any():
            return route
        cand = np.flatnonzero(ok)
        j = int(cand[np.lexsort((cand, dur[here, node_arr[cand]]))[0]])
        remaining[j] = False
        route.ids.append(j)
        parcels, grams = int(demand.parcels[j]), float(demand.grams[j])
        route.peak_p = max(route.peak_p + int(demand.d_parcels[j]), route.load_p + parcels)
        route.peak_g = max(route.peak_g + float(demand.d_grams[j]), route.load_g + grams)
        route.load_p += parcels
        route.load_g += grams
        clock = int(begin[j] + demand.service[j])
        here = fleet.nodes[j]


def _schedule(
    start: int,
    route: Sequence[int],
    pickups: Sequence[PickupPoint],
    nodes: Sequence[int],
    hub_node: int,
    dur: np.ndarray,
) -> tuple[int, list[int], list[int]]:
    """Earliest schedule; returns end, waiting and start of service at each stop."""
    t = start
    here = hub_node
    begins: list[int] = []
    waits: list[int] = []
    for j in route:
        arrival = t + int(dur[here, nodes[j]])
        begin = max(arrival, pickups[j].ready_s)
        waits.append(begin - arrival)
        begins.append(begin)
        t = begin + pickups[j].service_s
        here = nodes[j]
    return t + int(dur[here, hub_node]), waits, begins


def _latest_start(fleet: _Fleet, demand: _Demand, route: _Route, t: int) -> tuple[int, int]:
    """Start and end of the run leaving as late as the windows allow, back no later."""
    pickups, nodes, hub_node, dur = demand.pickups, fleet.nodes, fleet.hub_node, fleet.dur
    _, waits, begins = _schedule(t, route.ids, pickups, nodes, hub_node, dur)
    cum = np.cumsum(waits)
    room = min(
        int(demand.close[j]) - begin + int(w)
        for j, begin, w in zip(route.ids, begins, cum, strict=True)
    )
    start = t + max(0, min(int(cum[-1]), room))
    end, _, _ = _schedule(start, route.ids, pickups, nodes, hub_node, dur)
    return start, end


def _price_run(
    fleet: _Fleet,
    demand: _Demand,
    factors: Factors,
    route: _Route,
    t: int,
    *,
    vehicle: int,
    k: int,
) -> BaselineRun:
    """Run ``k`` (0-based) of vehicle ``vehicle`` (0-based), scheduled and costed."""
    vt, m, hub_node, nodes = fleet.vt, fleet.m, fleet.hub_node, fleet.nodes
    start, end = _latest_start(fleet, demand, route, t)
    seq = [hub_node, *[nodes[j] for j in route.ids], hub_node]
    metres = int(sum(int(m.distance_m[a, b]) for a, b in itertools.pairwise(seq)))
    ids = [demand.pickups[j].id for j in route.ids]
    (factor,) = factors.factors([[fleet.hub.id, *ids, fleet.hub.id]], vt, fleet.hub.id)
    rates = fleet.rates
    # The vehicle's day cost is paid by its first run.
    fixed = rates.fixed_rmb_per_run + (rates.fixed_rmb_per_day if k == 0 else 0.0)
    return BaselineRun(
        vehicle=f"{vt.name}-{vehicle + 1}",
        vehicle_type=vt.name,
        run=k + 1,
        pickup_ids=tuple(ids),
        start_s=start,
        end_s=end,
        distance_m=metres,
        cost_fen=run_fen(
            rates, fixed_rmb=fixed, distance_m=metres * factor, duration_s=end - start
        ),
    )


__all__ = ["nearest_neighbour_baseline"]
