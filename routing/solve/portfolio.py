"""Portfolio: run engines side by side on the available cores and keep the best plan.

Every candidate is re-checked by our own code (:mod:`routing.solve.check`): a
feasible candidate beats an infeasible one, then the lower independently computed
cost wins, then the earlier candidate (so the choice is deterministic). Engines'
own objectives are never compared.

Default plan (``engines=("auto",)``):

- features only OR-Tools models (time on board, breaks, locked runs, per-run costs):
  where the problem without time on board and per-run costs is one PyVRP models,
  PyVRP solves that relaxation on every core and its plan is repaired against the
  full problem (:mod:`routing.solve.repair`); up to :data:`POLISH_MAX_CLIENTS`
  clients the last :data:`POLISH_SHARE` of the budget is the polish round, OR-Tools
  with every constraint started from the best plan (:func:`_polish`); else (breaks,
  locked runs) OR-Tools alone or twice, one strategy per seed;
- otherwise PyVRP with ``workers`` different seeds in parallel (``seed``,
  ``seed + 1``, ...), in :data:`COOPERATIVE_ROUNDS` rounds that each restart every
  core from the best plan so far (also for the relaxed PyVRP runs above);
- from :data:`DECOMPOSE_MIN_CLIENTS` clients on (must-collect and optional alike):
  angular sectors solved in parallel and merged, then rounds of route-based splits
  of the best plan (:mod:`routing.solve.decompose`), then a short full-instance
  improvement pass warm-started from the merged plan.

Each engine stops before the portfolio's deadline by the time its answer takes to map
back, repair and judge (:func:`after_engine_s`, corrected round by round), and an
answer from a worker process that overruns its deadline is not awaited.

The first candidate of each round runs in this process and the others in spawned
worker processes, so the parallel part costs one process start-up, not two.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace

from routing.errors import SolveError
from routing.solve import decompose
from routing.solve.check import check_solution
from routing.solve.instance import Instance, Solution
from routing.solve.objective import objective_cost
from routing.solve.repair import make_feasible

log = logging.getLogger(__name__)

ENGINES = ("pyvrp", "ortools", "pyvrp-relaxed")
"""Engine names accepted in ``engines`` (besides ``"auto"``)."""

DECOMPOSE_MIN_CLIENTS = 1_000
"""From this many clients on, the automatic plan adds a decomposition phase."""

_PHASE_SHARES = (0.3, 0.55)
"""Shares of the budget for the sector solve and for the route-split rounds; the rest
polishes the whole instance."""

PART_MAX_CLIENTS = 1_500
"""Parts are made no larger than about this many clients."""

DECOMPOSE_ROUNDS = 3
"""Route-split rounds in the decomposition phase (each turns the borders)."""

ROUND_MIN_S = 1.0

COOPERATIVE_ROUNDS = 8
"""Rounds of the cooperative search (fewer when the budget is under 8 rounds of
:data:`ROUND_MIN_S`)."""

_RESTARTABLE = {"pyvrp", "pyvrp-relaxed"}
"""Engines whose runs restart from a warm start in the cooperative rounds."""

SPAWN_MIN_S = 3.0
"""Under this budget the portfolio runs in this process alone: starting a worker
process (interpreter, imports, the instance) takes 1-4 s on a busy machine, and its
run would start after the deadline."""

POLISH_MAX_CLIENTS = 600
"""Up to this many clients, OR-Tools polishes the best relaxed-and-repaired plan."""

POLISH_SHARE = 0.25
"""Share of the budget for the polish round (OR-Tools from the best plan so far, on
the full problem, beside relaxed PyVRP from the same plan)."""

EngineFn = Callable[..., Solution]

AFTER_ENGINE_S_PER_CLIENT = {"pyvrp-relaxed": 8e-4, "pyvrp": 2e-4, "ortools": 2e-4}
"""Seconds per client from an engine's deadline to its judged plan (mapping back, the
repair of a relaxed plan, our own check), measured at 2,000 clients on a loaded
2-core machine. Engines stop this much before the portfolio's deadline, and the
cooperative rounds then correct the estimate by what they measure."""


def after_engine_s(instance: Instance, names: Sequence[str]) -> float:
    """Estimated seconds from the engines' deadline to the judged round."""
    per = max((AFTER_ENGINE_S_PER_CLIENT.get(n, 2e-4) for n in names), default=2e-4)
    return 0.05 + per * instance.num_clients


def _engine(name: str) -> EngineFn:
    # Imported on demand: a worker process only loads the engine it runs.
    if name == "pyvrp":
        from routing.solve.pyvrp_engine import solve_pyvrp

        return solve_pyvrp
    if name == "ortools":
        from routing.solve.ortools_engine import solve_ortools

        return solve_ortools
    if name == "pyvrp-relaxed":
        from routing.solve.pyvrp_engine import solve_pyvrp_relaxed

        return solve_pyvrp_relaxed
    raise SolveError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)} or 'auto'")


@dataclass(frozen=True)
class Task:
    """One engine run: picklable, so it can cross to a worker process."""

    engine: str
    instance: Instance | None
    """None in a worker process: the instance its pool was started with."""
    deadline: float
    """``time.monotonic()`` at which the run must be over (system-wide on Linux)."""
    seed: int = 0
    initial: Solution | None = None


def run_task(task: Task) -> Solution:
    """Run one task until its deadline (module-level so worker processes can call it)."""
    budget = max(0.05, task.deadline - time.monotonic())
    fn = _engine(task.engine)
    instance = task.instance if task.instance is not None else _SHARED[0]
    return fn(instance, time_limit_s=budget, seed=task.seed, initial=task.initial)


_SHARED: list[Instance] = []
"""In a worker process: the instance its pool was started with (see :class:`_Runner`)."""


def _share(instance: Instance | None) -> None:
    _SHARED[:] = [] if instance is None else [instance]


@dataclass(frozen=True)
class Verdict:
    """A candidate with our own cost and violations."""

    solution: Solution
    cost: int
    violations: tuple[str, ...]


def judge(instance: Instance, solution: Solution) -> Verdict:
    """Re-evaluate a candidate independently of the engine that made it."""
    return Verdict(
        solution, objective_cost(instance, solution), tuple(check_solution(instance, solution))
    )


def best_of(verdicts: Sequence[Verdict]) -> Verdict:
    """Feasible first, then lowest cost, then earliest (deterministic)."""
    if not verdicts:
        raise SolveError("no engine returned a solution")
    return min(enumerate(verdicts), key=lambda iv: (bool(iv[1].violations), iv[1].cost, iv[0]))[1]


class _Runner:
    """Runs rounds of tasks: the first in this process, the rest in worker processes."""

    def __init__(self, workers: int, shared: Instance | None = None) -> None:
        self.workers = max(1, workers)
        self.shared = shared
        self._pool: ProcessPoolExecutor | None = None
        self.grace_s = 1.0 if shared is None else 1.0 + after_engine_s(shared, ["pyvrp-relaxed"])
        """How long after its deadline a worker's answer is still awaited."""
        self._late = False

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is None:
            return
        if self._late:
            # A worker still busy past its deadline (a first solution that cannot be
            # interrupted, a process that started late): its answer is not awaited.
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            return
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: safe when the caller has threads (the web service, OR-Tools).
            # The shared instance crosses to each worker once, not with every task:
            # on 1,000 clients its matrices are 15 MB, pickled in every round.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers - 1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_share,
                initargs=(self.shared,),
            )
        return self._pool

    def run(self, tasks: Sequence[Task]) -> list[Solution | None]:
        """Run tasks in parallel; a failed task gives ``None`` (the others still count)."""
        futures: list[Future[Solution]] = []
        if self.workers > 1:
            futures = [
                self._executor().submit(
                    run_task,
                    replace(t, instance=None)
                    if self.shared is not None and t.instance is self.shared
                    else t,
                )
                for t in tasks[1:]
            ]
        results: list[Solution | None] = []
        try:
            results.append(run_task(tasks[0]))
        except SolveError as exc:
            log.warning("engine %s returned no plan: %s", tasks[0].engine, exc)
            results.append(None)
        if self.workers == 1:
            for t in tasks[1:]:
                try:
                    results.append(run_task(t))
                except SolveError as exc:
                    log.warning("engine %s returned no plan: %s", t.engine, exc)
                    results.append(None)
            return results
        for fut, task in zip(futures, tasks[1:], strict=True):
            wait_s = task.deadline + self.grace_s - time.monotonic()
            try:
                results.append(fut.result(timeout=max(0.0, wait_s)))
            except TimeoutError:
                log.warning("an engine in a worker process overran its deadline; not awaited")
                self._late = True
                results.append(None)
            except (SolveError, OSError, RuntimeError, ValueError, MemoryError) as exc:
                log.warning("an engine in a worker process returned no plan: %r", exc)
                results.append(None)
        return results


def plan_engines(instance: Instance, engines: Sequence[str], workers: int) -> list[str]:
    """Return the engine of each parallel run for a one-round portfolio."""
    from routing.solve.pyvrp_features import relaxable, unsupported_features

    names = [e for e in engines if e != "auto"]
    for name in names:
        if name not in ENGINES:
            raise SolveError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
    if unsupported_features(instance):
        if workers < 2 or names:
            # On one core the relaxed PyVRP run: it always returns a plan, where
            # OR-Tools under a short budget on a busy machine may find none at all.
            return names or (["pyvrp-relaxed"] if relaxable(instance) else ["ortools"])
        # PyVRP solves the problem without what it cannot model and its plan is
        # repaired against the full problem; the judge re-checks it like any other.
        # Where the problem cannot even be relaxed, OR-Tools runs twice with different
        # strategies (one per seed).
        if relaxable(instance):
            # OR-Tools' role here is the polish round (see :func:`_polish`): started from
            # a plan it needs no construction, which on a tight day alone can outlast
            # the budget.
            return ["pyvrp-relaxed", "pyvrp-relaxed"]
        return ["ortools", "ortools"]
    if not names:
        names = ["pyvrp"]
    # With fewer engines than workers, the first engine runs again with other seeds.
    while len(names) < workers and names[0] == "pyvrp":
        names.append("pyvrp")
    return names


def solve(
    instance: Instance,
    *,
    time_limit_s: float,
    seed: int = 0,
    engines: Sequence[str] = ("auto",),
    workers: int = 2,
    decompose_min_clients: int = DECOMPOSE_MIN_CLIENTS,
) -> Solution:
    """Solve an instance with a portfolio of engines and keep the best plan.

    Parameters
    ----------
    instance
        The frozen integer instance.
    time_limit_s
        Wall-clock budget in seconds for the whole portfolio.
    seed
        Base random seed (default 0); run ``i`` of an engine uses ``seed + i``.
    engines
        ``("auto",)`` (default) for the plan in the module docstring, or engine names
        from :data:`ENGINES` to run side by side (e.g. ``("pyvrp", "ortools")``).
        Instances with features only OR-Tools models always go to OR-Tools.
    workers
        Processes to use (default 2, one per core).
    decompose_min_clients
        From this many clients on, the automatic plan decomposes (see the module
        docstring).

    Returns
    -------
    Solution
        The winning plan. ``cost`` is our own re-evaluation (:func:`objective_cost`),
        ``engine`` is ``"portfolio:<winner>"``, and ``stats`` holds each candidate's
        cost and the number of violations of the winner (0 when feasible).

    Raises
    ------
    SolveError
        If no engine returned a solution.
    """
    start = time.monotonic()
    auto = all(e == "auto" for e in engines)
    if auto and time_limit_s < SPAWN_MIN_S:
        workers = 1
    names = plan_engines(instance, engines, workers)
    deadline = start + max(0.05, time_limit_s - after_engine_s(instance, names))
    big = (
        auto
        and names[0] in _RESTARTABLE
        and instance.num_clients >= decompose_min_clients
        and decompose.can_decompose(instance)
    )
    polish = _polishes(instance, names, auto and not big, workers)
    if polish:
        main_s = time_limit_s * (1 - POLISH_SHARE)
        deadline = start + max(0.05, main_s - after_engine_s(instance, names))
        time_limit_s, full_s = main_s, time_limit_s
    stats: dict[str, float] = {}
    verdicts: list[Verdict] = []
    with _Runner(workers if big else min(workers, len(names)), shared=instance) as runner:
        if big:
            # The merged plans are judged on the whole instance after the parts stop.
            budget_s = max(0.1, time_limit_s - 2 * after_engine_s(instance, names))
            verdicts = _decompose_and_polish(
                instance, runner, names[0], start, budget_s, seed, stats
            )
        elif auto and len(names) > 1 and set(names) <= _RESTARTABLE:
            verdicts = _cooperative(instance, runner, names, start, time_limit_s, seed, stats)
        else:
            tasks = [Task(name, instance, deadline, seed + i) for i, name in enumerate(names)]
            for i, sol in enumerate(runner.run(tasks)):
                if sol is not None:
                    verdicts.append(judge(instance, sol))
                    stats[f"cost_{i}_{sol.engine}"] = float(verdicts[-1].cost)
        if polish and verdicts:
            verdicts += _polish(instance, runner, best_of(verdicts), start + full_s, seed, stats)
    return _deliver(instance, best_of(verdicts), stats, start)


def _deliver(
    instance: Instance, winner: Verdict, stats: dict[str, float], start: float
) -> Solution:
    """The winning plan, never with a broken run: what cannot be repaired is unassigned."""
    if winner.violations:
        stats["violations_repaired"] = float(len(winner.violations))
        winner = judge(instance, make_feasible(instance, winner.solution))
    stats["violations"] = float(len(winner.violations))
    return replace(
        winner.solution,
        cost=winner.cost,
        engine=f"portfolio:{winner.solution.engine}",
        wall_s=time.monotonic() - start,
        stats=stats,
    )


def _polishes(instance: Instance, names: Sequence[str], auto: bool, workers: int) -> bool:
    """Whether OR-Tools polishes the relaxed plan (see :func:`_polish`)."""
    from routing.solve.pyvrp_features import relaxable

    return (
        auto
        and workers >= 2
        and instance.needs_ortools
        and "pyvrp-relaxed" in names
        and relaxable(instance)
        and instance.num_clients <= POLISH_MAX_CLIENTS
    )


def _polish(
    instance: Instance,
    runner: _Runner,
    best: Verdict,
    end: float,
    seed: int,
    stats: dict[str, float],
) -> list[Verdict]:
    """OR-Tools from the best plan so far, with every constraint, beside relaxed PyVRP.

    Relaxed PyVRP ignores time on board and per-run fixed costs and its plan is then
    repaired; OR-Tools models both, so started from that plan
    (``ReadAssignmentFromRoutes``) its local search moves perishables and merges runs
    that the relaxation could not see. The judge keeps whichever plan is best.
    """
    names = ["pyvrp-relaxed", "ortools"]
    stop = max(time.monotonic() + 0.05, end - after_engine_s(instance, names))
    tasks = [
        Task("pyvrp-relaxed", instance, stop, seed + 500, best.solution),
        Task("ortools", instance, stop, seed, best.solution),
    ]
    out: list[Verdict] = []
    for name, sol in zip(names, runner.run(tasks), strict=True):
        if sol is not None:
            out.append(judge(instance, sol))
            stats[f"cost_polish_{name}"] = float(out[-1].cost)
    return out


def _cooperative(
    instance: Instance,
    runner: _Runner,
    names: Sequence[str],
    begin: float,
    time_limit_s: float,
    seed: int,
    stats: dict[str, float],
) -> list[Verdict]:
    """Rounds of parallel runs, each round's runs all starting from the best plan so far.

    Independent seeds only keep the best of two searches; restarting both cores from
    the incumbent every round lets each profit from the other's progress. Measured on
    CVRPLIB X and MDVRPTW instances at 10 s on two cores, eight rounds cut the mean
    gap to the best-known solutions by about half against one round
    (``benchmarks/runs``).
    """
    # Each round ends with work after the engines stop (mapping back, repair, our
    # check): the engines stop that much early, measured round by round, and a round
    # is at least a few times that long so that searching dominates.
    lag = after_engine_s(instance, names)
    rounds = max(1, min(COOPERATIVE_ROUNDS, int(time_limit_s / max(ROUND_MIN_S, 4 * lag))))
    verdicts: list[Verdict] = []
    for k in range(rounds):
        end = begin + time_limit_s * (k + 1) / rounds
        if verdicts and best_of(verdicts).violations:
            # No feasible plan yet: PyVRP's penalties, which restart with every run,
            # need a long run to grow (tight fleets), so the rest is one round.
            end = begin + time_limit_s
        initial = best_of(verdicts).solution if verdicts else None
        stop = max(time.monotonic() + 0.05, end - lag)
        tasks = [
            Task(name, instance, stop, seed + k * len(names) + i, initial)
            for i, name in enumerate(names)
        ]
        verdicts += [judge(instance, sol) for sol in runner.run(tasks) if sol is not None]
        lag = max(lag, time.monotonic() - stop)
        if verdicts:
            stats[f"cost_round_{k + 1}"] = float(best_of(verdicts).cost)
        if end >= begin + time_limit_s or time.monotonic() + 2 * lag >= begin + time_limit_s:
            break
    stats["after_engine_s"] = round(lag, 3)
    return verdicts


def _solve_parts(
    instance: Instance,
    runner: _Runner,
    engine: str,
    parts: list[decompose.Part],
    begin: float,
    end: float,
    seed: int,
) -> Solution | None:
    """Solve parts in batches of ``runner.workers`` within ``[begin, end]``; merge them."""
    batches = [parts[i : i + runner.workers] for i in range(0, len(parts), runner.workers)]
    results: list[Solution] = []
    for b, batch in enumerate(batches):
        batch_end = begin + (end - begin) * (b + 1) / len(batches)
        tasks = [
            Task(
                engine,
                p.instance,
                batch_end - after_engine_s(p.instance, [engine]),
                seed + i,
                p.initial,
            )
            for i, p in enumerate(batch)
        ]
        for sol in runner.run(tasks):
            if sol is None:
                return None
            results.append(sol)
    return decompose.merge(instance, parts, results)


def _decompose_and_polish(
    instance: Instance,
    runner: _Runner,
    engine: str,
    start: float,
    time_limit_s: float,
    seed: int,
    stats: dict[str, float],
) -> list[Verdict]:
    """Decomposition plan for large instances.

    1. Angular sectors of the clients, solved in parallel from scratch and merged
       (PyVRP's start-up local search on the whole instance is too slow at this size).
    2. Rounds of route-based splits of the incumbent, the borders turned each round,
       each part warm-started from its routes; a merged plan is kept if better.
    3. A short full-instance improvement pass, warm-started, one seed per worker
       (up to :data:`PART_MAX_CLIENTS` clients; larger instances keep splitting).
    """
    deadline = start + time_limit_s
    polish_stop = deadline - after_engine_s(instance, [engine])
    workers = runner.workers
    num_parts = max(workers, workers * math.ceil(instance.num_clients / PART_MAX_CLIENTS))
    first_end = start + _PHASE_SHARES[0] * time_limit_s
    # On very large instances a full-instance pass overruns its deadline (PyVRP's
    # exhaustive search of each new best cannot be interrupted): rounds of parts only.
    polish = instance.num_clients <= PART_MAX_CLIENTS
    parts_end = start + sum(_PHASE_SHARES) * time_limit_s if polish else deadline
    verdicts: list[Verdict] = []
    merged = _solve_parts(
        instance,
        runner,
        engine,
        decompose.split_by_angle(instance, num_parts),
        start,
        first_end,
        seed,
    )
    if merged is None:
        tasks = [Task(engine, instance, first_end, seed + i) for i in range(workers)]
        merged_all = [s for s in runner.run(tasks) if s is not None]
        verdicts.extend(judge(instance, s) for s in merged_all)
    else:
        verdicts.append(judge(instance, merged))
        stats["cost_sectors"] = float(verdicts[-1].cost)
    if not verdicts:
        return verdicts
    best = best_of(verdicts)

    round_s = max(ROUND_MIN_S, (parts_end - time.monotonic()) / DECOMPOSE_ROUNDS)
    rnd = 0
    while not best.violations and time.monotonic() + round_s / 2 < parts_end:
        rnd += 1
        parts = decompose.split_by_routes(
            instance, best.solution, num_parts, rotation=(rnd * 0.5) % 1.0
        )
        if len(parts) < 2:
            break
        now = time.monotonic()
        merged = _solve_parts(
            instance, runner, engine, parts, now, min(parts_end, now + round_s), seed + 100 * rnd
        )
        if merged is None:
            break
        verdict = judge(instance, merged)
        stats[f"cost_round_{rnd}"] = float(verdict.cost)
        best = best_of([best, verdict])
    verdicts.append(best)
    if not polish:
        return verdicts

    tasks = [
        Task(engine, instance, polish_stop, seed + 1000 + i, best.solution) for i in range(workers)
    ]
    for i, sol in enumerate(runner.run(tasks)):
        if sol is not None:
            verdicts.append(judge(instance, sol))
            stats[f"cost_polish_{i}"] = float(verdicts[-1].cost)
    return verdicts
