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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from routing.batch_tasks import (
    SHARED_MATRIX_MAX_NODES,
    ProblemOutcome,
    node_matrices,
    solve_batch_problem,
    uses_shared_matrix,
)
from routing.errors import HubrouteError
from routing.io import write_outputs
from routing.pipeline import plan_day

if TYPE_CHECKING:
    from distributed import Client


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

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timeout = timeout_s or 120.0 + 2 * sum(bp.options.time_limit_s for bp in manifest.problems)
    run = _DaskRun(client, manifest, out, progress or (lambda _e: None))
    run.scatter()
    futures = [run.submit(bp, 1) for bp in manifest.problems]
    dashboard = _dashboard(client)
    scheduler = str(client.scheduler.address) if client.scheduler else "?"
    workers = len(client.scheduler_info().get("workers", {}))
    run.report(
        BatchEvent("started", len(futures), 0, scheduler=scheduler, dashboard_link=dashboard)
    )
    pending = set(futures)
    ac = as_completed(futures, timeout=timeout)  # type: ignore[no-untyped-call]
    try:
        for fut in ac:
            pending.discard(fut)
            again = run.finished(fut)
            if again is not None:
                pending.add(again)
                ac.add(again)  # type: ignore[no-untyped-call]
    except TimeoutError:
        run.timed_out(
            pending, f"no result within {timeout:.0f} s; are workers connected to {scheduler}?"
        )
    finally:
        run.release()
    return _result(
        manifest,
        run.results,
        out,
        wall_s=time.perf_counter() - started,
        scheduler=scheduler,
        workers=workers,
        dashboard=dashboard,
    )


class _DaskRun:
    """One batch on a Dask client: shared inputs, submitted tasks and their results."""

    def __init__(
        self, client: Client, manifest: Manifest, out: Path, report: BatchProgress
    ) -> None:
        self.client = client
        self.manifest = manifest
        self.out = out
        self.report = report
        self.token = uuid.uuid4().hex[:8]
        self.net_futures: dict[Path, Any] = {}
        self.matrix_futures: dict[Path, Any] = {}
        self.by_key: dict[str, BatchProblem] = {}
        self.attempts: dict[str, int] = {}
        self.results: dict[str, ProblemResult] = {}

    def scatter(self) -> None:
        """One copy of each road network on every worker; one shared matrix per network."""
        for path, net in self.manifest.networks.items():
            self.net_futures[path] = self.client.scatter(net, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        for path, fut in self.net_futures.items():
            net = self.manifest.networks[path]
            users = [
                bp
                for bp in self.manifest.problems
                if bp.network_path == path and uses_shared_matrix(bp, net)
            ]
            distinct = sorted({n for bp in users for n in self.manifest.nodes[bp.name]})
            if users and len(distinct) <= SHARED_MATRIX_MAX_NODES:
                self.matrix_futures[path] = self.client.submit(
                    node_matrices,
                    fut,
                    tuple(distinct),
                    _profiles(users),
                    key=f"hubroute-matrices-{path.stem}-{self.token}",
                    retries=1,
                )

    def submit(self, bp: BatchProblem, attempt: int) -> Any:
        """Submit ``bp``'s task (attempt 1, or 2 after its inputs were lost)."""
        key = f"hubroute-plan-{bp.name}-{self.token}-{attempt}"
        path = bp.network_path
        fut = self.client.submit(
            solve_batch_problem,
            bp,
            self.manifest.nodes.get(bp.name),
            self.net_futures.get(path) if path else None,
            self.matrix_futures.get(path) if path else None,
            key=key,
            retries=1,
        )
        self.by_key[key] = bp
        self.attempts[bp.name] = attempt
        return fut

    def finished(self, fut: Any) -> Any:
        """Record a finished task; return the resubmitted task when it is run again."""
        from distributed.scheduler import KilledWorker

        bp = self.by_key[fut.key]
        tries = self.attempts[bp.name]
        if fut.status == "finished":
            self._done(bp, _finish(bp, fut.result(), self.out, attempts=tries))
            return None
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
            for path, net in self.manifest.networks.items():
                self.net_futures[path] = self.client.scatter(net, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
                self.matrix_futures.pop(path, None)
            return self.submit(bp, tries + 1)
        else:
            reason, code = f"the task was {fut.status} twice", "worker_crashed"
        self._done(bp, _finish(bp, None, self.out, error=reason, code=code, attempts=tries))
        return None

    def timed_out(self, pending: set[Any], reason: str) -> None:
        """Fail every problem still pending, and cancel its task."""
        for fut in pending:
            bp = self.by_key[fut.key]
            if bp.name not in self.results:
                self._done(bp, _finish(bp, None, self.out, code="timeout", error=reason))
        self.client.cancel(list(pending))  # type: ignore[no-untyped-call]

    def release(self) -> None:
        """Let the workers drop the shared networks and matrices."""
        for fut in (*self.net_futures.values(), *self.matrix_futures.values()):
            fut.release()

    def _done(self, bp: BatchProblem, result: ProblemResult) -> None:
        self.results[bp.name] = result
        total = len(self.manifest.problems)
        self.report(BatchEvent("finished", total, len(self.results), result))


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
