"""Large single problems on a Dask cluster: split around the hub, solve parts, repair borders.

A region with thousands of pickups is planned in three phases, every solve a Dask task:

1. **sectors** - the pickups are cut into angular sectors of similar load around the
   hub (:func:`routing.solve.decompose.split_by_angle`); each sector, with its share
   of the fleet, is solved from scratch as one task; the parts are merged;
2. **borders** - the merged routes are cut again with the cuts turned by half a part
   (:func:`routing.solve.decompose.split_by_routes`, ``rotation=0.5``), so each new
   part holds the border routes of two neighbouring sectors (plus the pickups left
   out nearby); each is re-solved warm-started from its routes and the merge is kept
   if it is better; the rounds alternate the cut positions while time remains;
3. **polish** - for instances up to :data:`POLISH_MAX_CLIENTS` clients, one short
   full-instance pass warm-started from the best merge (``initial=``).

Only sub-instances travel to the workers (a few hundred clients each), never the full
``n x n`` matrices; the full instance stays on the client, which also judges every
candidate with our own checker (:func:`routing.solve.portfolio.judge`).

Engines: PyVRP when the instance has no feature it cannot model, OR-Tools otherwise.
OR-Tools parts are kept small (:data:`PART_CLIENTS`): its first-solution heuristics
grow much faster than linearly with clients x vehicles.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from routing.build import BuiltInstance, build_instance, check_fits
from routing.costs import fleet_cost_model
from routing.errors import InputError, SolveError
from routing.matrix import (
    TravelMatrix,
)
from routing.model import Plan, Problem
from routing.network import RoadNetwork
from routing.pipeline import PathsFn, SolveOptions, price_plan, road_matrices
from routing.plan import assemble_plan
from routing.road_cost import RoadCosting, road_costing
from routing.solve import decompose
from routing.solve.instance import Instance, Solution
from routing.solve.portfolio import Verdict, best_of, judge

if TYPE_CHECKING:
    from distributed import Client

#: Target clients per part, by engine.
PART_CLIENTS = {"ortools": 60, "pyvrp": 800, "pyvrp-relaxed": 800}

#: Above this many clients the full-instance polish is skipped (its matrices would
#: have to travel to a worker, and one process cannot improve much in a short pass).
POLISH_MAX_CLIENTS = 1500

#: Shares of the wall-clock budget: sectors, borders (the rest polishes or, without a
#: polish, goes to more border rounds).
PHASE_SHARES = (0.45, 0.4)


@dataclass(frozen=True)
class DecomposedPlan:
    """A decomposed plan and how it was made."""

    plan: Plan
    parts: int
    engine: str
    workers: int
    wall_s: float
    cpu_budget_s: float
    """Worker-seconds the phases could use: ``workers x time_limit_s``."""
    costs_rmb: dict[str, float] = field(default_factory=dict)
    """Our own cost of the incumbent after each phase/round, RMB."""


def engine_for(instance: Instance) -> str:
    """``"pyvrp"``; ``"pyvrp-relaxed"`` (PyVRP, then repaired against the full problem)
    when the features PyVRP lacks can be relaxed; else ``"ortools"``."""
    from routing.solve.pyvrp_features import relaxable, unsupported_features

    if not unsupported_features(instance):
        return "pyvrp"
    return "pyvrp-relaxed" if relaxable(instance) else "ortools"


def solve_part(
    instance: Instance,
    engine: str,
    time_limit_s: float,
    seed: int,
    initial: Solution | None = None,
) -> Solution:
    """Solve one part with one engine (the Dask task; budgets are relative seconds).

    Parameters
    ----------
    instance
        The sub-instance.
    engine
        ``"pyvrp"``, ``"pyvrp-relaxed"`` or ``"ortools"``.
    time_limit_s
        Seconds for this part, measured on the worker (clocks of different machines
        are never compared).
    seed
        Random seed.
    initial
        Warm start, in the sub-instance's client numbering.

    Returns
    -------
    Solution
    """
    if engine == "pyvrp":
        from routing.solve.pyvrp_engine import solve_pyvrp

        return solve_pyvrp(instance, time_limit_s=time_limit_s, seed=seed, initial=initial)
    if engine == "pyvrp-relaxed":
        from routing.solve.pyvrp_engine import solve_pyvrp_relaxed

        return solve_pyvrp_relaxed(instance, time_limit_s=time_limit_s, seed=seed, initial=initial)
    from routing.solve.ortools_engine import solve_ortools

    return solve_ortools(instance, time_limit_s=time_limit_s, seed=seed, initial=initial)


def _run_parts(
    client: Client,
    instance: Instance,
    parts: list[decompose.Part],
    *,
    engine: str,
    budget_s: float,
    workers: int,
    seed: int,
) -> Solution | None:
    """Solve ``parts`` as Dask tasks within about ``budget_s`` wall seconds; merge them."""
    waves = math.ceil(len(parts) / max(1, workers))
    per_part = max(1.0, budget_s / waves)
    # Scattered, not embedded in the task graph: a part's matrices are megabytes.
    instances = client.scatter([p.instance for p in parts], hash=False)  # type: ignore[no-untyped-call]
    futures = [
        client.submit(solve_part, sub, engine, per_part, seed + i, p.initial, pure=False, retries=1)
        for i, (sub, p) in enumerate(zip(instances, parts, strict=True))
    ]
    try:
        solutions: list[Solution] = client.gather(futures)  # type: ignore[no-untyped-call]
    except SolveError:
        return None
    return decompose.merge(instance, parts, solutions)


def _worker_threads(client: Client) -> int:
    """Threads of all the cluster's workers (at least one)."""
    return max(
        1, sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values())
    )


def _solve_sectors(
    client: Client,
    instance: Instance,
    *,
    parts: int,
    engine: str,
    budget_s: float,
    workers: int,
    seed: int,
    stats: dict[str, Any],
) -> Verdict:
    """Solve ``parts`` angular sectors around the hub from scratch; the judged merge.

    Its cost goes into ``stats`` as ``cost_sectors``.
    """
    sectors = decompose.split_by_angle(instance, parts)
    merged = _run_parts(
        client,
        instance,
        sectors,
        engine=engine,
        budget_s=budget_s,
        workers=workers,
        seed=seed,
    )
    if merged is None:
        raise SolveError("the sector solves failed")
    verdict = judge(instance, merged)
    stats["cost_sectors"] = verdict.cost
    return verdict


def _decomposed_solution(
    best: Verdict, *, engine: str, wall_s: float, stats: dict[str, Any]
) -> Solution:
    """The incumbent as the decomposition's answer: our own cost, the numeric stats."""
    return Solution(
        routes=best.solution.routes,
        unassigned=best.solution.unassigned,
        cost=best.cost,
        engine=f"dask-decomposed:{engine}",
        wall_s=wall_s,
        stats={k: float(v) for k, v in stats.items() if isinstance(v, int | float)},
    )


def _repair_borders(
    client: Client,
    instance: Instance,
    best: Verdict,
    *,
    parts: int,
    engine: str,
    workers: int,
    seed: int,
    until: float,
    stats: dict[str, Any],
) -> Verdict:
    """Re-solve the incumbent's border routes in rounds until ``until`` (monotonic s).

    Each round's cost goes into ``stats`` as ``cost_borders_<round>``; the better of
    the incumbent and each round's merge is kept.
    """
    rnd = 0
    while time.monotonic() + 1.0 < until:
        rnd += 1
        remaining = until - time.monotonic()
        # Two rounds when there is time: borders first, then the original cuts again.
        budget = remaining if rnd > 1 or remaining < 4.0 else remaining / 2
        # Clients the incumbent leaves out (optional pickups) join the part nearest them.
        split = decompose.split_by_routes(
            instance, best.solution, parts, rotation=0.5 if rnd % 2 else 0.0
        )
        if len(split) < 2:
            break
        repaired = _run_parts(
            client,
            instance,
            split,
            engine=engine,
            budget_s=budget,
            workers=workers,
            seed=seed + 100 * rnd,
        )
        if repaired is None:
            break
        verdict = judge(instance, repaired)
        stats[f"cost_borders_{rnd}"] = verdict.cost
        best = best_of([best, verdict])
    return best


def _polish(
    client: Client,
    instance: Instance,
    best: Verdict,
    *,
    engine: str,
    seed: int,
    until: float,
    stats: dict[str, Any],
) -> Verdict:
    """One full-instance solve warm-started from ``best`` until ``until`` (monotonic s).

    Less than a second left, or a failed polish, keeps ``best``; a finished one records
    ``cost_polish`` in ``stats`` and the better of the two is kept.
    """
    time_limit_s = until - time.monotonic()
    if time_limit_s <= 1.0:
        return best
    full = client.scatter(instance, hash=False)  # type: ignore[no-untyped-call]
    fut = client.submit(
        solve_part, full, engine, time_limit_s, seed + 1000, best.solution, pure=False
    )
    try:
        verdict = judge(instance, fut.result())
    except SolveError:
        return best
    stats["cost_polish"] = verdict.cost
    return best_of([best, verdict])


def solve_decomposed(
    client: Client,
    instance: Instance,
    *,
    time_limit_s: float,
    seed: int = 0,
    parts: int | None = None,
    engine: str | None = None,
) -> tuple[Solution, dict[str, Any]]:
    """Solve a large instance by sectors, border repair and polish on a Dask cluster.

    Parameters
    ----------
    client
        A connected Dask client.
    instance
        One depot, clients with planar ``coords`` and no locked runs.
    time_limit_s
        Wall-clock budget in seconds; the cluster's workers all work for it.
    seed
        Base random seed.
    parts
        Number of sectors (default: clients / :data:`PART_CLIENTS` of the engine, at
        least one per worker).
    engine
        ``"pyvrp"``, ``"pyvrp-relaxed"`` or ``"ortools"``; default :func:`engine_for`.

    Returns
    -------
    tuple of (Solution, dict)
        The best plan (``cost`` is our own) and stats: parts, engine, workers and the
        incumbent cost after each phase (cost units).

    Raises
    ------
    SolveError
        If the instance cannot be split (several depots, locked runs, no coordinates)
        or no phase produced a plan.
    """
    if instance.coords is None or instance.num_depots != 1 or instance.locked:
        raise SolveError("decomposition needs one hub, coordinates and no locked runs")
    start = time.monotonic()
    engine = engine or engine_for(instance)
    workers = _worker_threads(client)
    k = parts or max(workers, math.ceil(instance.num_clients / PART_CLIENTS[engine]))
    stats: dict[str, Any] = {"parts": k, "engine": engine, "workers": workers}
    polish = instance.num_clients <= POLISH_MAX_CLIENTS

    best = _solve_sectors(
        client,
        instance,
        parts=k,
        engine=engine,
        budget_s=PHASE_SHARES[0] * time_limit_s,
        workers=workers,
        seed=seed,
        stats=stats,
    )

    borders_end = start + (sum(PHASE_SHARES) if polish else 1.0) * time_limit_s
    best = _repair_borders(
        client,
        instance,
        best,
        parts=k,
        engine=engine,
        workers=workers,
        seed=seed,
        until=borders_end,
        stats=stats,
    )
    if polish:
        end = start + time_limit_s
        best = _polish(client, instance, best, engine=engine, seed=seed, until=end, stats=stats)
    stats["cost"] = best.cost
    return _decomposed_solution(
        best, engine=engine, wall_s=time.monotonic() - start, stats=stats
    ), stats


def _costs_rmb(stats: dict[str, Any], cost_scale: int) -> dict[str, float]:
    """The incumbent's cost after each phase/round in RMB, keyed by phase (``final``)."""
    return {
        key.removeprefix("cost_") if key != "cost" else "final": value / cost_scale
        for key, value in stats.items()
        if key.startswith("cost")
    }


def _built_instance(
    problem: Problem,
    network: RoadNetwork | None,
    options: SolveOptions,
    *,
    timings: dict[str, float],
    t0: float,
) -> tuple[BuiltInstance, dict[str, TravelMatrix], PathsFn | None, RoadCosting, RoadNetwork | None]:
    """The integer instance, its travel matrices, the road paths of the plan, the costing
    the engines minimise and today's roads, as :func:`routing.pipeline.plan_day` makes them
    (closed roads removed, every point off the roads reported at once).

    Records ``matrices`` and ``build`` seconds (since ``t0``) in ``timings``.
    """
    roads, matrices, paths, node_of = road_matrices(problem, network, options)
    timings["matrices"] = round(time.perf_counter() - t0, 3)
    # The engines minimise the hub's cost model (the fleet's rates without one).
    costing = road_costing(
        problem,
        matrices,
        options.cost_model or fleet_cost_model(),
        network=roads,
        node_of=node_of or None,
    )
    built = build_instance(problem, matrices, costing=costing)
    timings["build"] = round(time.perf_counter() - t0 - timings["matrices"], 3)
    if not built.instance.num_clients:
        raise InputError("no pickup can be served by this fleet; see the screened pickups")
    return built, matrices, paths, costing, roads


def _priced_plan(
    problem: Problem,
    built: BuiltInstance,
    solution: Solution,
    matrices: dict[str, TravelMatrix],
    paths: PathsFn | None,
    costing: RoadCosting,
    roads: RoadNetwork | None,
    network: RoadNetwork | None,
    options: SolveOptions,
    timings: dict[str, float],
) -> Plan:
    """The merged solution as a plan: assembled, then priced, compared with the baselines
    and checked as every plan of :func:`routing.pipeline.plan_day` is."""
    t0 = time.perf_counter()
    plan = assemble_plan(
        problem,
        built,
        solution,
        matrices,
        allocation=options.allocation,
        paths=paths,
        timings_s=timings,
    )
    timings["assemble"] = round(time.perf_counter() - t0, 3)
    plan = price_plan(
        plan,
        problem,
        matrices,
        network=roads,
        options=options,
        full_network=network,
        costing=costing,
    )
    return plan.model_copy(
        update={"summary": plan.summary.model_copy(update={"timings_s": timings})}
    )


def plan_decomposed(
    problem: Problem,
    *,
    client: Client,
    network: RoadNetwork | None = None,
    options: SolveOptions | None = None,
    parts: int | None = None,
) -> DecomposedPlan:
    """Plan a large one-hub problem by decomposition on a Dask cluster.

    Travel matrices and the plan's costs and road geometry are computed here (the
    client); the solves run on the cluster (see the module docstring).

    Parameters
    ----------
    problem
        The validated problem (one hub, no locked runs).
    client
        A connected Dask client.
    network
        The road network, or None for straight-line estimates.
    options
        ``time_limit_s`` is the wall-clock budget of the solve; ``seed``, ``allocation``
        and ``max_snap_m`` as for :func:`routing.pipeline.plan_day`.
    parts
        Number of sectors (default: from the size, see :func:`solve_decomposed`).

    Returns
    -------
    DecomposedPlan

    Raises
    ------
    InputError
        For points off the roads or pickups too large for every vehicle.
    SolveError
        If the problem cannot be decomposed.
    """
    options = options or SolveOptions()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    check_fits(problem)
    built, matrices, paths, costing, roads = _built_instance(
        problem, network, options, timings=timings, t0=t0
    )
    t1 = time.perf_counter()
    solution, stats = solve_decomposed(
        client, built.instance, time_limit_s=options.time_limit_s, seed=options.seed, parts=parts
    )
    timings["solve"] = round(time.perf_counter() - t1, 3)
    plan = _priced_plan(
        problem, built, solution, matrices, paths, costing, roads, network, options, timings
    )
    return DecomposedPlan(
        plan=plan,
        parts=int(stats["parts"]),
        engine=str(stats["engine"]),
        workers=int(stats["workers"]),
        wall_s=round(time.perf_counter() - t0, 3),
        cpu_budget_s=float(stats["workers"]) * options.time_limit_s,
        costs_rmb=_costs_rmb(stats, built.instance.cost_scale),
    )
