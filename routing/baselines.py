"""What collection would cost without the optimiser: two baselines a planner knows.

``direct``
    Every village pickup is fetched by its own run from the hub and straight back:
    the cheapest vehicle type that may go there and fits the produce, as many direct
    runs as its capacity needs. Each run pays its fixed cost per run plus the
    vehicle's day cost spread over the runs it can make in a day
    (``fixed_rmb_per_day / max_runs_per_day``), plus km and hours out and back.
    This is how a village seller ships without a collection service.
``nearest_neighbour``
    A dispatcher's rule of thumb with the same fleet: each vehicle in fleet order
    leaves the hub, drives to the nearest (fastest to reach) pickup not yet collected
    that still fits its capacity, the pickup's window and its shift, and repeats;
    when nothing fits it returns, unloads and starts its next run if it may. Runs
    leave as late as their windows allow, as the plan's runs do.

Both are priced with the same rates as the plan (the fleet's, or a
:class:`~routing.costs.CostModel` with its road factors, handling and overheads) over
the same pickups the plan collects, so the saving per parcel compares like with like.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from routing.costs import CostModel, fleet_cost_model, leg_values, split_fen, to_fen
from routing.matrix import TravelMatrix
from routing.model import PickupPoint, Plan, Problem, VehicleType, VillageCost
from routing.network import RoadNetwork
from routing.paths import snap_points
from routing.road_cost import scaled_durations
from routing.units import UNREACHABLE

if TYPE_CHECKING:
    from routing.road_cost import RoadCosting


@dataclass(frozen=True)
class BaselineRun:
    """One run of a baseline plan."""

    vehicle: str
    vehicle_type: str
    run: int
    pickup_ids: tuple[str, ...]
    start_s: int
    end_s: int
    distance_m: int
    cost_fen: int


@dataclass(frozen=True)
class BaselineResult:
    """A baseline's runs and cost (RMB in fen, rounded once per run)."""

    name: str
    runs: tuple[BaselineRun, ...]
    cost_fen_by_pickup: Mapping[str, int]
    total_fen: int
    parcels: int
    unserved: tuple[str, ...] = ()

    @property
    def cost_per_parcel_rmb(self) -> float | None:
        """RMB per parcel handled."""
        return self.total_fen / 100 / self.parcels if self.parcels else None


def _base_id(pickup_id: str) -> str:
    # split_oversize names the parts of a pickup 'ID#k'.
    return pickup_id.split("#", 1)[0]


def _where(m: TravelMatrix, location_id: str) -> int:
    """Row of a location in ``m``; a part of a split pickup falls back to its pickup."""
    rows = _ROWS.get(m)
    if rows is None:
        rows = _ROWS[m] = {i: k for k, i in enumerate(m.ids)}
    if location_id in rows:
        return rows[location_id]
    return rows[_base_id(location_id)]


_ROWS: weakref.WeakKeyDictionary[TravelMatrix, dict[str, int]] = weakref.WeakKeyDictionary()


def _durations(m: TravelMatrix, vt: VehicleType) -> np.ndarray:
    return scaled_durations(m, vt.speed_factor)


class _Factors:
    """Mountain-road factor of a sequence of legs (road classes when a network is given)."""

    def __init__(
        self,
        problem: Problem,
        model: CostModel,
        network: RoadNetwork | None,
        max_snap_m: float,
        costing: RoadCosting | None = None,
    ) -> None:
        self.model = model
        self.network = network
        self.costing = costing
        self.node: dict[str, int] = {}
        if network is not None and costing is None:
            pts = [(h.id, h.lon, h.lat) for h in problem.hubs] + [
                (p.id, p.lon, p.lat) for p in problem.pickups
            ]
            snapped = snap_points(network, pts, max_snap_m=max_snap_m, kind="location")
            self.node = dict(zip([p[0] for p in pts], snapped.nodes, strict=True))

    def _node(self, location_id: str) -> int:
        if location_id in self.node:
            return self.node[location_id]
        return self.node[_base_id(location_id)]

    def factors(
        self, sequences: Sequence[Sequence[str]], vt: VehicleType, hub_id: str
    ) -> list[float]:
        if self.costing is not None:
            return self.costing.sequence_factors(sequences, vt.profile, hub_id)
        model = self.model.for_hub(hub_id)
        if self.network is None:
            return [model.unknown_road_factor] * len(sequences)
        pairs: list[tuple[int, int]] = []
        owner: list[int] = []
        for i, seq in enumerate(sequences):
            for a, b in itertools.pairwise(seq):
                pairs.append((self._node(a), self._node(b)))
                owner.append(i)
        vals = leg_values(self.network, pairs, avoid_road_classes=vt.avoid_road_classes)
        per = np.zeros((len(sequences), vals.shape[1] - 2))
        np.add.at(per, np.array(owner, dtype=np.int64), vals[:, 2:])
        f = model.class_factors()
        out = []
        for row in per:
            total = float(row.sum())
            out.append(float(row @ f) / total if total > 0 else model.unknown_road_factor)
        return out


def _served(plan: Plan, problem: Problem) -> list[PickupPoint]:
    by_id = {p.id: p for p in problem.pickups}
    out: list[PickupPoint] = []
    for r in plan.runs:
        for s in r.stops:
            p = by_id.get(s.pickup_id) or by_id.get(_base_id(s.pickup_id))
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


def _allowed(vt: VehicleType, p: PickupPoint) -> bool:
    return p.allowed_vehicle_types is None or vt.name in p.allowed_vehicle_types


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
    factors = _Factors(problem, model, network, max_snap_m, costing)
    # Out-and-back factors of every pickup per vehicle type, looked up at once.
    round_trip = (
        {
            vt.name: dict(
                zip(
                    [p.id for p in pickups],
                    costing.round_trip_factors(
                        [p.id for p in pickups], vt.profile, problem.hub_of(vt).id
                    ).tolist(),
                    strict=True,
                )
            )
            for vt in problem.vehicle_types
        }
        if costing is not None
        else None
    )
    rates_of = {
        vt.name: model.for_hub(problem.hub_of(vt).id).rates_for(vt) for vt in problem.vehicle_types
    }
    per_pickup: dict[str, int] = {}
    runs: list[BaselineRun] = []
    unserved: list[str] = []
    for p in pickups:
        best: tuple[int, int, VehicleType, int, int] | None = None
        for vt in problem.vehicle_types:
            if not _allowed(vt, p):
                continue
            hub = problem.hub_of(vt)
            m = matrices[vt.profile]
            h, j = _where(m, hub.id), _where(m, p.id)
            dur = _durations(m, vt)
            out_s, back_s = int(dur[h, j]), int(dur[j, h])
            if out_s >= UNREACHABLE or back_s >= UNREACHABLE:
                continue
            n_runs = max(
                1,
                math.ceil(p.parcels / vt.capacity_parcels),
                math.ceil(p.weight_kg / vt.capacity_kg - 1e-9),
                math.ceil(p.delivery_parcels / vt.capacity_parcels),
                math.ceil(p.delivery_weight_kg / vt.capacity_kg - 1e-9),
            )
            metres = int(m.distance_m[h, j]) + int(m.distance_m[j, h])
            # Loading time is the pickup's, once; each extra run adds the fixed stop time.
            seconds = (
                out_s
                + back_s
                + p.service_s
                + (n_runs - 1) * (out_s + back_s + round(60 * p.service_min))
            )
            if round_trip is not None:
                factor = round_trip[vt.name][p.id]
            else:
                (factor,) = factors.factors([[hub.id, p.id, hub.id]], vt, hub.id)
            rates = rates_of[vt.name]
            fixed = rates.fixed_rmb_per_run + rates.fixed_rmb_per_day / vt.max_runs_per_day
            fen = to_fen(
                n_runs * fixed
                + rates.rmb_per_km * n_runs * metres * factor / 1000
                + rates.rmb_per_hour * seconds / 3600
            )
            if best is None or (fen, n_runs) < (best[0], best[1]):
                best = (fen, n_runs, vt, metres, seconds)
        if best is None:
            unserved.append(p.id)
            continue
        fen, n_runs, vt, metres, seconds = best
        per_pickup[p.id] = fen
        runs.append(
            BaselineRun(
                vehicle=f"direct-{p.id}",
                vehicle_type=vt.name,
                run=n_runs,
                pickup_ids=(p.id,),
                start_s=0,
                end_s=seconds,
                distance_m=n_runs * metres,
                cost_fen=fen,
            )
        )
    served = [p for p in pickups if p.id in per_pickup]
    extra = _handling_and_overhead(problem, model, served)
    per_pickup = {k: v + extra.get(k, 0) for k, v in per_pickup.items()}
    return BaselineResult(
        name="direct",
        runs=tuple(runs),
        cost_fen_by_pickup=per_pickup,
        total_fen=sum(per_pickup.values()),
        parcels=sum(p.parcels + p.delivery_parcels for p in served),
        unserved=tuple(unserved),
    )


def _handling_and_overhead(
    problem: Problem, model: CostModel, served: Sequence[PickupPoint]
) -> dict[str, int]:
    """Fen per pickup for handling and overheads, as the plan is charged."""
    out: dict[str, int] = {}
    by_hub: dict[str, list[PickupPoint]] = defaultdict(list)
    # Pickups are charged at the first hub (single-hub baselines).
    for p in served:
        by_hub[problem.hubs[0].id].append(p)
    for hub_id, ps in by_hub.items():
        hm = model.for_hub(hub_id)
        handled = [p.parcels + p.delivery_parcels for p in ps]
        keys = [p.id for p in ps]
        total = sum(handled)
        handling = split_fen(to_fen(hm.handling_rmb_per_parcel * total), handled, keys)
        overhead = split_fen(to_fen(hm.overhead_rmb_per_day), handled, keys)
        for k, h, o in zip(keys, handling, overhead, strict=True):
            out[k] = h + o if total else 0
    return out


@dataclass
class _Route:
    ids: list[int]
    peak_p: int = 0
    peak_g: float = 0.0
    load_p: int = 0
    load_g: float = 0.0


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
    """Greedy nearest-neighbour runs with the problem's fleet; see the module docstring.

    Parameters are as for :func:`direct_baseline`. Pickups the greedy rule cannot fit
    anywhere are listed in ``unserved`` and left out of the cost per parcel.
    """
    model = cost_model or fleet_cost_model()
    factors = _Factors(problem, model, network, max_snap_m, costing)
    n = len(pickups)
    remaining = np.ones(n, dtype=bool)
    runs: list[BaselineRun] = []
    per_pickup: dict[str, int] = {}
    parcels = np.array([p.parcels for p in pickups], dtype=np.int64)
    grams = np.array([p.weight_kg for p in pickups], dtype=np.float64)
    d_parcels = np.array([p.delivery_parcels for p in pickups], dtype=np.int64)
    d_grams = np.array([p.delivery_weight_kg for p in pickups], dtype=np.float64)
    ready = np.array([p.ready_s for p in pickups], dtype=np.int64)
    close = np.array([p.close_s for p in pickups], dtype=np.int64)
    service = np.array([p.service_s for p in pickups], dtype=np.int64)
    for vt in problem.vehicle_types:
        hub = problem.hub_of(vt)
        m = matrices[vt.profile]
        hub_node = _where(m, hub.id)
        nodes = [_where(m, p.id) for p in pickups]
        node_arr = np.array(nodes, dtype=np.int64)
        dur = _durations(m, vt)
        allowed = np.array([_allowed(vt, p) for p in pickups], dtype=bool)
        back = dur[node_arr, hub_node] if n else np.zeros(0, dtype=np.int64)
        latest_back = min(vt.shift_end_s, hub.close_s)
        rates = model.for_hub(hub.id).rates_for(vt)
        count = vt.count if vt.count is not None else n
        for v in range(count):
            if not remaining.any():
                break
            t = max(vt.shift_start_s, hub.open_s)
            used = False
            for k in range(vt.max_runs_per_day):
                route = _Route(ids=[])
                here, clock = hub_node, t
                while True:
                    arrive = clock + dur[here, node_arr]
                    begin = np.maximum(arrive, ready)
                    ok = (
                        remaining
                        & allowed
                        & (dur[here, node_arr] < UNREACHABLE)
                        & (begin <= close)
                        & (begin + service + back <= latest_back)
                        & (route.peak_p + d_parcels <= vt.capacity_parcels)
                        & (route.load_p + parcels <= vt.capacity_parcels)
                        & (route.peak_g + d_grams <= vt.capacity_kg + 1e-9)
                        & (route.load_g + grams <= vt.capacity_kg + 1e-9)
                    )
                    if not ok.any():
                        break
                    cand = np.flatnonzero(ok)
                    j = int(cand[np.lexsort((cand, dur[here, node_arr[cand]]))[0]])
                    remaining[j] = False
                    route.ids.append(j)
                    route.peak_p = max(
                        route.peak_p + int(d_parcels[j]), route.load_p + int(parcels[j])
                    )
                    route.peak_g = max(
                        route.peak_g + float(d_grams[j]), route.load_g + float(grams[j])
                    )
                    route.load_p += int(parcels[j])
                    route.load_g += float(grams[j])
                    clock = int(begin[j] + service[j])
                    here = nodes[j]
                if not route.ids:
                    break
                used = True
                # Leave as late as the windows allow without returning later.
                _, waits, begins = _schedule(t, route.ids, pickups, nodes, hub_node, dur)
                cum = np.cumsum(waits)
                room = min(
                    int(close[j]) - begin + int(w)
                    for j, begin, w in zip(route.ids, begins, cum, strict=True)
                )
                start = t + max(0, min(int(cum[-1]), room))
                end, _, _ = _schedule(start, route.ids, pickups, nodes, hub_node, dur)
                seq = [hub_node, *[nodes[j] for j in route.ids], hub_node]
                metres = int(sum(int(m.distance_m[a, b]) for a, b in itertools.pairwise(seq)))
                ids = [pickups[j].id for j in route.ids]
                (factor,) = factors.factors([[hub.id, *ids, hub.id]], vt, hub.id)
                fixed = rates.fixed_rmb_per_run + (rates.fixed_rmb_per_day if k == 0 else 0.0)
                fen = to_fen(
                    fixed
                    + rates.rmb_per_km * metres * factor / 1000
                    + rates.rmb_per_hour * (end - start) / 3600
                )
                runs.append(
                    BaselineRun(
                        vehicle=f"{vt.name}-{v + 1}",
                        vehicle_type=vt.name,
                        run=k + 1,
                        pickup_ids=tuple(ids),
                        start_s=start,
                        end_s=end,
                        distance_m=metres,
                        cost_fen=fen,
                    )
                )
                # Run cost to its pickups by parcels (for a per-village view if wanted).
                handled = [pickups[j].parcels + pickups[j].delivery_parcels for j in route.ids]
                for pid, share in zip(ids, split_fen(fen, handled, ids), strict=True):
                    per_pickup[pid] = share
                t = end + round(vt.reload_min * 60)
            if not used:
                break
    served = [p for p in pickups if p.id in per_pickup]
    extra = _handling_and_overhead(problem, model, served)
    per_pickup = {k: v + extra.get(k, 0) for k, v in per_pickup.items()}
    return BaselineResult(
        name="nearest_neighbour",
        runs=tuple(runs),
        cost_fen_by_pickup=per_pickup,
        total_fen=sum(per_pickup.values()),
        parcels=sum(p.parcels + p.delivery_parcels for p in served),
        unserved=tuple(pickups[int(j)].id for j in np.flatnonzero(remaining)),
    )


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


__all__ = [
    "BaselineResult",
    "BaselineRun",
    "add_baselines",
    "direct_baseline",
    "nearest_neighbour_baseline",
]
