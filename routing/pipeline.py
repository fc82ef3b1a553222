"""The whole planning path in one call: problem → matrices → solve → plan.

Data flows one way: validated problem, then one travel matrix per road profile, then
the integer instance, then an engine, then the plan with its costs. Each step is timed
so that the summary says where the time went.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from routing.baselines import add_baselines
from routing.build import BuiltInstance, build_instance, check_fits, split_oversize
from routing.costs import CostModel, apply_cost_model, fleet_cost_model
from routing.deadline import Deadline
from routing.errors import NetworkError
from routing.errors import Problem as InputProblem
from routing.matrix import (
    MatrixProvider,
    RoadMatrixProvider,
    StraightLineMatrixProvider,
    TravelMatrix,
)
from routing.model import Plan, Problem
from routing.network import Node, RoadNetwork
from routing.paths import path_lonlat, snap_points
from routing.plan import assemble_plan
from routing.road_cost import RoadCosting, handling_and_overhead_rmb, road_costing
from routing.solve.instance import Instance, Solution
from routing.solve.objective import route_costs
from routing.solve.ortools_engine import solve_ortools

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SolveOptions:
    """How to plan.

    Parameters
    ----------
    time_limit_s
        Solver budget in seconds (wall clock).
    seed
        Random seed for the engines; the same input, seed and ``iterations`` give the
        same plan.
    iterations
        Stop after this many improving solutions rather than on the clock alone, for
        bit-for-bit reproducible plans on any machine. ``None``: clock only.
    allocation
        Cost allocation methods; the first one fills each stop's ``cost_rmb``.
    max_snap_m
        Farthest a hub or pickup may be from the nearest road, metres.
    engines
        ``("auto",)`` lets the portfolio choose; or name engines such as
        ``("ortools",)`` or ``("pyvrp",)``.
    workers
        Processes the portfolio may use (the machine's cores by default: 2).
    cost_model
        The hub's cost model (road-class factors, handling, overheads); ``None``
        costs runs with the fleet's own rates.
    baselines
        Add the savings against direct runs and a nearest-neighbour plan.
    """

    time_limit_s: float = 10.0
    seed: int = 0
    iterations: int | None = None
    allocation: tuple[str, ...] = ("proportional",)
    max_snap_m: float = 2000.0
    engines: tuple[str, ...] = ("auto",)
    workers: int = 2
    cost_model: CostModel | None = None
    baselines: bool = True


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
        return solve_ortools(
            instance,
            time_limit_s=options.time_limit_s,
            seed=options.seed,
            iterations=options.iterations,
        )
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
    paths: Callable[[Sequence[Sequence[str]], str], list[list[tuple[float, float]]]] | None = None,
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
    plan = assemble_plan(
        problem,
        built,
        solution,
        matrices,
        allocation=options.allocation,
        paths=paths,
        timings_s=timings,
    )
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
    costing: RoadCosting | None = None,
) -> Plan:
    """Re-cost with the hub's cost model (if any) and add the baselines' savings.

    With ``costing`` (the cost model's charged metres over ``matrices``) the legs are
    looked up rather than followed on the roads again.
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
    return plan


def plan_day(
    problem: Problem,
    *,
    network: RoadNetwork | None = None,
    options: SolveOptions | None = None,
    progress: Progress = _noop,
    timings_s: Mapping[str, float] | None = None,
    deadline: Deadline | None = None,
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

    Raises
    ------
    InputError
        Listing every hub or pickup too far from the roads, or too large for any
        vehicle.
    """
    options = options or SolveOptions()
    deadline = deadline or Deadline.after(options.time_limit_s)
    timings = dict(timings_s or {})
    if network is not None and network.graph.graph.get("source") == "osm":
        from routing.roads.flow import plan_on_roads  # per-vehicle roads, snapping on segments

        return plan_on_roads(
            problem, network, options=options, progress=progress, timings_s=timings
        )
    progress("matrices")
    t0 = time.perf_counter()
    provider: MatrixProvider
    paths = None
    node_of: dict[str, Node] = {}
    if network is not None:
        if problem.closed_roads:
            from routing.network import without_roads

            network = without_roads(network, problem.closed_roads)
        # Snap once here so that every hub and pickup too far from the roads is
        # reported together, with the planner's words ("pickup 'V17'").
        found: list[InputProblem] = []
        for kind, points in (
            ("hub", [(h.id, h.lon, h.lat) for h in problem.hubs]),
            ("pickup", [(p.id, p.lon, p.lat) for p in problem.pickups]),
        ):
            try:
                snapped = snap_points(network, points, max_snap_m=options.max_snap_m, kind=kind)
            except NetworkError as exc:
                found.extend(exc.problems)
                continue
            node_of.update(zip([pid for pid, _, _ in points], snapped.nodes, strict=True))
        if found:
            raise NetworkError(found)
        provider = RoadMatrixProvider(network, max_snap_m=options.max_snap_m)
        road_net = network
        avoid = {vt.profile: vt.avoid_road_classes for vt in problem.vehicle_types}

        def paths(
            sequences: Sequence[Sequence[str]], profile: str
        ) -> list[list[tuple[float, float]]]:
            return path_lonlat(
                road_net,
                # Parts of a split pickup ("V17#2") stand where their pickup stands.
                [
                    [node_of.get(i) or node_of[i.rsplit("#", 1)[0]] for i in seq]
                    for seq in sequences
                ],
                avoid_road_classes=avoid.get(profile, ()),
            )
    else:
        provider = StraightLineMatrixProvider()
    matrices = matrices_for(problem, provider)
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
        costing=costing,
    )
    timings = {**plan.summary.timings_s, "pricing": round(time.perf_counter() - t0, 3)}
    return plan.model_copy(
        update={"summary": plan.summary.model_copy(update={"timings_s": timings})}
    )
