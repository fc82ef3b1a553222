"""The hub's cost model over the day's travel matrices: what the engines minimise.

A :class:`~routing.cost_model.CostModel` charges energy on the km driven on each road
class times that class's factor (village roads 1.3, tracks 1.5...). This module
computes, once per road profile, the *charged metres* between every pair of the day's
locations: the metres along the fastest path (the path the travel matrix measured),
each edge weighted by its class factor. With them

- the engines get a per-vehicle-type cost that is the cost model itself
  (:func:`routing.build.build_instance`): energy rate x charged metres, driver and
  vehicle rate x hours, fixed per run and per day;
- pricing a plan (:func:`routing.costs.apply_cost_model`) and its baselines
  (:mod:`routing.baselines`) look the legs up instead of growing a shortest-path tree
  per stop: on a 2,000-pickup day that took a minute.

Without a road network every metre is charged at ``unknown_road_factor``, as
:func:`~routing.costs.apply_cost_model` does.

On OpenStreetMap roads each profile has its own network (the roads that vehicle may
use, at its own speeds on the grade) and, with elevation, the metres climbed along the
same fastest paths: the climbing energy (``rmb_per_100m_ascent``) rides on the
engines' charged metres as the metres of driving that cost the same
(:meth:`RoadCosting.energy_charge`), so that they minimise what the run is priced.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from routing.allocation import to_fen
from routing.cost_model import CostModel, RunRates
from routing.matrix import TravelMatrix
from routing.model import Problem, VehicleType
from routing.network import Node, RoadNetwork, profile_graph
from routing.road_classes import edge_road_class, tree_sums
from routing.units import COST_UNITS_PER_RMB, UNREACHABLE

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_TREE_CELLS = 2**23
"""Shortest-path-tree cells (sources x graph nodes) summed at once: bounds memory."""

FactorKey = tuple[float, ...]


@dataclass(frozen=True)
class EnergyCharge:
    """How the engines charge a vehicle type's energy: ``unit_cost`` cost units per
    engine metre, an engine metre being ``per_charged_m`` per class-weighted metre
    plus ``per_ascent_m`` per metre climbed."""

    unit_cost: int
    per_charged_m: float = 1.0
    per_ascent_m: float = 0.0

    @property
    def weights(self) -> tuple[float, float]:
        """The engine metres' weights on charged metres and on metres climbed."""
        return (self.per_charged_m, self.per_ascent_m)


@dataclass(frozen=True, eq=False)
class RoadCosting:
    """Charged metres per (road profile, class factors) over the day's locations.

    Attributes
    ----------
    model
        The cost model (hub overrides resolved per hub on demand).
    matrices
        The travel matrices the metres run parallel to (hub ids, then pickup ids).
    charged_m
        ``n x n`` whole metres weighted by class factor, per (profile, factors);
        ``UNREACHABLE`` where there is no path.
    ascent_m
        ``n x n`` metres climbed along the same paths, per profile (only with
        elevation data: a profile missing here climbs for free).
    """

    model: CostModel
    matrices: Mapping[str, TravelMatrix]
    charged_m: Mapping[tuple[str, FactorKey], IntArray]
    ascent_m: Mapping[str, FloatArray] = field(default_factory=dict)
    _hub_models: dict[str, CostModel] = field(default_factory=dict, repr=False)
    _factors: dict[str, FactorKey] = field(default_factory=dict, repr=False)
    _rows: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)

    def hub_model(self, hub_id: str) -> CostModel:
        """The cost model with hub ``hub_id``'s overrides (cached)."""
        if hub_id not in self._hub_models:
            self._hub_models[hub_id] = self.model.for_hub(hub_id)
        return self._hub_models[hub_id]

    def rates(self, vt: VehicleType, hub_id: str) -> RunRates:
        """The vehicle type's rates at its hub."""
        return self.hub_model(hub_id).rates_for(vt)

    def factors(self, hub_id: str) -> FactorKey:
        """Class factors in :data:`~routing.network.ROAD_CLASSES` order at a hub."""
        if hub_id not in self._factors:
            self._factors[hub_id] = tuple(float(f) for f in self.hub_model(hub_id).class_factors())
        return self._factors[hub_id]

    def charged(self, profile: str, hub_id: str) -> IntArray:
        """Charged metres for vehicles of ``profile`` based at ``hub_id``."""
        return self.charged_m[(profile, self.factors(hub_id))]

    def energy_charge(self, vt: VehicleType, hub_id: str) -> EnergyCharge:
        """The vehicle type's energy as the engines charge it.

        The rate per metre is the one the engines have always had (whole cost units);
        a metre climbed is charged as the metres of driving that cost what it costs, so
        that unit cost x engine metres is energy on class-weighted metres plus climbing
        energy. A vehicle whose km cost nothing but whose climbs do has its engine
        metres in cost units.
        """
        rates = self.rates(vt, hub_id)
        unit = round(rates.rmb_per_km * COST_UNITS_PER_RMB / 1000)
        climb = rates.rmb_per_100m_ascent * COST_UNITS_PER_RMB / 100
        if vt.profile not in self.ascent_m or climb <= 0:
            return EnergyCharge(unit)
        if unit > 0:
            return EnergyCharge(unit, 1.0, climb / unit)
        return EnergyCharge(1, 0.0, climb)

    def engine_metres(self, profile: str, hub_id: str, weights: tuple[float, float]) -> IntArray:
        """Whole engine metres (:meth:`energy_charge`'s weights) for a profile at a hub."""
        charged = self.charged(profile, hub_id)
        if weights == (1.0, 0.0):
            return charged
        per_charged, per_ascent = weights
        out = np.rint(per_charged * charged + per_ascent * self.ascent_m[profile]).astype(np.int64)
        out[charged >= UNREACHABLE] = UNREACHABLE
        return out

    def row(self, profile: str, location_id: str) -> int:
        """Row of a location (a part ``V17#2`` of a split pickup uses ``V17``'s)."""
        rows = self._rows.get(profile)
        if rows is None:
            rows = self._rows[profile] = {i: k for k, i in enumerate(self.matrices[profile].ids)}
        if location_id in rows:
            return rows[location_id]
        return rows[location_id.rsplit("#", 1)[0]]

    def sequence_factors(
        self, sequences: Sequence[Sequence[str]], profile: str, hub_id: str
    ) -> list[float]:
        """Km-weighted mean class factor of each id sequence (hub, stops, hub)."""
        model = self.hub_model(hub_id)
        charged = self.charged(profile, hub_id)
        metres = self.matrices[profile].distance_m
        out: list[float] = []
        for seq in sequences:
            rows = np.array([self.row(profile, i) for i in seq], dtype=np.int64)
            a, b = rows[:-1], rows[1:]
            total = float(metres[a, b].sum())
            ok = total > 0 and bool((metres[a, b] < UNREACHABLE).all())
            out.append(
                float(charged[a, b].sum()) / total if ok else float(model.unknown_road_factor)
            )
        return out

    def reindexed(self, matrices: Mapping[str, TravelMatrix]) -> RoadCosting:
        """The same costs over other matrices' ids (parts ``V17#2`` of split pickups)."""
        charged: dict[tuple[str, FactorKey], IntArray] = {}
        for (profile, factors), array in self.charged_m.items():
            take = [self.row(profile, i) for i in matrices[profile].ids]
            charged[(profile, factors)] = array[np.ix_(take, take)]
        ascent: dict[str, FloatArray] = {}
        for profile, climbed in self.ascent_m.items():
            take = [self.row(profile, i) for i in matrices[profile].ids]
            ascent[profile] = climbed[np.ix_(take, take)]
        return RoadCosting(model=self.model, matrices=matrices, charged_m=charged, ascent_m=ascent)

    def round_trip_factors(
        self, location_ids: Sequence[str], profile: str, hub_id: str
    ) -> FloatArray:
        """Mean class factor of hub -> location -> hub, for many locations at once."""
        charged = self.charged(profile, hub_id)
        metres = self.matrices[profile].distance_m
        h = self.row(profile, hub_id)
        rows = np.array([self.row(profile, i) for i in location_ids], dtype=np.int64)
        there, back = metres[h, rows], metres[rows, h]
        total = (there + back).astype(np.float64)
        ok = (there < UNREACHABLE) & (back < UNREACHABLE) & (total > 0)
        out = np.full(len(rows), float(self.hub_model(hub_id).unknown_road_factor))
        out[ok] = (charged[h, rows[ok]] + charged[rows[ok], h]) / total[ok]
        return out


def road_costing(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    model: CostModel,
    *,
    network: RoadNetwork | None = None,
    node_of: Mapping[str, Node] | None = None,
    profile_roads: Mapping[str, tuple[RoadNetwork, Mapping[str, Node]]] | None = None,
    ascent_m: Mapping[str, FloatArray] | None = None,
) -> RoadCosting:
    """Charged metres for every road profile and hub factor set of ``problem``.

    Parameters
    ----------
    problem
        The problem (its vehicle types give the profiles, its hubs the factor sets).
    matrices
        Travel matrices per profile over hub ids then pickup ids.
    model
        The cost model.
    network, node_of
        The road network the matrices were measured on and the graph node of each
        location id; without them every metre costs ``unknown_road_factor``.
    profile_roads
        Instead, each profile's own network and nodes (OpenStreetMap days: each
        vehicle's matrix was measured on its own view of the roads).
    ascent_m
        Metres climbed along each profile's fastest paths, over the matrices' ids.
    """
    costing = RoadCosting(model=model, matrices=matrices, charged_m={})
    out: dict[tuple[str, FactorKey], IntArray] = {}
    for vt in problem.vehicle_types:
        hub_id = problem.hub_of(vt).id
        key = (vt.profile, costing.factors(hub_id))
        if key in out:
            continue
        m = matrices[vt.profile]
        roads, nodes_of = (network, node_of) if profile_roads is None else profile_roads[vt.profile]
        if roads is None or nodes_of is None:
            factor = costing.hub_model(hub_id).unknown_road_factor
            out[key] = np.where(
                m.distance_m >= UNREACHABLE, UNREACHABLE, np.rint(m.distance_m * factor)
            ).astype(np.int64)
            continue
        nodes = [nodes_of[i] if i in nodes_of else nodes_of[i.rsplit("#", 1)[0]] for i in m.ids]
        # Unreachable pairs hold float(UNREACHABLE), a whole number: rint keeps it.
        out[key] = np.rint(
            charged_metres(roads, nodes, np.array(key[1]), avoid_road_classes=vt.avoid_road_classes)
        ).astype(np.int64)
    return RoadCosting(model=model, matrices=matrices, charged_m=out, ascent_m=dict(ascent_m or {}))


def charged_metres(
    network: RoadNetwork,
    nodes: Sequence[Node],
    class_factors: FloatArray,
    *,
    avoid_road_classes: Sequence[str] = (),
) -> FloatArray:
    """Metres times class factor along the fastest path between every pair of nodes.

    The fastest paths are the ones :func:`routing.matrix.travel_matrix` measures (same
    profile graph, same scipy Dijkstra), so with all factors 1 the result equals the
    matrix's metres. One tree per distinct node; the sums follow each tree once
    (:func:`routing.road_classes.tree_sums`). ``UNREACHABLE`` where there is no path.
    """
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    cls = edge_road_class(network, avoid_road_classes)
    values = (graph.length_m * class_factors[cls]).reshape(-1, 1)
    rows = np.array([graph.index[n] for n in nodes], dtype=np.int64)
    sources, where = np.unique(rows, return_inverse=True)
    by_source = np.empty((len(sources), len(rows)), dtype=np.float64)
    block = max(1, _TREE_CELLS // max(1, len(graph.nodes)))
    for start in range(0, len(sources), block):
        chunk = sources[start : start + block]
        time_s, pred = dijkstra(
            graph.travel_time_s, directed=True, indices=chunk, return_predecessors=True
        )
        time_s, pred = np.atleast_2d(time_s), np.atleast_2d(pred)
        sums = tree_sums(graph, pred, values, reverse=False)[:, rows, 0]
        by_source[start : start + len(chunk)] = np.where(
            np.isfinite(time_s[:, rows]), sums, float(UNREACHABLE)
        )
    out: FloatArray = by_source[where]
    np.fill_diagonal(out, 0.0)
    return out


_SCALED: weakref.WeakKeyDictionary[TravelMatrix, dict[float, IntArray]] = (
    weakref.WeakKeyDictionary()
)


def scaled_durations(m: TravelMatrix, speed_factor: float) -> IntArray:
    """The matrix's seconds for a vehicle at ``speed_factor`` (cached per matrix).

    Scaled once per matrix and factor: once per pickup or per run took seconds to a
    minute on a 2,000-pickup day.
    """
    if speed_factor == 1.0:
        return m.duration_s
    scaled = _SCALED.setdefault(m, {})
    if speed_factor not in scaled:
        out = np.where(
            m.duration_s >= UNREACHABLE, UNREACHABLE, np.rint(m.duration_s / speed_factor)
        ).astype(np.int64)
        out.setflags(write=False)
        scaled[speed_factor] = out
    return scaled[speed_factor]


def handling_and_overhead_rmb(model: CostModel, parcels_by_hub: Mapping[str, int]) -> float:
    """Handling of the parcels handled and the overheads of each hub with runs, RMB.

    Rounded to fen per hub, as :func:`routing.costs.apply_cost_model` charges them.
    """
    fen = 0
    for hub_id, parcels in parcels_by_hub.items():
        hm = model.for_hub(hub_id)
        fen += to_fen(hm.handling_rmb_per_parcel * parcels) if parcels else 0
        fen += to_fen(hm.overhead_rmb_per_day)
    return fen / 100
