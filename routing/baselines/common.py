"""What the baselines share: their runs and result, road factors, rates and overheads."""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from routing.costs import CostModel, RunRates, leg_values, run_cost_rmb, split_fen, to_fen
from routing.matrix import TravelMatrix
from routing.model import PickupPoint, Problem, VehicleType
from routing.network import RoadNetwork
from routing.paths import snap_points
from routing.road_cost import scaled_durations

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


def base_id(pickup_id: str) -> str:
    """The pickup a part of a split pickup belongs to."""
    # split_oversize names the parts of a pickup 'ID#k'.
    return pickup_id.split("#", 1)[0]


def where(m: TravelMatrix, location_id: str) -> int:
    """Row of a location in ``m``; a part of a split pickup falls back to its pickup."""
    rows = _ROWS.get(m)
    if rows is None:
        rows = _ROWS[m] = {i: k for k, i in enumerate(m.ids)}
    if location_id in rows:
        return rows[location_id]
    return rows[base_id(location_id)]


_ROWS: weakref.WeakKeyDictionary[TravelMatrix, dict[str, int]] = weakref.WeakKeyDictionary()


def durations(m: TravelMatrix, vt: VehicleType) -> np.ndarray:
    """Seconds between the locations of ``m`` at the vehicle type's speed."""
    return scaled_durations(m, vt.speed_factor)


def allowed(vt: VehicleType, p: PickupPoint) -> bool:
    """Whether the pickup lets this vehicle type come."""
    return p.allowed_vehicle_types is None or vt.name in p.allowed_vehicle_types


class Factors:
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
        return self.node[base_id(location_id)]

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


def run_fen(rates: RunRates, *, fixed_rmb: float, distance_m: float, duration_s: float) -> int:
    """A run's cost in fen by the plan's own run formula (``distance_m`` already factored)."""
    f_rmb, d_rmb, t_rmb = run_cost_rmb(
        distance_m=distance_m,
        duration_s=duration_s,
        fixed_rmb=fixed_rmb,
        rmb_per_km=rates.rmb_per_km,
        rmb_per_hour=rates.rmb_per_hour,
    )
    return to_fen(f_rmb + d_rmb + t_rmb)


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


def baseline_result(
    name: str,
    problem: Problem,
    model: CostModel,
    pickups: Sequence[PickupPoint],
    *,
    runs: Sequence[BaselineRun],
    run_fen_by_pickup: Mapping[str, int],
    unserved: Sequence[str],
) -> BaselineResult:
    """The baseline's result: run costs per pickup plus handling and overheads."""
    served = [p for p in pickups if p.id in run_fen_by_pickup]
    extra = _handling_and_overhead(problem, model, served)
    per_pickup = {k: v + extra.get(k, 0) for k, v in run_fen_by_pickup.items()}
    return BaselineResult(
        name=name,
        runs=tuple(runs),
        cost_fen_by_pickup=per_pickup,
        total_fen=sum(per_pickup.values()),
        parcels=sum(p.parcels + p.delivery_parcels for p in served),
        unserved=tuple(unserved),
    )


__all__ = [
    "BaselineResult",
    "BaselineRun",
    "Factors",
    "allowed",
    "base_id",
    "baseline_result",
    "durations",
    "run_fen",
    "where",
]
