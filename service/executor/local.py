"""A local process pool with a bounded queue, behind the :class:`Executor` protocol.

Jobs wait in our own queue (not the pool's) until a worker is free, so a queued job
can be cancelled exactly, "running" means a worker really has it, and the queue bound
is exact. A worker that dies breaks a ``ProcessPoolExecutor``; the jobs it held fail
with :class:`WorkerCrashedError` and a fresh pool takes the queue.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from service.executor.base import (
    ExecutorClosedError,
    ExecutorStats,
    Job,
    JobCancelledError,
    JobHandle,
    QueueFullError,
    WorkerCrashedError,
)

log = logging.getLogger("service.executor")


def _noop(_: object = None) -> int:
    return os.getpid()


def _set_parent_death_signal() -> None:
    # Linux: a worker gets SIGKILL when the server that started it dies, so a crashed
    # (SIGKILLed) server never leaves solver processes behind.
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own sentinels suffice
        pass


def _watch_server(server_pid: int) -> None:
    # A SIGKILLed server runs no clean-up. Under forkserver a worker's parent is the
    # fork server, which outlives the server; so each worker checks that the server is
    # alive and, when it is gone, ends the fork server (its siblings follow through
    # their parent-death signal) and itself.
    import signal
    import time

    while True:
        time.sleep(1.0)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            parent = os.getppid()
            if parent not in (server_pid, 1):
                with contextlib.suppress(OSError):
                    os.kill(parent, signal.SIGKILL)
            os._exit(0)
        except PermissionError:
            continue


def _worker_init(
    initializer: Callable[..., object] | None, initargs: tuple[Any, ...], server_pid: int
) -> None:
    _set_parent_death_signal()
    threading.Thread(target=_watch_server, args=(server_pid,), daemon=True).start()
    # Solvers yield the CPU to the web process so health checks and small requests
    # answer promptly even when every core is solving: nice 19 plus SCHED_IDLE, which
    # the kernel preempts at once whenever a normal process wakes (SCHED_BATCH only
    # lowers wake-up priority, and left /healthz probes waiting up to ~60 ms behind
    # a solver; SCHED_IDLE, under ~35 ms). Both are inherited by the solver's own
    # portfolio processes and need no privileges. On a machine shared with other busy
    # processes, solves then get only the CPU left over.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    if initializer is not None:
        initializer(*initargs)


class _LocalHandle:
    """The :class:`JobHandle` of :class:`LocalExecutor`."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._future: Future[dict[str, Any]] = Future()
        self._running = False
        self.generation = -1

    @property
    def job_id(self) -> str:
        return self.job.id

    def running(self) -> bool:
        return self._running and not self._future.done()

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> dict[str, Any]:
        try:
            return self._future.result(timeout)
        except CancelledError:
            raise JobCancelledError(f"job {self.job.id} was cancelled") from None

    def add_done_callback(self, fn: Callable[[JobHandle], None]) -> None:
        self._future.add_done_callback(lambda _f: fn(self))

    # -- used by LocalExecutor only --
    def _mark_running(self) -> None:
        self._running = True

    def _settle(
        self, *, result: dict[str, Any] | None = None, exc: BaseException | None = None
    ) -> None:
        if self._future.done():
            return
        if exc is not None:
            self._future.set_exception(exc)
        else:
            assert result is not None
            self._future.set_result(result)

    def _cancel(self) -> None:
        if not self._future.done():
            self._future.cancel()


class LocalExecutor:
    """Run jobs in ``workers`` local processes with at most ``queue_size`` waiting.

    Parameters
    ----------
    workers
        Number of solver processes (default: the number of cores).
    queue_size
        Jobs that may wait for a worker; one more gets :class:`QueueFullError`.
    retry_after_s
        Seconds suggested to callers turned away by a full queue.
    start_method
        ``multiprocessing`` start method; ``forkserver`` (default) forks workers from
        a clean, single-threaded server process.
    initializer, initargs
        Called once in each worker process (e.g. to load road networks).
    preload
        Modules the fork server imports once, so each worker starts warm.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        queue_size: int = 32,
        retry_after_s: int = 10,
        start_method: str = "forkserver",
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        preload: Sequence[str] = (),
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.queue_size = queue_size
        self.retry_after_s = retry_after_s
        self._ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver" and preload:
            self._ctx.set_forkserver_preload(list(preload))
        self._initializer = initializer
        self._initargs = initargs
        self._lock = threading.RLock()
        self._pending: deque[_LocalHandle] = deque()
        self._running: dict[str, _LocalHandle] = {}
        self._closed = False
        self._generation = 0
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=_worker_init,
            initargs=(self._initializer, self._initargs, os.getpid()),
        )

    def warm_up(self) -> None:
        """Start every worker now (and run the initializer) instead of on first use."""
        try:
            with self._lock:
                futures = [self._pool.submit(_noop) for _ in range(self.workers)]
        except RuntimeError:  # BrokenProcessPool is one too
            # Shut down (or the pool broke) before warm-up ran: nothing left to warm.
            if not self._closed:
                log.exception("worker pool unusable at warm-up")
            return
        for f in futures:
            try:
                f.result(timeout=120)
            except Exception:
                if not self._closed:
                    log.exception("worker failed to start")

    # -- Executor protocol --
    def submit(self, job: Job) -> JobHandle:
        """Queue ``job``; start it at once if a worker is free."""
        with self._lock:
            if self._closed:
                raise ExecutorClosedError("executor is shut down")
            if len(self._pending) + len(self._running) >= self.workers + self.queue_size:
                raise QueueFullError(self.retry_after_s)
            handle = _LocalHandle(job)
            if len(self._running) < self.workers:
                self._start(handle)
            else:
                self._pending.append(handle)
            return handle

    def cancel(self, job_id: str) -> bool:
        """Drop a queued job; abandon a running one (its result is discarded)."""
        with self._lock:
            for handle in self._pending:
                if handle.job_id == job_id:
                    self._pending.remove(handle)
                    handle._cancel()
                    return True
            handle_running = self._running.get(job_id)
        if handle_running is None:
            return False
        # The worker finishes the solve (bounded by its time limit); nobody waits for it.
        handle_running._cancel()
        return True

    def alive(self) -> bool:
        """True unless shut down or every worker process is dead."""
        with self._lock:
            if self._closed:
                return False
            pool = self._pool
        if getattr(pool, "_broken", False):
            return False
        processes = dict(getattr(pool, "_processes", None) or {})
        return not processes or any(p.is_alive() for p in processes.values())

    def stats(self) -> ExecutorStats:
        """Workers, running and queued jobs, and the most that may be in hand."""
        with self._lock:
            return ExecutorStats(
                workers=self.workers,
                running=len(self._running),
                queued=len(self._pending),
                capacity=self.workers + self.queue_size,
            )

    def shutdown(self, *, wait: bool = False) -> None:
        """Cancel the queue, stop taking jobs, and stop the pool."""
        with self._lock:
            self._closed = True
            pending = list(self._pending)
            self._pending.clear()
        for handle in pending:
            handle._cancel()
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        if not wait:
            # A running solve ends within its time limit; a stuck one must not keep
            # the server from exiting. Its plan stays queued/running in the store and
            # is re-run at the next start.
            for proc in processes:
                if proc.is_alive():
                    proc.terminate()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    # -- internals --
    def _start(self, handle: _LocalHandle) -> None:
        # Called with the lock held.
        handle.generation = self._generation
        try:
            fut = self._pool.submit(handle.job.fn, handle.job.payload)
        except (BrokenProcessPool, RuntimeError):
            self._replace_pool(handle.generation)
            handle.generation = self._generation
            fut = self._pool.submit(handle.job.fn, handle.job.payload)
        handle._mark_running()
        self._running[handle.job_id] = handle
        fut.add_done_callback(functools.partial(self._finished, handle))

    def _replace_pool(self, generation: int) -> None:
        # Called with the lock held; only the first job of a broken pool replaces it.
        if generation != self._generation or self._closed:
            return
        old = self._pool
        self._generation += 1
        self._pool = self._new_pool()
        log.error("a worker process died; started a new pool")
        threading.Thread(target=old.shutdown, kwargs={"wait": False}, daemon=True).start()

    def _finished(self, handle: _LocalHandle, fut: Future[dict[str, Any]]) -> None:
        exc: BaseException | None = None
        result: dict[str, Any] | None = None
        if fut.cancelled():
            exc = JobCancelledError(f"job {handle.job_id} was cancelled")
        else:
            exc = fut.exception()
            if exc is None:
                result = fut.result()
        with self._lock:
            self._running.pop(handle.job_id, None)
            if isinstance(exc, BrokenProcessPool):
                exc = WorkerCrashedError(
                    "the worker process died while solving (killed or out of memory)"
                )
                self._replace_pool(handle.generation)
            while self._pending and len(self._running) < self.workers and not self._closed:
                self._start(self._pending.popleft())
        handle._settle(result=result, exc=exc)
