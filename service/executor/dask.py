"""A Dask cluster behind the :class:`Executor` protocol.

Each :class:`Job` becomes ``client.submit(job.fn, job.payload, key=job.id,
retries=1)``; its :class:`DaskHandle` wraps the distributed ``Future``. Without a
scheduler address an in-process ``LocalCluster`` (processes, one thread each) is
started and owned by the executor.

Failures never hang a plan:

- a worker that dies mid-solve makes the scheduler run the job again on another
  worker; when workers keep dying on it (``distributed.scheduler.allowed-failures``)
  the job fails with :class:`WorkerCrashedError` (from ``KilledWorker``);
- an exception raised by the job is retried once (``retries=1``), then re-raised;
- a job cancelled by someone else than :meth:`DaskExecutor.cancel` (the scheduler was
  lost) fails with :class:`WorkerCrashedError`;
- if no worker is connected for ``no_worker_timeout_s`` (or the scheduler stops
  answering), every job in hand fails with :class:`WorkerCrashedError`.

Road networks: each worker loads the hubs' road files once, when it starts (a worker
plugin calling :func:`service.jobs.load_networks`), so a restarted worker is warm too.
The files must be readable at the same paths on every worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

from distributed.diagnostics.plugin import WorkerPlugin

from service.executor.base import (
    ExecutorClosedError,
    ExecutorStats,
    Job,
    JobCancelledError,
    JobHandle,
    QueueFullError,
    WorkerCrashedError,
)

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

    from service.config import Settings

log = logging.getLogger("service.executor.dask")


class NetworkPreload(WorkerPlugin):
    """Worker plugin: load the hubs' road networks once per worker process."""

    name = "hubroute-networks"

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)

    def setup(self, worker: Any) -> None:
        """Load every road network (errors are logged; the job reports them)."""
        del worker
        from service.jobs import load_networks

        load_networks(self.paths)


def _crash_reason(exc: BaseException) -> str:
    return f"the Dask workers running this plan died repeatedly (killed or out of memory): {exc}"


class DaskHandle:
    """The :class:`JobHandle` of :class:`DaskExecutor`: a distributed ``Future``."""

    def __init__(self, job: Job, future: Future[dict[str, Any]], executor: DaskExecutor) -> None:
        self.job = job
        self.future = future
        self._executor = executor
        self.cancelled_by_us = False
        self.failure: BaseException | None = None
        self._result: dict[str, Any] | None = None
        self._callbacks: list[Callable[[JobHandle], None]] = []
        self._lock = threading.Lock()
        self._settled = threading.Event()
        future.add_done_callback(lambda _f: self._collect())  # type: ignore[no-untyped-call]

    @property
    def job_id(self) -> str:
        """The job's id (the Dask key)."""
        return self.job.id

    def running(self) -> bool:
        """True while a worker is processing it (as last seen by the executor)."""
        return not self.done() and self._executor._is_processing(self.job.id)

    def done(self) -> bool:
        """True when it has a result, failed, or was cancelled."""
        return self._settled.is_set()

    def result(self, timeout: float | None = None) -> dict[str, Any]:
        """The job's result, or its exception, or an executor error."""
        if not self._settled.wait(timeout):
            raise TimeoutError(f"job {self.job.id} not done within {timeout} s")
        if self.cancelled_by_us:
            raise JobCancelledError(f"job {self.job.id} was cancelled")
        if self.failure is not None:
            raise self.failure
        assert self._result is not None
        return self._result

    def add_done_callback(self, fn: Callable[[JobHandle], None]) -> None:
        """Call ``fn(handle)`` when the job ends (at once if it has)."""
        with self._lock:
            if not self._settled.is_set():
                self._callbacks.append(fn)
                return
        fn(self)

    # -- used by DaskExecutor --
    def _collect(self) -> None:
        """Fetch the outcome once the future is done (in Dask's callback thread)."""
        if self.cancelled_by_us:
            self._settle()
            return
        from distributed.scheduler import KilledWorker

        try:
            self._result = self.future.result()
        except CancelledError as exc:
            self._settle(
                WorkerCrashedError(
                    f"the Dask cluster dropped job {self.job.id} (scheduler lost?): {exc}"
                )
            )
            return
        except KilledWorker as exc:
            self._settle(WorkerCrashedError(_crash_reason(exc)))
            return
        except Exception as exc:  # the job's own exception, after its retries
            self._settle(exc)
            return
        self._settle()

    def _settle(self, failure: BaseException | None = None) -> None:
        with self._lock:
            if self._settled.is_set():
                return
            if failure is not None:
                self.failure = failure
            self._settled.set()
            callbacks, self._callbacks = self._callbacks, []
        self._executor._forget(self)
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                log.exception("done callback of job %s failed", self.job.id)


class DaskExecutor:
    """Run jobs on a Dask cluster with at most ``queue_size`` waiting.

    Parameters
    ----------
    address
        ``tcp://HOST:PORT`` of a running ``dask scheduler``; None starts a
        ``LocalCluster`` of ``workers`` processes (one thread each) on loopback.
    workers
        Size of the local cluster (ignored with ``address``).
    queue_size
        Jobs that may wait beyond one per worker thread; one more gets
        :class:`QueueFullError`.
    retry_after_s
        Seconds suggested to callers turned away by a full queue.
    retries
        Times a job that raised is run again (default 1).
    network_paths
        Road files every worker loads once at start.
    no_worker_timeout_s
        Fail every job in hand when no worker has been connected (or the scheduler
        has not answered) for this long.
    poll_s
        How often the scheduler is asked which jobs are running.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        queue_size: int = 32,
        retry_after_s: int = 10,
        retries: int = 1,
        network_paths: Sequence[str] = (),
        no_worker_timeout_s: float = 60.0,
        poll_s: float = 0.5,
    ) -> None:
        from distributed import Client, LocalCluster

        self.address = address
        self.queue_size = queue_size
        self.retry_after_s = retry_after_s
        self.retries = retries
        self.no_worker_timeout_s = no_worker_timeout_s
        self.poll_s = poll_s
        self._cluster: LocalCluster | None = None
        if address is None:
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=max(1, workers or 1),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",
            )
            address = str(self._cluster.scheduler_address)
        self.client: Client = Client(address, timeout="30s", set_as_default=False)  # type: ignore[no-untyped-call]
        self._address = address
        if network_paths:
            self.client.register_plugin(NetworkPreload(network_paths))
        self._lock = threading.RLock()
        self._handles: dict[str, DaskHandle] = {}
        self._closed = False
        self._processing: frozenset[str] = frozenset()
        self._threads = 0
        self._workers = 0
        self._last_ok = time.monotonic()
        self._last_worker = time.monotonic()
        self._refresh()
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="dask-executor-poll", daemon=True)
        self._poller.start()

    @property
    def dashboard_link(self) -> str:
        """The Dask dashboard's URL."""
        return str(self.client.dashboard_link)

    # -- Executor protocol --
    def submit(self, job: Job) -> JobHandle:
        """Send ``job`` to the cluster; raises :class:`QueueFullError` when at capacity."""
        with self._lock:
            if self._closed:
                raise ExecutorClosedError("executor is shut down")
            if len(self._handles) >= self._capacity():
                raise QueueFullError(self.retry_after_s)
            future = self.client.submit(
                job.fn, job.payload, key=job.id, retries=self.retries, pure=False
            )
            handle = DaskHandle(job, future, self)
            if not handle.done():
                self._handles[job.id] = handle
            return handle

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job (``future.cancel()``). False if unknown or ended."""
        with self._lock:
            handle = self._handles.get(job_id)
        if handle is None or handle.done():
            return False
        handle.cancelled_by_us = True
        handle.future.cancel()  # type: ignore[no-untyped-call]
        handle._settle()
        return True

    def alive(self) -> bool:
        """True while the scheduler answers and at least one worker is connected."""
        with self._lock:
            if self._closed:
                return False
            recent = time.monotonic() - self._last_ok < max(5.0, 4 * self.poll_s)
            return recent and self._workers > 0

    def stats(self) -> ExecutorStats:
        """Workers, jobs running on them, jobs waiting, and the most that may be in hand."""
        with self._lock:
            running = sum(1 for k in self._handles if k in self._processing)
            return ExecutorStats(
                workers=self._workers,
                running=running,
                queued=len(self._handles) - running,
                capacity=self._capacity(),
            )

    def shutdown(self, *, wait: bool = False) -> None:
        """Stop taking jobs; cancel what is in hand (after it ends if ``wait``); close."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            handles = list(self._handles.values())
        self._stop.set()
        if wait:
            for h in handles:
                with contextlib.suppress(Exception):
                    h.result()
        for h in handles:
            if not h.done():
                h.cancelled_by_us = True
                with contextlib.suppress(Exception):
                    h.future.cancel()  # type: ignore[no-untyped-call]
                h._settle()
        with contextlib.suppress(Exception):
            self.client.close(timeout=10)  # type: ignore[no-untyped-call]
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=10)

    # -- internals --
    def _capacity(self) -> int:
        return max(1, self._threads) + self.queue_size

    def _is_processing(self, key: str) -> bool:
        return key in self._processing

    def _forget(self, handle: DaskHandle) -> None:
        with self._lock:
            if self._handles.get(handle.job_id) is handle:
                del self._handles[handle.job_id]

    def _refresh(self) -> None:
        """Ask the scheduler for its workers and the keys they are processing."""
        try:
            info = self.client.scheduler_info(n_workers=-1)
            processing = self.client.processing()  # type: ignore[no-untyped-call]
        except Exception:  # the scheduler is unreachable; the watchdog counts the time
            return
        workers = info.get("workers", {})
        now = time.monotonic()
        with self._lock:
            self._workers = len(workers)
            self._threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
            self._processing = frozenset(str(k) for keys in processing.values() for k in keys)
            self._last_ok = now
            if workers:
                self._last_worker = now

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_s):
            self._refresh()
            now = time.monotonic()
            with self._lock:
                stalled = now - min(self._last_ok, self._last_worker) > self.no_worker_timeout_s
                handles = list(self._handles.values()) if stalled else []
            for h in handles:
                h._settle(
                    WorkerCrashedError(
                        f"no Dask worker connected to {self._address} "
                        f"for {self.no_worker_timeout_s:.0f} s; the plan was not run"
                    )
                )
                with contextlib.suppress(Exception):
                    h.future.cancel()  # type: ignore[no-untyped-call]


def dask_executor(settings: Settings, network_paths: list[str]) -> DaskExecutor:
    """Executor factory for :func:`service.main.create_app` (``HUBROUTE_EXECUTOR=dask``).

    Connects to ``settings.dask_scheduler`` or starts a ``LocalCluster`` of
    ``settings.workers`` processes.
    """
    return DaskExecutor(
        settings.dask_scheduler,
        workers=settings.workers,
        queue_size=settings.queue_size,
        retry_after_s=settings.retry_after_s,
        network_paths=network_paths,
    )
