"""Plan a day on an OpenStreetMap network: one road view, one matrix, per vehicle profile.

For each distinct :attr:`~routing.model.VehicleType.profile` the network is narrowed
to the roads that vehicle may use, at its own speed on the grade
(:mod:`routing.roads.vehicle`); hubs and pickups are joined to the nearest point of
those roads (:mod:`routing.roads.snap`); the travel matrix and, with elevation, the
metres climbed and descended along each fastest path are computed on that copy. The
matrices are asymmetric wherever one-way roads or grades make them so, and reach
whichever engine solves. Each run then states its ascent and descent, each stop its
snap distance, and the climbing energy (``rmb_per_100m_ascent``) is priced into the
run's cost. :func:`day_costing` gives the engines the same cost: road-class factors on
the metres of each vehicle's own fastest paths, and the climbing energy along them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from routing.cost_model import CostModel
from routing.costs import apply_cost_model, fleet_cost_model
from routing.errors import NetworkError
from routing.matrix import TravelMatrix
from routing.model import Plan, Problem, VehicleType
from routing.network import FloatArray, Node, RoadNetwork, profile_name, without_roads
from routing.options import SolveOptions
from routing.paths import path_lonlat
from routing.road_cost import RoadCosting, road_costing
from routing.roads.matrix import join_points, point_matrices
from routing.roads.snap import locate, with_points
from routing.roads.vehicle import network_for_vehicle
from routing.units import UNREACHABLE


@dataclass(frozen=True)
class ProfileRoads:
    """One vehicle profile's roads, joined to the day's hubs and pickups."""

    network: RoadNetwork
    avoid_road_classes: tuple[str, ...]
    node_of: Mapping[str, Node]
    snap_m: Mapping[str, float]
    matrix: TravelMatrix
    ascent_m: FloatArray
    descent_m: FloatArray


@dataclass(frozen=True)
class DayRoads:
    """Everything the day's planning needs from the roads, per vehicle profile."""

    profiles: Mapping[str, ProfileRoads]
    cost_network: RoadNetwork
    """The network with every hub and pickup joined, unrestricted (for pricing)."""
    has_elevation: bool

    @property
    def matrices(self) -> dict[str, TravelMatrix]:
        """The travel matrix of each profile."""
        return {name: p.matrix for name, p in self.profiles.items()}

    def paths(
        self, sequences: Sequence[Sequence[str]], profile: str
    ) -> list[list[tuple[float, float]]]:
        """Draw id sequences along the profile's roads (parts ``V17#2`` stand at ``V17``)."""
        roads = self.profiles[profile]
        return path_lonlat(
            roads.network,
            [[_node(roads.node_of, i) for i in seq] for seq in sequences],
            avoid_road_classes=roads.avoid_road_classes,
        )


def _node(node_of: Mapping[str, Node], location_id: str) -> Node:
    return node_of[location_id] if location_id in node_of else node_of[_base(location_id)]


def prepare_day(problem: Problem, network: RoadNetwork, *, max_snap_m: float) -> DayRoads:
    """Join the day's hubs and pickups to each vehicle profile's roads; build matrices.

    Raises
    ------
    NetworkError
        Listing every hub or pickup too far from the roads a vehicle type may use.
    """
    if problem.closed_roads:
        network = without_roads(network, problem.closed_roads)
    points = [(h.id, h.lon, h.lat) for h in problem.hubs] + [
        (p.id, p.lon, p.lat) for p in problem.pickups
    ]
    # Everything too far from any road first, in the planner's words ("pickup 'V17'").
    found: list[NetworkError] = []
    for kind, some in (
        ("hub", points[: len(problem.hubs)]),
        ("pickup", points[len(problem.hubs) :]),
    ):
        try:
            locate(network, some, max_snap_m=max_snap_m, kind=kind)
        except NetworkError as exc:
            found.append(exc)
    if found:
        raise NetworkError([p for exc in found for p in exc.problems])
    profiles: dict[str, ProfileRoads] = {}
    for vt in problem.vehicle_types:
        if vt.profile in profiles:
            continue
        try:
            profiles[vt.profile] = _profile_roads(network, vt, points, max_snap_m)
        except NetworkError as exc:
            found.append(exc)
    if found:
        raise NetworkError([p for exc in found for p in exc.problems])
    cost_network, _ = with_points(network, points, max_snap_m=max_snap_m, kind="location")
    return DayRoads(
        profiles=profiles,
        cost_network=cost_network,
        has_elevation=bool(network.graph.graph.get("elevation")),
    )


def _profile_roads(
    network: RoadNetwork,
    vt: VehicleType,
    points: Sequence[tuple[str, float, float]],
    max_snap_m: float,
) -> ProfileRoads:
    view = network_for_vehicle(network, vt)
    found = locate(
        view,
        points,
        max_snap_m=max_snap_m,
        kind=f"location (on the roads of vehicle type {vt.name!r})",
        avoid_road_classes=vt.avoid_road_classes,
    )
    ids = [p[0] for p in points]
    result = point_matrices(
        view,
        join_points(view, found),
        ids,
        avoid_road_classes=vt.avoid_road_classes,
        profile=profile_name(vt.avoid_road_classes),
    )
    # Runs are drawn on a copy of the roads cut at the points.
    drawn, snapped = with_points(view, points, found=found)
    return ProfileRoads(
        network=drawn,
        avoid_road_classes=tuple(vt.avoid_road_classes),
        node_of=dict(zip(ids, snapped.nodes, strict=True)),
        snap_m=dict(zip(ids, found.snap_m.tolist(), strict=True)),
        matrix=result.matrix,
        ascent_m=result.ascent_m,
        descent_m=result.descent_m,
    )


def day_costing(problem: Problem, day: DayRoads, model: CostModel) -> RoadCosting:
    """The cost model over the day's matrices, as the engines are to minimise it.

    Class-weighted metres follow each profile's fastest paths on that vehicle's own
    roads (the paths its matrix measured), and with elevation the metres climbed along
    them (the ones :func:`add_climbs` states for each run) carry the climbing energy.
    """
    return road_costing(
        problem,
        day.matrices,
        model,
        profile_roads={name: (p.network, p.node_of) for name, p in day.profiles.items()},
        ascent_m=(
            {name: p.ascent_m for name, p in day.profiles.items()} if day.has_elevation else None
        ),
    )


def add_climbs(plan: Plan, day: DayRoads) -> Plan:
    """Each run's ascent and descent (with elevation data) and each stop's snap distance."""
    types = {v.name: v for v in plan.vehicle_types}
    runs = []
    for run in plan.runs:
        roads = day.profiles[types[run.vehicle_type].profile]
        index = {i: k for k, i in enumerate(roads.matrix.ids)}
        seq = [run.hub_id, *[s.pickup_id for s in run.stops], run.hub_id]
        legs = [(index[_base(a)], index[_base(b)]) for a, b in itertools.pairwise(seq)]
        reachable = all(roads.matrix.duration_s[a, b] < UNREACHABLE for a, b in legs)
        update: dict[str, object] = {
            "stops": tuple(
                s.model_copy(update={"snap_distance_m": round(roads.snap_m[_base(s.pickup_id)], 1)})
                for s in run.stops
            )
        }
        if day.has_elevation and reachable:
            update["ascent_m"] = round(sum(float(roads.ascent_m[a, b]) for a, b in legs))
            update["descent_m"] = round(sum(float(roads.descent_m[a, b]) for a, b in legs))
        runs.append(run.model_copy(update=update))
    return plan.model_copy(update={"runs": tuple(runs)})


def _base(location_id: str) -> str:
    return location_id.rsplit("#", 1)[0] if "#" in location_id else location_id


def price_climbs(
    plan: Plan,
    problem: Problem,
    day: DayRoads,
    *,
    options: SolveOptions,
    costing: RoadCosting | None = None,
) -> Plan:
    """Each run's climbs and snap distances; with the fleet's rates, the climbing energy.

    The step of :func:`routing.pipeline.plan_day` between assembling the plan on these
    roads and pricing it (with the hub's cost model, when given, which prices the
    climbs itself). ``costing`` (:func:`day_costing` with the fleet's rates) gives each
    run's class factor from the paths the matrices measured.
    """
    plan = add_climbs(plan, day)
    if options.cost_model is None and any(v.rmb_per_100m_ascent > 0 for v in problem.vehicle_types):
        # The fleet's rates, with the climbing energy the assembled plan leaves out.
        plan = apply_cost_model(
            plan,
            fleet_cost_model(),
            network=day.cost_network,
            matrices=day.matrices,
            allocation=options.allocation,
            max_snap_m=options.max_snap_m,
            costing=costing,
        )
    return plan
