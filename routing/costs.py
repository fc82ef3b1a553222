"""What a run costs, and how that cost is shared among its stops and parcels.

Money is carried in whole fen (RMB 0.01) from the moment a run's cost is known, so
the shares of a run add up to its cost exactly; rounding to fen happens once per run
(and once per hub for handling and overheads), never per share.

The cost model
--------------
:class:`~routing.cost_model.CostModel` (read from a TOML file with
:func:`~routing.cost_model.read_cost_model`; see ``fixtures/costs/xinping.toml``)
prices a run as::

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
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

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
from routing.cost_model import (
    DEFAULT_ROAD_CLASS_FACTOR as DEFAULT_ROAD_CLASS_FACTOR,
)
from routing.cost_model import (
    CostModel as CostModel,
)
from routing.cost_model import (
    HubCostOverrides as HubCostOverrides,
)
from routing.cost_model import (
    RunRates as RunRates,
)
from routing.cost_model import (
    VehicleRates as VehicleRates,
)
from routing.cost_model import (
    fleet_cost_model as fleet_cost_model,
)
from routing.cost_model import (
    read_cost_model as read_cost_model,
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
    types = _vehicle_types(plan)
    factors = _road_factors(plan, model, types, network, max_snap_m, costing)
    need_legs = any(m in ("standalone", "shapley") for m in methods)
    mats = _leg_matrix(plan, network, matrices, max_snap_m) if need_legs and plan.runs else None
    money = _price_runs(plan, model, types, factors, methods, mats)
    extra_fen = _hub_extra_fen(plan, model)
    runs = [
        _costed_run(r, m, extra, methods)
        for r, m, extra in zip(plan.runs, money, extra_fen, strict=True)
    ]
    return replace_runs(plan, runs, allocation_method=methods[0])


def _vehicle_types(plan: Plan) -> dict[str, VehicleType]:
    """The plan's vehicle types by name; every run's type must be among them."""
    types = {v.name: v for v in plan.vehicle_types}
    missing = sorted({r.vehicle_type for r in plan.runs} - set(types))
    if missing:
        raise InputError(
            [InputProblem("plan", "vehicle_types", f"missing vehicle types {missing}")]
        )
    return types


def _road_factors(
    plan: Plan,
    model: CostModel,
    types: Mapping[str, VehicleType],
    network: RoadNetwork | None,
    max_snap_m: float,
    costing: RoadCosting | None,
) -> list[float]:
    """Each run's mountain-road factor: from the charged metres, the roads, or neither."""
    if costing is not None:
        return [
            costing.sequence_factors(
                [[r.hub_id, *[s.pickup_id for s in r.stops], r.hub_id]],
                types[r.vehicle_type].profile,
                r.hub_id,
            )[0]
            for r in plan.runs
        ]
    if network is not None and plan.runs:
        return run_road_factors(plan, network, model, max_snap_m=max_snap_m)
    return [model.for_hub(r.hub_id).unknown_road_factor for r in plan.runs]


@dataclass(frozen=True)
class _RunMoney:
    """A run's vehicle cost: in fen, its parts in RMB, and each method's stop shares."""

    fen: int
    fixed_rmb: float
    distance_rmb: float
    time_rmb: float
    climb_rmb: float  # energy for the ascent, with elevation data
    shares: dict[str, list[int]]


def _price_runs(
    plan: Plan,
    model: CostModel,
    types: Mapping[str, VehicleType],
    factors: Sequence[float],
    methods: Sequence[str],
    mats: Mapping[str, TravelMatrix] | None,
) -> list[_RunMoney]:
    """Each run's vehicle cost, rounded to fen once, and its shares by each method.

    ``mats`` (one travel matrix per profile) is needed only by the methods that price
    legs (``standalone``, ``shapley``); None when none of ``methods`` does.
    """
    first_run: dict[str, int] = {}
    for r in plan.runs:
        first_run[r.vehicle] = min(first_run.get(r.vehicle, r.run), r.run)
    paid_s = _paid_seconds(plan.runs)
    hub_models = {h: model.for_hub(h) for h in {r.hub_id for r in plan.runs}}
    rows_of: dict[str, dict[str, int]] = {}
    out: list[_RunMoney] = []
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
        climb_rmb = rates.rmb_per_100m_ascent * (r.ascent_m or 0) / 100
        run_fen = to_fen(f_rmb + d_rmb + t_rmb + climb_rmb)
        legs = None
        if mats is not None and r.stops:
            m = mats[vt.profile]
            where = rows_of.setdefault(vt.profile, {pid: row for row, pid in enumerate(m.ids)})
            legs = _leg_rmb(r, vt, rates, factor, m, where)
        demand = _stop_demand(r, rates)
        shares = {
            name: allocate_run_fen(run_fen, demand, method=name, leg_rmb=legs, fixed_rmb=fixed)
            for name in methods
        }
        out.append(_RunMoney(run_fen, f_rmb, d_rmb, t_rmb, climb_rmb, shares))
    return out


def _stop_demand(run: Run, rates: RunRates) -> list[StopDemand]:
    """What each stop of a run asks of it: parcels handled, place, and loading time."""
    return [
        StopDemand(
            key=s.pickup_id,
            parcels=s.parcels + s.delivery_parcels,
            position=k + 1,
            service_rmb=rates.rmb_per_hour * s.service / 3600,
        )
        for k, s in enumerate(run.stops)
    ]


def _leg_rmb(
    run: Run,
    vt: VehicleType,
    rates: RunRates,
    factor: float,
    matrix: TravelMatrix,
    row_of: Mapping[str, int],
) -> FloatArray:
    """RMB to drive between each pair of the run's hub and stops (index 0: the hub)."""
    ix = [row_of[run.hub_id], *[row_of[s.pickup_id] for s in run.stops]]
    sel = np.ix_(ix, ix)
    return (
        rates.rmb_per_km * factor * matrix.distance_m[sel] / 1000.0
        + rates.rmb_per_hour * (matrix.duration_s[sel] / vt.speed_factor) / 3600.0
    ).astype(np.float64)


def _hub_extra_fen(plan: Plan, model: CostModel) -> list[list[int]]:
    """Handling and overheads per stop: per hub, rounded once, spread over parcels handled."""
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
    return extra_fen


def _costed_run(
    run: Run, money: _RunMoney, extra_fen: Sequence[int], methods: Sequence[str]
) -> Run:
    """The run with its costs and its stops' shares (the first method's as ``cost_rmb``)."""
    stops: list[Stop] = []
    for k, s in enumerate(run.stops):
        fen = money.shares[methods[0]][k] + extra_fen[k]
        n_handled = s.parcels + s.delivery_parcels
        stops.append(
            s.model_copy(
                update={
                    "cost_rmb": fen / 100,
                    "cost_per_parcel_rmb": (round(fen / 100 / n_handled, 2) if n_handled else None),
                    "cost_shares": {
                        name: (money.shares[name][k] + extra_fen[k]) / 100 for name in methods
                    },
                }
            )
        )
    return run.model_copy(
        update={
            "stops": tuple(stops),
            "cost_rmb": (money.fen + sum(extra_fen)) / 100,
            "fixed_cost_rmb": round(money.fixed_rmb, 2),
            "distance_cost_rmb": round(money.distance_rmb, 2),
            "time_cost_rmb": round(money.time_rmb, 2),
            "climb_cost_rmb": round(money.climb_rmb, 2),
        }
    )


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
