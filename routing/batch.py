"""Batch planning: many hub problems from one manifest, each solved as one Dask task.

Data flows ``manifest (TOML or CSV) -> validated problems + road networks (once per
file) -> one shared node-to-node travel matrix per network and road profile -> one
Dask task per problem -> plan.json, routes.geojson, runs.csv, villages.csv per problem
-> summary.csv (per problem) and hubs.csv (per hub)``.

The manifest is checked completely before anything is solved: every bad row, file,
road network and off-road point is reported in one :class:`InputError`.

A road network is read once on the client, scattered to every worker
(``client.scatter(network, broadcast=True)``) and shared by all tasks that use it.
The travel matrix over every distinct road node of every problem on that network is
computed once, as a Dask task, and each problem takes its rows and columns from it:
the same integers a per-problem matrix would hold (Dijkstra from a node does not
depend on the other sources), so the plans are those of :func:`routing.pipeline.plan_day`.

Reproducibility: give each problem ``iterations`` (with a ``time_limit_s`` it does not
reach) and OR-Tools stops on a solution count, so the same manifest gives the same
plans on one process, on a :class:`distributed.LocalCluster` or on a remote cluster.

Manifest (TOML)::

    name = "xinping-20-hubs"
    network = "roads.geojson"        # defaults for every [[problem]]
    time_limit_s = 5
    iterations = 50

    [[problem]]
    name = "xinping-01-guishan"       # the output folder name
    pickups = "01-guishan/pickups.csv"
    fleet = "01-guishan/fleet.toml"
    seed = 0
    [problem.hub]
    id = "hub-guishan"
    name = "Guishan collection point"
    lon = 101.988745
    lat = 24.072919

Manifest (CSV): one row per problem with the columns :data:`MANIFEST_COLUMNS`.
Paths are relative to the manifest's folder.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from routing.batch_manifest import BatchProblem, Manifest, read_manifest
from routing.batch_results import (
    HUB_COLUMNS,
    SUMMARY_COLUMNS,
    BatchEvent,
    BatchProgress,
    BatchResult,
    ProblemResult,
    _write_csv,
    hub_rows,
    summary_rows,
)
from routing.errors import HubrouteError
from routing.io import write_outputs
from routing.matrix import (
    MatrixProvider,
    RoadMatrixProvider,
    TravelMatrix,
    travel_matrix,
)
from routing.model import Plan, Problem
from routing.network import Node, RoadNetwork
from routing.paths import path_lonlat
from routing.pipeline import (
    matrices_for,
    plan_day,
    plan_with_matrices,
    price_plan,
)

if TYPE_CHECKING:
    from distributed import Client


#: Above this many distinct road nodes on one network the shared matrix (``n x n``
#: int64 twice per profile: 2000 nodes is 64 MB) is not built; each task then routes
#: its own problem on the shared network instead.
SHARED_MATRIX_MAX_NODES = 2000


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class NodeMatrices:
    """Travel matrices between road nodes of one network, one per road profile."""

    nodes: tuple[Node, ...]
    by_profile: Mapping[str, TravelMatrix]

    def for_problem(self, problem: Problem, nodes: Sequence[Node]) -> dict[str, TravelMatrix]:
        """The problem's matrices (ids: hub ids then pickup ids), cut from these."""
        position = {n: i for i, n in enumerate(self.nodes)}
        take = [position[n] for n in nodes]
        grid = np.ix_(take, take)
        ids = tuple([h.id for h in problem.hubs] + [p.id for p in problem.pickups])
        return {
            key: TravelMatrix(
                ids=ids, distance_m=m.distance_m[grid], duration_s=m.duration_s[grid], profile=key
            )
            for key, m in self.by_profile.items()
        }


def node_matrices(
    network: RoadNetwork, nodes: Sequence[Node], profiles: Mapping[str, tuple[str, ...]]
) -> NodeMatrices:
    """Travel matrices between ``nodes`` (distinct road nodes) for each road profile.

    Parameters
    ----------
    network
        The road network.
    nodes
        Distinct graph nodes.
    profiles
        Profile name (``VehicleType.profile``) -> road classes it avoids.

    Returns
    -------
    NodeMatrices
        One :class:`TravelMatrix` per profile, rows and columns in ``nodes`` order.
    """
    ids = [str(n) for n in nodes]
    return NodeMatrices(
        nodes=tuple(nodes),
        by_profile={
            key: travel_matrix(network, nodes, ids, avoid_road_classes=avoid)
            for key, avoid in profiles.items()
        },
    )


def road_paths(
    network: RoadNetwork, problem: Problem, nodes: Sequence[Node]
) -> Callable[[Sequence[Sequence[str]], str], list[list[tuple[float, float]]]]:
    """The run-geometry function :func:`plan_with_matrices` takes, as in :func:`plan_day`."""
    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    node_of = dict(zip(ids, nodes, strict=True))
    avoid = {vt.profile: vt.avoid_road_classes for vt in problem.vehicle_types}

    def paths(sequences: Sequence[Sequence[str]], profile: str) -> list[list[tuple[float, float]]]:
        return path_lonlat(
            network,
            [[node_of[i] for i in seq] for seq in sequences],
            avoid_road_classes=avoid.get(profile, ()),
        )

    return paths


@dataclass(frozen=True)
class ProblemOutcome:
    """What a batch task returns (plain, picklable)."""

    name: str
    plan: Plan | None
    error_code: str = ""
    error: str = ""
    worker: str = ""
    wall_s: float = 0.0


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def solve_batch_problem(
    item: BatchProblem,
    nodes: tuple[Node, ...] | None,
    network: RoadNetwork | None,
    shared: NodeMatrices | None,
) -> ProblemOutcome:
    """Solve one manifest problem (the Dask task; module-level so it pickles by name).

    Parameters
    ----------
    item
        The problem and its options.
    nodes
        Road node of each hub then pickup (None without a network).
    network
        The shared road network, or None for straight-line estimates.
    shared
        The network's shared node matrices, or None to route this problem alone.

    Returns
    -------
    ProblemOutcome
        The plan, or the error code and message of a hubroute error (bad input or a
        failed solve) so that a bad problem does not fail the batch.
    """
    started = time.perf_counter()
    try:
        if network is None or nodes is None:
            plan = plan_day(item.problem, network=None, options=item.options)
        elif network.graph.graph.get("source") == "osm" or item.problem.closed_roads:
            # OSM roads (each vehicle type's own roads, snapping onto road segments) or
            # roads closed today (the shared matrix is over every road): plan_day's path.
            plan = plan_day(item.problem, network=network, options=item.options)
        else:
            t0 = time.perf_counter()
            if shared is not None:
                matrices = shared.for_problem(item.problem, nodes)
            else:
                provider: MatrixProvider = RoadMatrixProvider(
                    network, max_snap_m=item.options.max_snap_m
                )
                matrices = matrices_for(item.problem, provider)
            plan = plan_with_matrices(
                item.problem,
                matrices,
                options=item.options,
                paths=road_paths(network, item.problem, nodes),
                timings_s={"matrices": round(time.perf_counter() - t0, 3)},
            )
            plan = price_plan(plan, item.problem, matrices, network=network, options=item.options)
    except HubrouteError as exc:
        return ProblemOutcome(
            item.name, None, exc.code, str(exc), _worker_address(), time.perf_counter() - started
        )
    return ProblemOutcome(
        item.name, plan, worker=_worker_address(), wall_s=time.perf_counter() - started
    )


# --------------------------------------------------------------------------- running


def _profiles(problems: Sequence[BatchProblem]) -> dict[str, tuple[str, ...]]:
    return {
        vt.profile: tuple(vt.avoid_road_classes)
        for bp in problems
        for vt in bp.problem.vehicle_types
    }


def _finish(
    item: BatchProblem,
    outcome: ProblemOutcome | None,
    out_dir: Path,
    *,
    error: str = "",
    code: str = "",
    attempts: int = 1,
) -> ProblemResult:
    hub = item.problem.hubs[0]
    base = ProblemResult(
        row=item.row,
        name=item.name,
        hub_id=hub.id,
        hub_name=hub.name,
        status="failed",
        plan=None,
        error_code=code,
        error=error,
        attempts=attempts,
    )
    if outcome is None:
        return base
    base = replace(base, worker=outcome.worker, wall_s=round(outcome.wall_s, 3))
    if outcome.plan is None:
        return replace(base, error_code=outcome.error_code, error=outcome.error)
    outputs = write_outputs(outcome.plan, out_dir / item.name, hubs=item.problem.hubs)
    return replace(base, status="done", plan=outcome.plan, outputs=outputs)


def _result(
    manifest: Manifest,
    results: Mapping[str, ProblemResult],
    out_dir: Path,
    *,
    wall_s: float,
    scheduler: str,
    workers: int,
    dashboard: str | None,
) -> BatchResult:
    ordered = tuple(results[bp.name] for bp in manifest.problems)
    return BatchResult(
        name=manifest.name,
        manifest=manifest.path,
        out_dir=out_dir,
        problems=ordered,
        summary_csv=_write_csv(out_dir / "summary.csv", SUMMARY_COLUMNS, summary_rows(ordered)),
        hubs_csv=_write_csv(out_dir / "hubs.csv", HUB_COLUMNS, hub_rows(ordered)),
        wall_s=round(wall_s, 3),
        scheduler=scheduler,
        workers=workers,
        dashboard_link=dashboard,
    )


def plan_batch_sequential(
    manifest: str | Path | Manifest, *, out_dir: str | Path, progress: BatchProgress | None = None
) -> BatchResult:
    """Plan every problem of a manifest one after another in this process, with plan_day.

    The reference a Dask run is compared with (same plans for the same seeds and
    ``iterations``) and the baseline of the scaling benchmark.

    Parameters
    ----------
    manifest
        A manifest path or an already read :class:`Manifest`.
    out_dir
        Where ``<name>/plan.json``... and ``summary.csv``/``hubs.csv`` go.
    progress
        Called when the batch starts and as each problem finishes.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        For a bad manifest, listing every problem.
    """
    started = time.perf_counter()
    m = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _e: None)
    report(BatchEvent("started", len(m.problems), 0, scheduler="in-process"))
    results: dict[str, ProblemResult] = {}
    for bp in m.problems:
        t0 = time.perf_counter()
        network = m.networks.get(bp.network_path) if bp.network_path else None
        try:
            plan = plan_day(bp.problem, network=network, options=bp.options)
            outcome = ProblemOutcome(bp.name, plan, worker="in-process")
        except HubrouteError as exc:
            outcome = ProblemOutcome(bp.name, None, exc.code, str(exc), "in-process")
        outcome = replace(outcome, wall_s=time.perf_counter() - t0)
        results[bp.name] = _finish(bp, outcome, out)
        report(BatchEvent("finished", len(m.problems), len(results), results[bp.name]))
    return _result(
        m,
        results,
        out,
        wall_s=time.perf_counter() - started,
        scheduler="in-process",
        workers=1,
        dashboard=None,
    )


def _dashboard(client: Client) -> str | None:
    try:
        services = client.scheduler_info().get("services", {})
    except (OSError, TimeoutError):
        return None
    return str(client.dashboard_link) if "dashboard" in services else None


def run_batch(
    client: Client,
    manifest: Manifest,
    *,
    out_dir: str | Path,
    progress: BatchProgress | None = None,
    timeout_s: float | None = None,
) -> BatchResult:
    """Plan a validated manifest on a connected Dask client, one task per problem.

    Parameters
    ----------
    client
        A connected :class:`distributed.Client`; its workers need ``hubroute``
        installed (the tasks are this package's functions).
    manifest
        From :func:`read_manifest`.
    out_dir
        Output folder, written by this process (workers need no shared disk).
    progress
        Called when the batch starts and as each problem finishes (in finishing order).
    timeout_s
        Give up on problems still unfinished after this many seconds (default: 120 s
        plus twice the sum of the time limits); they are reported as failed.

    Returns
    -------
    BatchResult
        Every problem: done, or failed with the reason (a solver error, a worker that
        died more often than the scheduler allows, or the timeout).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    report = progress or (lambda _e: None)
    timeout = timeout_s or 120.0 + 2 * sum(bp.options.time_limit_s for bp in manifest.problems)

    # One copy of each road network on every worker; one shared matrix per network.
    net_futures = {
        path: client.scatter(net, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        for path, net in manifest.networks.items()
    }
    matrix_futures: dict[Path, Any] = {}
    for path, fut in net_futures.items():
        users = [bp for bp in manifest.problems if bp.network_path == path]
        distinct = sorted({n for bp in users for n in manifest.nodes[bp.name]})
        if len(distinct) <= SHARED_MATRIX_MAX_NODES:
            matrix_futures[path] = client.submit(
                node_matrices,
                fut,
                tuple(distinct),
                _profiles(users),
                key=f"hubroute-matrices-{path.stem}-{token}",
                retries=1,
            )

    by_key: dict[str, BatchProblem] = {}
    attempts: dict[str, int] = {}

    def submit(bp: BatchProblem, attempt: int) -> Any:
        key = f"hubroute-plan-{bp.name}-{token}-{attempt}"
        path = bp.network_path
        fut = client.submit(
            solve_batch_problem,
            bp,
            manifest.nodes.get(bp.name),
            net_futures.get(path) if path else None,
            matrix_futures.get(path) if path else None,
            key=key,
            retries=1,
        )
        by_key[key] = bp
        attempts[bp.name] = attempt
        return fut

    futures = [submit(bp, 1) for bp in manifest.problems]
    dashboard = _dashboard(client)
    scheduler = str(client.scheduler.address) if client.scheduler else "?"
    workers = len(client.scheduler_info().get("workers", {}))
    report(BatchEvent("started", len(futures), 0, scheduler=scheduler, dashboard_link=dashboard))
    results: dict[str, ProblemResult] = {}
    pending = set(futures)
    ac = as_completed(futures, timeout=timeout)  # type: ignore[no-untyped-call]
    try:
        for fut in ac:
            pending.discard(fut)
            bp = by_key[fut.key]
            tries = attempts[bp.name]
            if fut.status == "finished":
                results[bp.name] = _finish(bp, fut.result(), out, attempts=tries)
            else:
                exc = fut.exception() if fut.status == "error" else None
                if isinstance(exc, KilledWorker):
                    reason = (
                        "the Dask workers running it died repeatedly (killed or out of "
                        "memory); re-run this problem alone or give the workers more memory"
                    )
                    code = "worker_crashed"
                elif exc is not None:
                    reason, code = f"{type(exc).__name__}: {exc}", "solve_failed"
                elif tries < 2:
                    # Cancelled or lost (e.g. a scattered network lost with its workers):
                    # send the networks again and re-run once.
                    for path, net in manifest.networks.items():
                        net_futures[path] = client.scatter(net, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
                        matrix_futures.pop(path, None)
                    new = submit(bp, tries + 1)
                    pending.add(new)
                    ac.add(new)  # type: ignore[no-untyped-call]
                    continue
                else:
                    reason, code = f"the task was {fut.status} twice", "worker_crashed"
                results[bp.name] = _finish(bp, None, out, error=reason, code=code, attempts=tries)
            report(BatchEvent("finished", len(futures), len(results), results[bp.name]))
    except TimeoutError:
        for fut in pending:
            bp = by_key[fut.key]
            if bp.name not in results:
                results[bp.name] = _finish(
                    bp,
                    None,
                    out,
                    code="timeout",
                    error=f"no result within {timeout:.0f} s; "
                    f"are workers connected to {scheduler}?",
                )
                report(BatchEvent("finished", len(futures), len(results), results[bp.name]))
        client.cancel(list(pending))  # type: ignore[no-untyped-call]
    finally:
        for fut in (*net_futures.values(), *matrix_futures.values()):
            fut.release()
    return _result(
        manifest,
        results,
        out,
        wall_s=time.perf_counter() - started,
        scheduler=scheduler,
        workers=workers,
        dashboard=dashboard,
    )


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[Client]:
    """A Dask client: to ``scheduler`` (``tcp://HOST:PORT``) or to an in-process cluster.

    Parameters
    ----------
    scheduler
        Address of a running ``dask scheduler``. None starts a
        ``LocalCluster(processes=True, threads_per_worker=1)`` for the duration.
    workers
        Worker processes of the local cluster (default: the machine's cores); with a
        scheduler, wait until at least this many workers are connected (60 s at most).

    Yields
    ------
    distributed.Client
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]
            if workers:
                client.wait_for_workers(workers, timeout=60)
            yield client
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def plan_batch(
    manifest_path: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    out_dir: str | Path,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Plan every problem of a manifest on Dask and write the plans and summaries.

    Parameters
    ----------
    manifest_path
        TOML or CSV manifest (see the module docstring).
    scheduler
        ``tcp://HOST:PORT`` of a running Dask scheduler; None runs an in-process
        ``LocalCluster`` (processes, one thread each) for this batch.
    workers
        Local cluster size (default: the machine's cores), or with ``scheduler`` the
        number of workers to wait for.
    out_dir
        ``<out_dir>/<problem name>/{plan.json, routes.geojson, runs.csv, villages.csv}``
        plus ``summary.csv`` (one row per problem) and ``hubs.csv`` (one per hub).
    progress
        Progress callback, e.g. from :func:`rich_progress`.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        Before anything is solved, listing every bad manifest row, file, road network
        and off-road point.
    """
    manifest = read_manifest(manifest_path)
    with dask_client(scheduler, workers=workers) as client:
        return run_batch(client, manifest, out_dir=out_dir, progress=progress)
