"""The whole planning path in one call: problem → matrices → solve → plan.

Data flows one way: validated problem, then one travel matrix per road profile, then
the integer instance, then an engine, then the plan with its costs. Each step is timed
so that the summary says where the time went.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from routing.baselines import add_baselines
from routing.build import BuiltInstance, build_instance, check_fits, split_oversize
from routing.costs import apply_cost_model, fleet_cost_model
from routing.deadline import Deadline
from routing.errors import NetworkError
from routing.errors import Problem as InputProblem
from routing.matrix import (
    MatrixProvider,
    RoadMatrixProvider,
    StraightLineMatrixProvider,
    TravelMatrix,
)
from routing.model import Plan, Problem, UnassignedReason
from routing.network import Node, RoadNetwork
from routing.options import SolveOptions
from routing.paths import path_lonlat, snap_points
from routing.plan import assemble_plan, draw_plan
from routing.plan_check import check_plan, mark_plan
from routing.plan_guard import checked_plan
from routing.road_cost import RoadCosting, handling_and_overhead_rmb, road_costing
from routing.solve.instance import Instance, Solution
from routing.solve.objective import route_costs
from routing.solve.ortools_engine import solve_ortools
from routing.solve.repair import make_feasible

Progress = Callable[[str], None]
#: Road geometry of runs: stop-id sequences and a road profile -> (lon, lat) lines.
PathsFn = Callable[[Sequence[Sequence[str]], str], list[list[tuple[float, float]]]]

__all__ = [
    "PathsFn",
    "SolveOptions",
    "matrices_for",
    "plan_day",
    "plan_with_matrices",
    "price_plan",
    "road_matrices",
    "road_paths",
    "snap_day",
    "snap_kinds",
]


def _noop(_: str) -> None:
    return None


def matrices_for(problem: Problem, provider: MatrixProvider) -> dict[str, TravelMatrix]:
    """One travel matrix per road profile, over hub ids then pickup ids."""
    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    lonlats = [h.location for h in problem.hubs] + [p.location for p in problem.pickups]
    out: dict[str, TravelMatrix] = {}
    for vt in problem.vehicle_types:
        if vt.profile not in out:
            out[vt.profile] = provider.matrix(
                ids, lonlats, avoid_road_classes=vt.avoid_road_classes
            )
    return out


def run_engines(instance: Instance, options: SolveOptions) -> Solution:
    """Solve with the portfolio, or reproducibly when ``options.iterations`` is set.

    A portfolio races engines against the clock, so its answer can vary with the
    machine's load. With an iteration budget the OR-Tools engine runs alone and stops
    on a solution count: the same input then gives the same plan anywhere.
    """
    if options.iterations is not None:
        solution = solve_ortools(
            instance,
            time_limit_s=options.time_limit_s,
            seed=options.seed,
            iterations=options.iterations,
        )
        return make_feasible(instance, solution)
    from routing.solve import solve  # the portfolio; imported late to keep start-up light

    return solve(
        instance,
        time_limit_s=options.time_limit_s,
        seed=options.seed,
        engines=options.engines,
        workers=options.workers,
    )


def _expand_matrices(
    matrices: Mapping[str, TravelMatrix], original_ids: Sequence[str], problem: Problem
) -> dict[str, TravelMatrix]:
    """Give each part of a split pickup the matrix row and column of its pickup."""
    pos = {pid: i for i, pid in enumerate(original_ids)}
    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    take = [pos[i] if i in pos else pos[i.rsplit("#", 1)[0]] for i in ids]
    sel = np.ix_(take, take)
    return {
        key: TravelMatrix(
            ids=tuple(ids),
            distance_m=m.distance_m[sel],
            duration_s=m.duration_s[sel],
            profile=m.profile,
        )
        for key, m in matrices.items()
    }


def plan_with_matrices(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    *,
    options: SolveOptions | None = None,
    paths: PathsFn | None = None,
    timings_s: Mapping[str, float] | None = None,
    progress: Progress = _noop,
    costing: RoadCosting | None = None,
    deadline: Deadline | None = None,
) -> Plan:
    """Plan ``problem`` on given travel matrices (one per road profile).

    The engines minimise ``costing``'s cost model (the fleet's rates without it), and
    the solver gets what ``deadline`` leaves after the estimated time to assemble and
    price the plan (``options.time_limit_s`` from now without one).

    Raises
    ------
    InputError
        If a pickup is larger than every vehicle (unless ``problem.split_oversize``).
    """
    options = options or SolveOptions()
    timings = dict(timings_s or {})
    asked, asked_matrices = problem, matrices
    if problem.split_oversize:
        original_ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
        problem = split_oversize(problem)
        matrices = _expand_matrices(matrices, original_ids, problem)
        costing = costing.reindexed(matrices) if costing is not None else None
    else:
        check_fits(problem)
    deadline = deadline or Deadline.after(options.time_limit_s)
    if costing is None and options.cost_model is not None:
        costing = road_costing(problem, matrices, options.cost_model)
    t0 = time.perf_counter()
    built = build_instance(problem, matrices, costing=costing)
    progress("solve")
    if built.instance.num_clients:
        # With an iteration count the plan must not depend on the machine: the count
        # ends the search and the limit stays the cap it always was.
        solver_s = (
            options.time_limit_s
            if options.iterations is not None
            else deadline.solver_s(len(problem.pickups))
        )
        timings["solver_budget"] = round(solver_s, 3)
        solution = run_engines(built.instance, replace(options, time_limit_s=solver_s))
    else:
        solution = Solution(routes=(), unassigned=(), cost=0, engine="none")
    timings["solve"] = round(time.perf_counter() - t0, 3)
    progress("plan")
    t1 = time.perf_counter()

    def assemble(sol: Solution, removed: Mapping[int, UnassignedReason]) -> Plan:
        return assemble_plan(
            problem,
            built,
            sol,
            matrices,
            allocation=options.allocation,
            timings_s=timings,
            removed=removed,
        )

    # Checked against what the planner asked (split pickups map back to theirs).
    draw = None if paths is None else partial(draw_plan, paths=paths)
    plan = checked_plan(asked, built, solution, asked_matrices, assemble, draw)
    timings["assemble"] = round(time.perf_counter() - t1, 3)
    summary = {"timings_s": timings, "objective_rmb": _objective_rmb(built, solution, costing)}
    return plan.model_copy(update={"summary": plan.summary.model_copy(update=summary)})


def _objective_rmb(built: BuiltInstance, solution: Solution, costing: RoadCosting | None) -> float:
    """What the engines minimised, on the delivered routes: vehicle costs in the
    engines' units, plus the handling and overheads a plan is charged (the same for
    every plan serving the same parcels)."""
    inst = built.instance
    rmb = route_costs(inst, solution) / inst.cost_scale if solution.routes else 0.0
    if costing is None:
        return round(rmb, 2)
    parcels: dict[str, int] = {}
    for route in solution.routes:
        hub = inst.depot_ids[inst.vehicle_types[route.vehicle_type].start_depot]
        for c in (c for t in route.trips for c in t.clients):
            p = built.pickups[c]
            parcels[hub] = parcels.get(hub, 0) + p.parcels + p.delivery_parcels
    return round(rmb + handling_and_overhead_rmb(costing.model, parcels), 2)


def price_plan(
    plan: Plan,
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    *,
    network: RoadNetwork | None,
    options: SolveOptions,
    progress: Progress = _noop,
    full_network: RoadNetwork | None = None,
    costing: RoadCosting | None = None,
) -> Plan:
    """Re-cost with the hub's cost model (if any), add the baselines' savings, check.

    With ``costing`` (the cost model's charged metres over ``matrices``) the legs are
    looked up rather than followed on the roads again. The plan check runs on the
    priced plan (costs from the cost model's rates) and, given ``full_network`` (the
    roads with today's closed ones still in them), on each run's geometry;
    ``summary.feasible`` and ``summary.violations`` say what it found.
    """
    if options.cost_model is not None:
        plan = apply_cost_model(
            plan,
            options.cost_model,
            network=network,
            matrices=matrices,
            allocation=options.allocation,
            max_snap_m=options.max_snap_m,
            costing=costing,
        )
    if options.baselines and not problem.split_oversize:
        progress("baselines")
        plan = add_baselines(
            plan,
            problem,
            matrices,
            cost_model=options.cost_model,
            network=network,
            max_snap_m=options.max_snap_m,
            costing=costing,
        )
    found = check_plan(problem, plan, matrices, cost_model=options.cost_model, network=full_network)
    return mark_plan(plan, found)


def snap_day(problem: Problem, network: RoadNetwork, *, max_snap_m: float) -> dict[str, Node]:
    """The road node of every hub and pickup, by id.

    Raises
    ------
    NetworkError
        Naming every hub and pickup too far from the roads at once, in the planner's
        words ("pickup 'V17'").
    """
    return snap_kinds(
        network,
        (
            ("hub", [(h.id, h.lon, h.lat) for h in problem.hubs]),
            ("pickup", [(p.id, p.lon, p.lat) for p in problem.pickups]),
        ),
        max_snap_m=max_snap_m,
    )


def snap_kinds(
    network: RoadNetwork,
    groups: Sequence[tuple[str, Sequence[tuple[str, float, float]]]],
    *,
    max_snap_m: float,
) -> dict[str, Node]:
    """The road node of every ``(id, lon, lat)`` point of each ``(kind, points)`` group.

    Raises
    ------
    NetworkError
        Naming every point too far from the roads at once, by its kind ("station 'S1'").
    """
    node_of: dict[str, Node] = {}
    found: list[InputProblem] = []
    for kind, points in groups:
        try:
            snapped = snap_points(network, list(points), max_snap_m=max_snap_m, kind=kind)
        except NetworkError as exc:
            found.extend(exc.problems)
            continue
        node_of.update(zip([pid for pid, _, _ in points], snapped.nodes, strict=True))
    if found:
        raise NetworkError(found)
    return node_of


def road_paths(network: RoadNetwork, problem: Problem, node_of: Mapping[str, Node]) -> PathsFn:
    """The run-geometry function :func:`plan_with_matrices` takes: fastest road paths."""
    avoid = {vt.profile: vt.avoid_road_classes for vt in problem.vehicle_types}

    def paths(sequences: Sequence[Sequence[str]], profile: str) -> list[list[tuple[float, float]]]:
        return path_lonlat(
            network,
            # Parts of a split pickup ("V17#2") stand where their pickup stands.
            [[node_of.get(i) or node_of[i.rsplit("#", 1)[0]] for i in seq] for seq in sequences],
            avoid_road_classes=avoid.get(profile, ()),
        )

    return paths


def plan_day(
    problem: Problem,
    *,
    network: RoadNetwork | None = None,
    options: SolveOptions | None = None,
    progress: Progress = _noop,
    timings_s: Mapping[str, float] | None = None,
    deadline: Deadline | None = None,
    known: KnownRoads | None = None,
) -> Plan:
    """Plan a day: travel matrices from the road network, solve, cost.

    Parameters
    ----------
    problem
        The validated problem.
    network
        The road network. Without one, a straight-line estimate (great-circle x 1.5
        at 25 km/h) stands in, and the plan's runs have no road geometry.
    options
        Solver options.
    progress
        Called with the name of each step as it starts ("matrices", "solve", "plan").
    deadline
        When the whole plan must be ready (default: ``options.time_limit_s`` from
        now); the solver gets what the other steps leave.
    known
        The day's travel matrices and road nodes when they were already computed (a
        batch's shared node-to-node matrix); everything after them is this same flow.

    Raises
    ------
    InputError
        Listing every hub or pickup too far from the roads, or too large for any
        vehicle.
    """
    options = options or SolveOptions()
    deadline = deadline or Deadline.after(options.time_limit_s)
    timings = dict(timings_s or {})
    full_network = network
    if network is not None and network.graph.graph.get("source") == "osm":
        return _plan_on_osm_roads(problem, network, options, progress, timings, deadline)
    progress("matrices")
    t0 = time.perf_counter()
    network, matrices, paths, node_of = road_matrices(problem, network, options, known)
    timings["matrices"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    costing = road_costing(
        problem,
        matrices,
        options.cost_model or fleet_cost_model(),
        network=network,
        node_of=node_of or None,
    )
    timings["road_costs"] = round(time.perf_counter() - t0, 3)
    plan = plan_with_matrices(
        problem,
        matrices,
        options=options,
        paths=paths,
        timings_s=timings,
        progress=progress,
        costing=costing,
        deadline=deadline,
    )
    t0 = time.perf_counter()
    plan = price_plan(
        plan,
        problem,
        matrices,
        network=network,
        options=options,
        progress=progress,
        full_network=full_network,
        costing=costing,
    )
    timings = {**plan.summary.timings_s, "pricing": round(time.perf_counter() - t0, 3)}
    return plan.model_copy(
        update={"summary": plan.summary.model_copy(update={"timings_s": timings})}
    )


@dataclass(frozen=True)
class KnownRoads:
    """A day's travel matrices (one per road profile) and the road node of each hub
    and pickup, computed before planning on the same, unclosed roads."""

    matrices: Mapping[str, TravelMatrix]
    node_of: Mapping[str, Node]


def road_matrices(
    problem: Problem,
    network: RoadNetwork | None,
    options: SolveOptions,
    known: KnownRoads | None = None,
) -> tuple[RoadNetwork | None, dict[str, TravelMatrix], PathsFn | None, dict[str, Node]]:
    """Today's roads (closed ones removed), the travel matrices, run geometry and snaps.

    Without a network, the straight-line estimate and no geometry. ``known`` matrices
    stand for the computed ones only on a day without closed roads.
    """
    if network is None:
        return None, matrices_for(problem, StraightLineMatrixProvider()), None, {}
    if known is not None and not problem.closed_roads:
        node_of = dict(known.node_of)
        return network, dict(known.matrices), road_paths(network, problem, node_of), node_of
    if problem.closed_roads:
        from routing.network import without_roads

        network = without_roads(network, problem.closed_roads)
    node_of = snap_day(problem, network, max_snap_m=options.max_snap_m)
    provider = RoadMatrixProvider(network, max_snap_m=options.max_snap_m)
    matrices = matrices_for(problem, provider)
    return network, matrices, road_paths(network, problem, node_of), node_of


def _plan_on_osm_roads(
    problem: Problem,
    network: RoadNetwork,
    options: SolveOptions,
    progress: Progress,
    timings: dict[str, float],
    deadline: Deadline,
) -> Plan:
    """:func:`plan_day` on OSM roads: each vehicle's own roads, snapping onto segments.

    The engines minimise the cost model on each vehicle's own fastest paths, climbs
    included, and the plan is priced from the same paths.
    """
    from routing.roads.flow import day_costing, prepare_day, price_climbs

    progress("matrices")
    t0 = time.perf_counter()
    day = prepare_day(problem, network, max_snap_m=options.max_snap_m)
    timings["matrices"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    costing = day_costing(problem, day, options.cost_model or fleet_cost_model())
    timings["road_costs"] = round(time.perf_counter() - t0, 3)
    plan = plan_with_matrices(
        problem,
        day.matrices,
        options=options,
        paths=day.paths,
        timings_s=timings,
        progress=progress,
        costing=costing,
        deadline=deadline,
    )
    plan = price_climbs(plan, problem, day, options=options, costing=costing)
    return price_plan(
        plan,
        problem,
        day.matrices,
        network=day.cost_network,
        options=options,
        progress=progress,
        full_network=network,
        costing=costing,
    )
