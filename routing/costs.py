"""What a run costs, and how that cost is shared among its stops and parcels.

Money is carried in whole fen (RMB 0.01) from the moment a run's cost is known, so
the shares of a run add up to its cost exactly; rounding to fen happens once per run
(and once per hub for handling and overheads), never per share.

The cost model
--------------
:class:`CostModel` (read from a TOML file with :func:`read_cost_model`; see
``fixtures/costs/xinping.toml``) prices a run as::

    fixed per run (+ fixed per day on the vehicle's first run)
    + energy RMB/km x sum over road classes of (km on that class x class factor)
    + (driver + vehicle) RMB/hour x hours from leaving the hub to returning

and adds, per parcel handled, the hub's handling rate, and spreads the hub's daily
overheads over the day's parcels. Mountain-road factors (village 1.3, track 1.5 by
default) apply to the km actually driven on those classes: with a road network,
:func:`apply_cost_model` follows each leg's fastest path (the path the travel matrix
measured) and sums its metres per class; without one, every km is charged at
``unknown_road_factor`` (1.0 unless the file says otherwise).

Allocation methods (``method=``)
--------------------------------
``proportional``
    Each stop pays in proportion to the parcels it hands over or receives. Simple and
    easy to explain, but a remote village pays the same per parcel as one beside the
    hub: the villages on the main road subsidise the remote ones.
``standalone``
    Each stop pays in proportion to its *stand-alone cost* (a run from the hub to that
    stop alone and back, fixed cost excluded) times the square root of its share of the
    run's parcels. A remote village pays more per parcel than one on the main road at
    equal size; a bigger stop pays more in total but less per parcel (the trip to the
    village is shared by all of its parcels). Cheap to compute from the matrix.
``shapley``
    The Shapley value of the run's cost game: the cost of serving a set of stops is the
    cost of the tour through just those stops, visited in the run's order (their
    loading time included). Each stop pays its average marginal cost over all orders in
    which the stops could have "joined" the run: a village on the way to another pays
    little, a remote spur pays for its spur in full and shares the road it has in
    common with others.
    Exact for up to :data:`SHAPLEY_EXACT_MAX` stops; above that the average of
    :data:`SHAPLEY_SAMPLES` random join orders, seeded from the stop ids (so the
    answer does not depend on the order the stops are listed in). The run's fixed cost
    buys capacity, so it is added by parcels rather than split equally.

Every method gives zero to a stop that handles no parcels (unless no stop on the run
handles any, when the run's cost is shared equally), and every method's shares add up
to the run's cost in fen exactly.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from routing.allocation import (
    ALLOCATION_METHODS as ALLOCATION_METHODS,
)
from routing.allocation import (
    SHAPLEY_EXACT_MAX as SHAPLEY_EXACT_MAX,
)
from routing.allocation import (
    SHAPLEY_SAMPLES as SHAPLEY_SAMPLES,
)
from routing.allocation import (
    StopDemand as StopDemand,
)
from routing.allocation import (
    allocate_run_fen as allocate_run_fen,
)
from routing.allocation import (
    allocation_weights as allocation_weights,
)
from routing.allocation import (
    run_cost_rmb as run_cost_rmb,
)
from routing.allocation import (
    shapley_rmb as shapley_rmb,
)
from routing.allocation import (
    split_fen as split_fen,
)
from routing.allocation import (
    to_fen as to_fen,
)
from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.model import Plan, Run, Stop, VehicleType, VillageCost
from routing.network import ROAD_CLASSES, RoadNetwork
from routing.paths import snap_points
from routing.road_classes import (
    _EDGE_CLASS as _EDGE_CLASS,
)
from routing.road_classes import (
    edge_road_class as edge_road_class,
)
from routing.road_classes import (
    leg_values as leg_values,
)
from routing.road_classes import (
    tree_sums as tree_sums,
)

if TYPE_CHECKING:
    from routing.matrix import TravelMatrix
    from routing.road_cost import RoadCosting

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


#: Mountain-road factors used when a cost file gives none: km on village roads cost
#: 30 % more fuel and wear than on a county road, on tracks 50 % more.
DEFAULT_ROAD_CLASS_FACTOR: Final[Mapping[str, float]] = {"village": 1.3, "track": 1.5}


# --------------------------------------------------------------------------- cost model


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VehicleRates(_Frozen):
    """Rates for one vehicle type. A field left out keeps the fleet file's value."""

    fixed_rmb_per_run: float | None = Field(None, ge=0, description="Per run (trip).")
    fixed_rmb_per_day: float | None = Field(
        None, ge=0, description="Hire, insurance: charged on the vehicle's first run."
    )
    energy_rmb_per_km: float | None = Field(
        None, ge=0, description="Fuel or electricity and wear per km on a county road."
    )
    vehicle_rmb_per_hour: float = Field(0.0, ge=0, description="Time-based vehicle cost.")
    energy_rmb_per_100m_ascent: float | None = Field(
        None, ge=0, description="Fuel for each 100 m climbed; overrides the fleet's rate."
    )
    driver_rmb_per_hour: float | None = Field(
        None, ge=0, description="Driver (crew) wage; overrides the hub's rate."
    )


class HubCostOverrides(_Frozen):
    """Per-hub changes to the cost model's defaults (``[hubs.<hub id>]``)."""

    driver_rmb_per_hour: float | None = Field(None, ge=0)
    handling_rmb_per_parcel: float | None = Field(None, ge=0)
    overhead_rmb_per_day: float | None = Field(None, ge=0)
    road_class_factor: dict[str, float] | None = None
    unknown_road_factor: float | None = Field(None, ge=1)
    vehicles: dict[str, VehicleRates] = Field(default_factory=dict)


class CostModel(_Frozen):
    """How a hub prices its runs and parcels. Every amount is RMB.

    Read it with :func:`read_cost_model`; ``fixtures/costs/xinping.toml`` documents
    each key. Vehicle types not listed under ``vehicles`` keep the fleet's own rates.
    """

    name: str = "cost model"
    driver_rmb_per_hour: float | None = Field(
        None,
        ge=0,
        description="Driver wage per hour. None: the fleet's rmb_per_hour (which then "
        "stands for driver and vehicle time together).",
    )
    handling_rmb_per_parcel: float = Field(0.0, ge=0, description="Unload, sort, re-pack.")
    overhead_rmb_per_day: float = Field(
        0.0, ge=0, description="Hub overheads (dispatch, rent) spread over the day's parcels."
    )
    road_class_factor: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ROAD_CLASS_FACTOR),
        description="Energy-cost multiplier per road class; classes not listed: 1.0.",
    )
    unknown_road_factor: float = Field(
        1.0, ge=1, description="Factor on every km when the road classes are not known."
    )
    vehicles: dict[str, VehicleRates] = Field(default_factory=dict)
    hubs: dict[str, HubCostOverrides] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _classes(self) -> Self:
        bad = [
            c
            for table in [self.road_class_factor]
            + [h.road_class_factor or {} for h in self.hubs.values()]
            for c, f in table.items()
            if c not in ROAD_CLASSES or not (math.isfinite(f) and f > 0)
        ]
        if bad:
            raise ValueError(
                f"road_class_factor: bad entries {sorted(set(bad))}; use classes from "
                f"{list(ROAD_CLASSES)} with positive factors"
            )
        return self

    def for_hub(self, hub_id: str | None) -> CostModel:
        """This model with hub ``hub_id``'s overrides applied (and no ``hubs``)."""
        over = self.hubs.get(hub_id or "")
        base = self.model_copy(update={"hubs": {}})
        if over is None:
            return base
        update: dict[str, Any] = {
            k: v
            for k, v in over.model_dump(exclude={"vehicles"}).items()
            if v is not None and k in CostModel.model_fields
        }
        vehicles = dict(self.vehicles)
        for name, rates in over.vehicles.items():
            merged = vehicles[name].model_dump() if name in vehicles else {}
            merged.update(rates.model_dump(exclude_unset=True))
            vehicles[name] = VehicleRates.model_validate(merged)
        update["vehicles"] = vehicles
        return base.model_copy(update=update)

    def rates_for(self, vt: VehicleType) -> RunRates:
        """The resolved rates of a vehicle type under this (hub's) model."""
        r = self.vehicles.get(vt.name, VehicleRates())
        driver = (
            r.driver_rmb_per_hour
            if r.driver_rmb_per_hour is not None
            else self.driver_rmb_per_hour
            if self.driver_rmb_per_hour is not None
            else vt.rmb_per_hour
        )
        return RunRates(
            fixed_rmb_per_run=vt.fixed_rmb_per_run
            if r.fixed_rmb_per_run is None
            else r.fixed_rmb_per_run,
            fixed_rmb_per_day=vt.fixed_rmb_per_day
            if r.fixed_rmb_per_day is None
            else r.fixed_rmb_per_day,
            rmb_per_km=vt.rmb_per_km if r.energy_rmb_per_km is None else r.energy_rmb_per_km,
            rmb_per_hour=driver + r.vehicle_rmb_per_hour,
            rmb_per_100m_ascent=vt.rmb_per_100m_ascent
            if r.energy_rmb_per_100m_ascent is None
            else r.energy_rmb_per_100m_ascent,
        )

    def class_factors(self) -> FloatArray:
        """Factor per class of :data:`routing.network.ROAD_CLASSES`, in that order."""
        return np.array([self.road_class_factor.get(c, 1.0) for c in ROAD_CLASSES])


@dataclass(frozen=True)
class RunRates:
    """A vehicle type's resolved rates, RMB."""

    fixed_rmb_per_run: float
    fixed_rmb_per_day: float
    rmb_per_km: float
    rmb_per_hour: float
    rmb_per_100m_ascent: float = 0.0

    @classmethod
    def of(cls, vt: VehicleType) -> RunRates:
        """The fleet file's own rates."""
        return cls(
            vt.fixed_rmb_per_run,
            vt.fixed_rmb_per_day,
            vt.rmb_per_km,
            vt.rmb_per_hour,
            vt.rmb_per_100m_ascent,
        )


def fleet_cost_model() -> CostModel:
    """The cost model that reproduces the fleet file's rates (no road factors)."""
    return CostModel(name="fleet rates", road_class_factor={})


def read_cost_model(path: str | Path) -> CostModel:
    """Read a cost-model TOML file (see ``fixtures/costs/xinping.toml``).

    Raises
    ------
    InputError
        If the file is missing, not TOML, or any key is unknown or out of range; every
        problem is listed with its key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([InputProblem(str(path), "", "file not found; check the path")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(path.name, "", f"not valid TOML: {exc}")]) from None
    data.setdefault("name", path.stem)
    try:
        return CostModel.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                InputProblem(
                    path.name,
                    ".".join(str(x) for x in err["loc"]),
                    str(err["msg"]).removeprefix("Value error, "),
                )
                for err in exc.errors()
            ]
        ) from None


def run_road_factors(
    plan: Plan, network: RoadNetwork, cost_model: CostModel, *, max_snap_m: float = 2000.0
) -> list[float]:
    """Mountain-road factor of each run: its km-weighted mean class factor.

    Each leg's fastest path (the one the travel matrix measured) is followed and its
    metres summed per road class; the factor is ``sum(metres_c x factor_c) / metres``.
    """
    hubs = {h.id: h for h in plan.hubs}
    types = {v.name: v for v in plan.vehicle_types}
    points = [(h.id, h.lon, h.lat) for h in plan.hubs]
    stop_ids: list[str] = []
    for r in plan.runs:
        for s in r.stops:
            stop_ids.append(s.pickup_id)
            points.append((s.pickup_id, s.lon, s.lat))
    if not points:
        return []
    nodes = snap_points(network, points, max_snap_m=max_snap_m, kind="stop").nodes
    node_of = dict(zip([p[0] for p in points], nodes, strict=True))
    by_profile: dict[tuple[str, ...], list[tuple[int, int, int]]] = defaultdict(list)
    for i, r in enumerate(plan.runs):
        if r.hub_id not in hubs or r.vehicle_type not in types:
            continue
        seq = [node_of[r.hub_id], *[node_of[s.pickup_id] for s in r.stops], node_of[r.hub_id]]
        avoid = tuple(types[r.vehicle_type].avoid_road_classes)
        by_profile[avoid].extend((i, a, b) for a, b in itertools.pairwise(seq))
    per_run = np.zeros((len(plan.runs), len(ROAD_CLASSES)), dtype=np.float64)
    for avoid, legs in by_profile.items():
        vals = leg_values(network, [(a, b) for _, a, b in legs], avoid_road_classes=avoid)
        np.add.at(per_run, np.array([i for i, _, _ in legs], dtype=np.int64), vals[:, 2:])
    out: list[float] = []
    for i, r in enumerate(plan.runs):
        m = cost_model.for_hub(r.hub_id)
        total = float(per_run[i].sum())
        out.append(
            float(per_run[i] @ m.class_factors()) / total if total > 0 else m.unknown_road_factor
        )
    return out


# --------------------------------------------------------------------------- re-costing


def _leg_matrix(
    plan: Plan,
    network: RoadNetwork | None,
    matrices: Mapping[str, TravelMatrix] | None,
    max_snap_m: float,
) -> dict[str, TravelMatrix]:
    """One travel matrix per road profile over the plan's hub ids and stop ids."""
    from routing.matrix import (
        RoadMatrixProvider,
        StraightLineMatrixProvider,
    )

    if matrices is not None:
        return dict(matrices)
    ids = [h.id for h in plan.hubs] + [s.pickup_id for r in plan.runs for s in r.stops]
    lonlats = [h.location for h in plan.hubs] + [s.location for r in plan.runs for s in r.stops]
    provider: RoadMatrixProvider | StraightLineMatrixProvider = (
        RoadMatrixProvider(network, max_snap_m=max_snap_m)
        if network is not None
        else StraightLineMatrixProvider()
    )
    out: dict[str, TravelMatrix] = {}
    for vt in plan.vehicle_types:
        if vt.profile not in out:
            out[vt.profile] = provider.matrix(
                ids, lonlats, avoid_road_classes=vt.avoid_road_classes
            )
    return out


def _methods(plan: Plan, allocation: Sequence[str] | None) -> tuple[str, ...]:
    if allocation:
        methods = tuple(dict.fromkeys(allocation))
    else:
        shown = next((tuple(s.cost_shares) for r in plan.runs for s in r.stops), ())
        methods = tuple(dict.fromkeys([plan.allocation_method, *shown]))
    for m in methods:
        if m not in ALLOCATION_METHODS:
            raise InputError(
                [InputProblem("allocation", "method", f"unknown {m!r}; use {ALLOCATION_METHODS}")]
            )
    return methods


def apply_cost_model(
    plan: Plan,
    cost_model: CostModel | None = None,
    *,
    network: RoadNetwork | None = None,
    matrices: Mapping[str, TravelMatrix] | None = None,
    allocation: Sequence[str] | None = None,
    max_snap_m: float = 2000.0,
    costing: RoadCosting | None = None,
) -> Plan:
    """Re-cost a plan: run costs, stop shares, village table and summary.

    The runs' schedule, km and hours stay as planned; only money changes. Each run's
    vehicle cost is rounded to fen once; handling and overheads are rounded once per
    hub and spread over the parcels in fen; so each stop's ``cost_rmb`` adds up to
    its run's ``cost_rmb``, the runs to the summary's total, and the villages to the
    same total, exactly. ``Run.cost_rmb`` includes the handling and overhead of the
    parcels it carries; ``fixed_cost_rmb + distance_cost_rmb + time_cost_rmb`` is the
    vehicle part.

    Parameters
    ----------
    plan
        The plan (its ``vehicle_types`` and ``hubs`` must be filled, as
        :func:`routing.plan.assemble_plan` does).
    cost_model
        Rates; None re-costs with the fleet's own rates (useful to add an allocation
        method to a finished plan).
    network
        With it, mountain-road factors follow each leg's roads and allocation legs are
        road paths; without it every km uses ``unknown_road_factor`` and allocation
        legs come from ``matrices`` or, failing that, a straight-line estimate.
    matrices
        Travel matrices per road profile whose ids include the plan's hub and stop ids
        (the ones the plan was made with); saves recomputing them.
    allocation
        Methods to compute; the first fills each stop's ``cost_rmb``. Default: the
        plan's ``allocation_method`` and the methods already in ``cost_shares``.
    max_snap_m
        As for planning.
    costing
        The same cost model's charged metres over ``matrices``
        (:func:`routing.road_cost.road_costing`): each run's road factor is then looked
        up leg by leg instead of following its roads again (same paths, same sums).

    Returns
    -------
    Plan
        A new plan (the input is not changed), with ``baselines`` cleared and the
        village baseline columns empty: add baselines after re-costing.
    """
    model = cost_model or fleet_cost_model()
    methods = _methods(plan, allocation)
    primary = methods[0]
    types = {v.name: v for v in plan.vehicle_types}
    missing = sorted({r.vehicle_type for r in plan.runs} - set(types))
    if missing:
        raise InputError(
            [InputProblem("plan", "vehicle_types", f"missing vehicle types {missing}")]
        )
    if costing is not None:
        factors = [
            costing.sequence_factors(
                [[r.hub_id, *[s.pickup_id for s in r.stops], r.hub_id]],
                types[r.vehicle_type].profile,
                r.hub_id,
            )[0]
            for r in plan.runs
        ]
    elif network is not None and plan.runs:
        factors = run_road_factors(plan, network, model, max_snap_m=max_snap_m)
    else:
        factors = [model.for_hub(r.hub_id).unknown_road_factor for r in plan.runs]
    need_legs = any(m in ("standalone", "shapley") for m in methods)
    mats = _leg_matrix(plan, network, matrices, max_snap_m) if need_legs and plan.runs else {}
    first_run: dict[str, int] = {}
    for r in plan.runs:
        first_run[r.vehicle] = min(first_run.get(r.vehicle, r.run), r.run)
    paid_s = _paid_seconds(plan.runs)

    hub_models = {h: model.for_hub(h) for h in {r.hub_id for r in plan.runs}}
    rows_of: dict[str, dict[str, int]] = {}
    vehicle_fen: list[int] = []
    shares: list[dict[str, list[int]]] = []
    parts: list[tuple[float, float, float]] = []
    climb_rmb: list[float] = []  # energy for the ascent, with elevation data
    for i, (r, factor) in enumerate(zip(plan.runs, factors, strict=True)):
        vt = types[r.vehicle_type]
        rates = hub_models[r.hub_id].rates_for(vt)
        fixed = rates.fixed_rmb_per_run + (
            rates.fixed_rmb_per_day if r.run == first_run[r.vehicle] else 0.0
        )
        f_rmb, d_rmb, t_rmb = run_cost_rmb(
            distance_m=r.distance * factor,
            duration_s=paid_s[i],
            fixed_rmb=fixed,
            rmb_per_km=rates.rmb_per_km,
            rmb_per_hour=rates.rmb_per_hour,
        )
        climb_rmb.append(rates.rmb_per_100m_ascent * (r.ascent_m or 0) / 100)
        run_fen = to_fen(f_rmb + d_rmb + t_rmb + climb_rmb[-1])
        vehicle_fen.append(run_fen)
        parts.append((f_rmb, d_rmb, t_rmb))
        demand = [
            StopDemand(
                key=s.pickup_id,
                parcels=s.parcels + s.delivery_parcels,
                position=k + 1,
                service_rmb=rates.rmb_per_hour * s.service / 3600,
            )
            for k, s in enumerate(r.stops)
        ]
        legs = None
        if need_legs and r.stops:
            m = mats[vt.profile]
            where = rows_of.setdefault(vt.profile, {i: k for k, i in enumerate(m.ids)})
            ix = [where[r.hub_id], *[where[s.pickup_id] for s in r.stops]]
            sel = np.ix_(ix, ix)
            legs = (
                rates.rmb_per_km * factor * m.distance_m[sel] / 1000.0
                + rates.rmb_per_hour * (m.duration_s[sel] / vt.speed_factor) / 3600.0
            ).astype(np.float64)
        shares.append(
            {
                name: allocate_run_fen(run_fen, demand, method=name, leg_rmb=legs, fixed_rmb=fixed)
                for name in methods
            }
        )

    # Handling and overheads: per hub, rounded once, spread over parcels handled.
    extra_fen: list[list[int]] = [[0] * len(r.stops) for r in plan.runs]
    for hub_id in sorted({r.hub_id for r in plan.runs}):
        hm = model.for_hub(hub_id)
        slots = [
            (i, k)
            for i, r in enumerate(plan.runs)
            if r.hub_id == hub_id
            for k in range(len(r.stops))
        ]
        handled = [
            plan.runs[i].stops[k].parcels + plan.runs[i].stops[k].delivery_parcels for i, k in slots
        ]
        keys = [plan.runs[i].stops[k].pickup_id for i, k in slots]
        total_parcels = sum(handled)
        handling = split_fen(to_fen(hm.handling_rmb_per_parcel * total_parcels), handled, keys)
        overhead = split_fen(to_fen(hm.overhead_rmb_per_day), handled, keys)
        if total_parcels == 0:
            handling = [0] * len(slots)
        for (i, k), h, o in zip(slots, handling, overhead, strict=True):
            extra_fen[i][k] = h + o

    runs: list[Run] = []
    for i, r in enumerate(plan.runs):
        stops: list[Stop] = []
        for k, s in enumerate(r.stops):
            fen = shares[i][primary][k] + extra_fen[i][k]
            n_handled = s.parcels + s.delivery_parcels
            stops.append(
                s.model_copy(
                    update={
                        "cost_rmb": fen / 100,
                        "cost_per_parcel_rmb": (
                            round(fen / 100 / n_handled, 2) if n_handled else None
                        ),
                        "cost_shares": {
                            name: (shares[i][name][k] + extra_fen[i][k]) / 100 for name in methods
                        },
                    }
                )
            )
        run_fen = vehicle_fen[i] + sum(extra_fen[i])
        f_rmb, d_rmb, t_rmb = parts[i]
        runs.append(
            r.model_copy(
                update={
                    "stops": tuple(stops),
                    "cost_rmb": run_fen / 100,
                    "fixed_cost_rmb": round(f_rmb, 2),
                    "distance_cost_rmb": round(d_rmb, 2),
                    "time_cost_rmb": round(t_rmb, 2),
                    "climb_cost_rmb": round(climb_rmb[i], 2),
                }
            )
        )
    return replace_runs(plan, runs, allocation_method=primary)


def _paid_seconds(runs: Sequence[Run]) -> list[int]:
    """Hours the driver is paid for on each run: leaving to returning, and for a later
    run of the same vehicle also the reload and wait at the hub since the last one.

    The engines charge a vehicle's whole day from first departure to last return, so
    the plan charges the same.
    """
    by_vehicle: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(runs):
        by_vehicle[r.vehicle].append(i)
    out = [r.duration for r in runs]
    for idx in by_vehicle.values():
        idx.sort(key=lambda i: runs[i].run)
        for a, b in itertools.pairwise(idx):
            out[b] += max(0, runs[b].start - runs[a].end)
    return out


def village_table(plan: Plan, runs: Sequence[Run]) -> tuple[VillageCost, ...]:
    """Per-village pickups, parcels handled, RMB and RMB per parcel, from the stops.

    Townships are kept from the plan's existing table.
    """
    township = {v.village: v.township for v in plan.villages}
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in runs:
        for s in r.stops:
            row = rows[s.village]
            row[0] += 1
            row[1] += s.parcels + s.delivery_parcels
            row[2] += to_fen(s.cost_rmb)
    return tuple(
        VillageCost(
            village=v,
            township=township.get(v, ""),
            pickups=row[0],
            parcels=row[1],
            cost_rmb=row[2] / 100,
            cost_per_parcel_rmb=round(row[2] / 100 / row[1], 2) if row[1] else None,
        )
        for v, row in sorted(rows.items())
    )


def replace_runs(plan: Plan, runs: Sequence[Run], *, allocation_method: str) -> Plan:
    """The plan with new run costs: summary totals and village table recomputed."""
    total_fen = sum(to_fen(r.cost_rmb) for r in runs)
    handled = sum(r.parcels + r.delivery_parcels for r in runs)
    summary = plan.summary.model_copy(
        update={
            "total_cost_rmb": total_fen / 100,
            "cost_per_parcel_rmb": round(total_fen / 100 / handled, 2) if handled else None,
        }
    )
    return plan.model_copy(
        update={
            "runs": tuple(runs),
            "summary": summary,
            "villages": village_table(plan, runs),
            "baselines": {},
            "allocation_method": allocation_method,
        }
    )
