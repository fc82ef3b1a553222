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

import hashlib
import itertools
import math
import tomllib
import weakref
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.sparse.csgraph import dijkstra

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.model import Plan, Run, Stop, VehicleType, VillageCost
from routing.network import ROAD_CLASSES, ProfileGraph, RoadNetwork, profile_graph, snap_points

if TYPE_CHECKING:
    from routing.matrix import TravelMatrix
    from routing.model import PickupPoint, Problem
    from routing.quote import Quote

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ALLOCATION_METHODS: Final = ("proportional", "standalone", "shapley")

#: Runs with at most this many paying stops get the exact Shapley value (n! orders
#: are enumerated, vectorised); longer runs get a seeded sample of join orders.
SHAPLEY_EXACT_MAX: Final = 7

#: Join orders sampled for the Shapley value of a longer run.
SHAPLEY_SAMPLES: Final = 2000

#: Mountain-road factors used when a cost file gives none: km on village roads cost
#: 30 % more fuel and wear than on a county road, on tracks 50 % more.
DEFAULT_ROAD_CLASS_FACTOR: Final[Mapping[str, float]] = {"village": 1.3, "track": 1.5}


# --------------------------------------------------------------------------- fen


def to_fen(rmb: float) -> int:
    """RMB to whole fen, rounded half away from zero.

    The amount is first rounded to 1e-6 fen so that binary noise (``1.005 * 100`` is
    ``100.49999...``) does not decide which way a half fen goes.
    """
    cents = round(abs(rmb) * 100, 6)
    fen = math.floor(cents + 0.5)
    return fen if rmb >= 0 else -fen


def run_cost_rmb(
    *,
    distance_m: float,
    duration_s: float,
    fixed_rmb: float,
    rmb_per_km: float,
    rmb_per_hour: float,
) -> tuple[float, float, float]:
    """Fixed, distance and time parts of a run's cost in RMB (not rounded).

    The run cost is fixed + RMB/km x km + RMB/h x h, with the hours counted from
    leaving the hub to returning (waiting and loading included: the driver is paid).
    """
    return (fixed_rmb, rmb_per_km * distance_m / 1000.0, rmb_per_hour * duration_s / 3600.0)


def split_fen(
    total_fen: int, weights: Sequence[float], keys: Sequence[str] | None = None
) -> list[int]:
    """Split ``total_fen`` in proportion to ``weights`` so the parts add up exactly.

    Largest-remainder rounding; ties are broken by weight and then by ``keys`` (stop
    ids), never by input position, so reordering the input changes no one's share.
    The weights are summed with :func:`math.fsum`, which is exact and so independent
    of their order. A zero weight always gets zero. All-zero weights split the total
    evenly (a run whose stops handle no parcels is shared equally).

    Raises
    ------
    ValueError
        If a weight is negative or not finite.
    """
    n = len(weights)
    if n == 0:
        return []
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("allocation weights must be finite and not negative")
    wsum = math.fsum(weights)
    if wsum <= 0:
        weights = [1.0] * n
        wsum = float(n)
    exact = [total_fen * (w / wsum) for w in weights]
    parts = [math.floor(x) for x in exact]
    left = total_fen - sum(parts)
    tie = list(keys) if keys is not None else [""] * n
    eligible = [i for i in range(n) if weights[i] > 0]
    order = sorted(eligible, key=lambda i: (-(exact[i] - parts[i]), -weights[i], tie[i]))
    # Float error can leave more (or fewer) fen than positive weights; go round again.
    k = 0
    while left > 0 and order:
        parts[order[k % len(order)]] += 1
        left -= 1
        k += 1
    while left < 0 and order:
        i = order[-1 - (k % len(order))]
        if parts[i] > 0:
            parts[i] -= 1
            left += 1
        k += 1
    return parts


# --------------------------------------------------------------------------- allocation


@dataclass(frozen=True)
class StopDemand:
    """What allocation needs to know about one stop of a run.

    Attributes
    ----------
    key
        Stable id (the pickup id); breaks ties and seeds the Shapley sample.
    parcels
        Parcels handled at the stop (collected plus dropped).
    position
        1-based place of the stop in the run's visiting order (0 is the hub).
    service_rmb
        Cost of the time spent at the stop (loading), RMB.
    """

    key: str
    parcels: int
    position: int
    service_rmb: float = 0.0


def allocation_weights(
    method: str,
    *,
    parcels: Sequence[int],
    standalone_cost_rmb: Sequence[float],
) -> list[float]:
    """Weights for :func:`split_fen` under ``proportional`` or ``standalone``.

    Parameters
    ----------
    method
        ``"proportional"`` or ``"standalone"`` (``"shapley"`` needs the run's leg
        costs: use :func:`allocate_run_fen`).
    parcels
        Parcels handled at each stop (collected plus dropped).
    standalone_cost_rmb
        Cost of serving each stop alone from the hub (variable part only).

    Raises
    ------
    ValueError
        For an unknown method, or ``"shapley"``.
    """
    if method == "proportional":
        return [float(max(p, 0)) for p in parcels]
    if method == "standalone":
        total = sum(p for p in parcels if p > 0)
        if total <= 0:
            return [0.0] * len(parcels)
        # A stop's weight grows with its stand-alone cost and, less than in
        # proportion, with its size: sqrt(share) gives economies of scale.
        weights = [
            max(c, 0.0) * (p / total) ** 0.5 if p > 0 else 0.0
            for p, c in zip(parcels, standalone_cost_rmb, strict=True)
        ]
        if math.fsum(weights) <= 0:  # every paying stop sits at the hub: by parcels
            return [float(max(p, 0)) for p in parcels]
        return weights
    if method == "shapley":
        raise ValueError("the shapley method needs the run's leg costs; use allocate_run_fen")
    raise ValueError(f"unknown allocation method {method!r}; use one of {ALLOCATION_METHODS}")


def shapley_rmb(
    leg_rmb: FloatArray,
    stops: Sequence[StopDemand],
    *,
    fixed_rmb: float = 0.0,
    samples: int = SHAPLEY_SAMPLES,
) -> list[float]:
    """Shapley value of each stop in the run's cost game, RMB.

    The value of a set ``S`` of stops is the cost of the tour hub -> stops of ``S``
    in run order -> hub (``leg_rmb``) plus their service cost; the empty set costs
    nothing. The fixed cost is added by parcels. Stops handling no parcels are not players (they pay
    nothing and the tour of the others skips them).

    Parameters
    ----------
    leg_rmb
        ``(m + 1) x (m + 1)`` variable cost of driving between run positions; row and
        column 0 are the hub, ``k`` is the stop at position ``k``.
    stops
        The run's stops (any order); ``position`` indexes ``leg_rmb``.
    fixed_rmb
        The run's fixed cost. It buys capacity, so it is shared by parcels rather than
        played in the game (where symmetry would split it equally, and a stop with
        two parcels would pay as much of the van's day as one with sixty).
    samples
        Join orders to sample when there are more than :data:`SHAPLEY_EXACT_MAX`
        paying stops.

    Returns
    -------
    list of float
        One value per stop of ``stops``, in its order; they add up to the cost of the
        tour through the paying stops plus ``fixed_rmb``.
    """
    out = [0.0] * len(stops)
    players = sorted((i for i, s in enumerate(stops) if s.parcels > 0), key=lambda i: stops[i].key)
    n = len(players)
    if n == 0:
        return out
    pos = np.array([stops[i].position for i in players], dtype=np.int64)
    own = np.array([stops[i].service_rmb for i in players], dtype=np.float64)
    if n <= SHAPLEY_EXACT_MAX:
        orders = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    else:
        digest = hashlib.sha256("\x1f".join(stops[i].key for i in players).encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        orders = np.argsort(rng.random((samples, n)), axis=1)
    count = orders.shape[0]
    # Tour positions of the players, sorted; a joiner slots in between the nearest
    # members before and after it (or the hub).
    rank = np.argsort(np.argsort(pos))  # player -> its place among players by position
    by_rank = np.argsort(pos)  # place -> player
    tour = np.concatenate([[0], pos[by_rank], [0]])  # leg_rmb index of place 0..n+1
    member = np.zeros((count, n + 2), dtype=bool)
    member[:, 0] = member[:, n + 1] = True
    idx = np.arange(n + 2)
    total = np.zeros(n, dtype=np.float64)
    rows = np.arange(count)
    for step in range(n):
        joiner = orders[:, step]  # player joining in each order
        place = rank[joiner] + 1
        before = np.where(member & (idx[None, :] < place[:, None]), idx[None, :], -1).max(axis=1)
        after = np.where(member & (idx[None, :] > place[:, None]), idx[None, :], n + 2).min(axis=1)
        a, j, b = tour[before], tour[place], tour[after]
        marginal = leg_rmb[a, j] + leg_rmb[j, b] - leg_rmb[a, b]
        np.add.at(total, joiner, marginal)
        member[rows, place] = True
    parcels = np.array([stops[i].parcels for i in players], dtype=np.float64)
    phi = total / count + own + fixed_rmb * parcels / parcels.sum()
    for k, i in enumerate(players):
        out[i] = float(phi[k])
    return out


def allocate_run_fen(
    run_fen: int,
    stops: Sequence[StopDemand],
    *,
    method: str,
    leg_rmb: FloatArray | None = None,
    fixed_rmb: float = 0.0,
) -> list[int]:
    """Share a run's cost in fen among its stops by ``method``.

    Parameters
    ----------
    run_fen
        The run's cost in fen.
    stops
        The stops, in any order (``position`` says where each is on the run).
    method
        One of :data:`ALLOCATION_METHODS`.
    leg_rmb
        ``(m + 1) x (m + 1)`` variable cost between run positions (0 = hub). Needed by
        ``standalone`` (hub -> stop -> hub) and ``shapley``; without it
        ``standalone`` falls back to ``proportional``.
    fixed_rmb
        The run's fixed cost (for ``shapley``).

    Returns
    -------
    list of int
        Fen per stop, in the order of ``stops``, adding up to ``run_fen``.
    """
    parcels = [s.parcels for s in stops]
    keys = [s.key for s in stops]
    if method == "shapley":
        if leg_rmb is None:
            raise ValueError("the shapley method needs leg_rmb (the run's leg costs)")
        return split_fen(run_fen, shapley_rmb(leg_rmb, stops, fixed_rmb=fixed_rmb), keys)
    if method == "standalone" and leg_rmb is not None:
        alone = [
            float(leg_rmb[0, s.position] + leg_rmb[s.position, 0]) + s.service_rmb for s in stops
        ]
    elif method == "standalone":
        method = "proportional"
        alone = [0.0] * len(stops)
    else:
        alone = [0.0] * len(stops)
    return split_fen(
        run_fen, allocation_weights(method, parcels=parcels, standalone_cost_rmb=alone), keys
    )


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


# --------------------------------------------------------------------------- road classes

_EDGE_CLASS: weakref.WeakKeyDictionary[RoadNetwork, dict[tuple[str, ...], IntArray]] = (
    weakref.WeakKeyDictionary()
)


def edge_road_class(network: RoadNetwork, avoid_road_classes: Sequence[str] = ()) -> IntArray:
    """Index in :data:`ROAD_CLASSES` of each edge of the profile graph.

    The result runs parallel to the CSR data of
    ``profile_graph(network, avoid_road_classes=...)``: the selection of the kept edge
    among parallel ones (fastest, then shortest) is repeated here on the same edge
    order, so the two agree edge for edge. Cached on the network per profile.
    """
    key = tuple(sorted({str(c).strip().lower() for c in avoid_road_classes}))
    cache = _EDGE_CLASS.setdefault(network, {})
    if key in cache:
        return cache[key]
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    n = len(graph.nodes)
    class_index = {c: i for i, c in enumerate(ROAD_CLASSES)}
    rows = list(network.graph.edges(data=True))
    src = np.fromiter((graph.index[a] for a, _, _ in rows), dtype=np.int64, count=len(rows))
    dst = np.fromiter((graph.index[b] for _, b, _ in rows), dtype=np.int64, count=len(rows))
    time_s = np.fromiter((d["travel_time_s"] for *_, d in rows), dtype=np.float64, count=len(rows))
    length = np.fromiter((d["length_m"] for *_, d in rows), dtype=np.float64, count=len(rows))
    names = [str(d["road_class"]).strip().lower() for *_, d in rows]
    cls = np.array([class_index.get(c, 0) for c in names], dtype=np.int64)
    keep = np.array([c not in key for c in names], dtype=bool) & (src != dst)
    src, dst, time_s, length, cls = src[keep], dst[keep], time_s[keep], length[keep], cls[keep]
    order = np.lexsort((length, time_s, dst, src))
    code = src[order] * n + dst[order]
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    out: IntArray = cls[order[first]]
    if len(out) != len(graph.edge_code) or not np.array_equal(code[first], graph.edge_code):
        raise RuntimeError("road classes do not line up with the profile graph's edges")
    cache[key] = out
    return out


def tree_sums(
    graph: ProfileGraph, pred: npt.NDArray[np.int32], edge_values: FloatArray, *, reverse: bool
) -> FloatArray:
    """Sum per-edge values from each tree's root to every node, along the tree.

    Parameters
    ----------
    graph
        The profile graph the trees were grown on.
    pred
        ``k x n`` scipy predecessors (``-9999`` for roots and unreached nodes).
    edge_values
        ``(E, C)`` values per edge of ``graph`` (parallel to its CSR data).
    reverse
        True when the trees were grown on the transposed graph (paths *to* the root):
        node ``v`` with predecessor ``u`` then uses the original edge ``v -> u``.

    Returns
    -------
    numpy.ndarray
        ``k x n x C``; unreached nodes get 0 (mask them by their infinite time).
    """
    k, n = pred.shape
    c = edge_values.shape[1]
    flat = pred.reshape(-1).astype(np.int64)
    has = np.flatnonzero(flat >= 0)
    node = has % n
    parent_node = flat[has]
    parent = np.arange(k * n, dtype=np.int64)
    parent[has] = parent_node + (has - node)
    along = np.zeros((k * n, c), dtype=np.float64)
    pos = (
        graph.edge_positions(node, parent_node)
        if reverse
        else graph.edge_positions(parent_node, node)
    )
    along[has] = edge_values[pos]
    active = has[parent[parent[has]] != parent[has]]
    while active.size:
        up = parent[active]
        along[active] += along[up]
        parent[active] = parent[up]
        active = active[parent[parent[active]] != parent[active]]
    return along.reshape(k, n, c)


def leg_values(
    network: RoadNetwork,
    pairs: Sequence[tuple[int, int]],
    *,
    avoid_road_classes: Sequence[str] = (),
) -> FloatArray:
    """Seconds, metres and metres per road class along the fastest path of each pair.

    Parameters
    ----------
    network
        The road network.
    pairs
        ``(from node, to node)`` graph nodes (from :func:`routing.network.snap_points`).
    avoid_road_classes
        The vehicle's access profile.

    Returns
    -------
    numpy.ndarray
        ``len(pairs) x (2 + len(ROAD_CLASSES))``: seconds, metres, then metres on each
        class of :data:`ROAD_CLASSES`. ``inf`` seconds where there is no path.
    """
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    cls = edge_road_class(network, avoid_road_classes)
    nc = len(ROAD_CLASSES)
    values = np.zeros((len(cls), 1 + nc), dtype=np.float64)
    values[:, 0] = graph.length_m
    values[np.arange(len(cls)), 1 + cls] = graph.length_m
    out = np.zeros((len(pairs), 2 + nc), dtype=np.float64)
    if not pairs:
        return out
    rows = np.array([[graph.index[a], graph.index[b]] for a, b in pairs], dtype=np.int64)
    sources, where = np.unique(rows[:, 0], return_inverse=True)
    block = max(1, 2**22 // max(1, len(graph.nodes) * (1 + nc)))
    for start in range(0, len(sources), block):
        chunk = sources[start : start + block]
        time_s, pred = dijkstra(
            graph.travel_time_s, directed=True, indices=chunk, return_predecessors=True
        )
        time_s, pred = np.atleast_2d(time_s), np.atleast_2d(pred)
        sums = tree_sums(graph, pred, values, reverse=False)
        sel = np.flatnonzero((where >= start) & (where < start + len(chunk)))
        r = where[sel] - start
        out[sel, 0] = time_s[r, rows[sel, 1]]
        out[sel, 1:] = sums[r, rows[sel, 1]]
    return out


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
    if network is not None and plan.runs:
        factors = run_road_factors(plan, network, model, max_snap_m=max_snap_m)
    else:
        factors = [model.for_hub(r.hub_id).unknown_road_factor for r in plan.runs]
    need_legs = any(m in ("standalone", "shapley") for m in methods)
    mats = _leg_matrix(plan, network, matrices, max_snap_m) if need_legs and plan.runs else {}
    first_run: dict[str, int] = {}
    for r in plan.runs:
        first_run[r.vehicle] = min(first_run.get(r.vehicle, r.run), r.run)

    vehicle_fen: list[int] = []
    shares: list[dict[str, list[int]]] = []
    parts: list[tuple[float, float, float]] = []
    climb_rmb: list[float] = []  # energy for the ascent, with elevation data
    for r, factor in zip(plan.runs, factors, strict=True):
        vt = types[r.vehicle_type]
        rates = model.for_hub(r.hub_id).rates_for(vt)
        fixed = rates.fixed_rmb_per_run + (
            rates.fixed_rmb_per_day if r.run == first_run[r.vehicle] else 0.0
        )
        f_rmb, d_rmb, t_rmb = run_cost_rmb(
            distance_m=r.distance * factor,
            duration_s=r.duration,
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
            ix = [m.index(r.hub_id), *[m.index(s.pickup_id) for s in r.stops]]
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


# --------------------------------------------------------------------------- quotes


def quote(
    plan: Plan,
    pickup: PickupPoint,
    *,
    problem: Problem | None = None,
    network: RoadNetwork | None = None,
    cost_model: CostModel | None = None,
) -> Quote:
    """Marginal cost of adding ``pickup`` to ``plan``; see :func:`routing.quote.quote_pickup`.

    Kept here because the service looks quotes up as ``routing.costs.quote``.
    """
    from routing.quote import quote_pickup

    return quote_pickup(plan, pickup, problem=problem, network=network, cost_model=cost_model)
