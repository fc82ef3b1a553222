"""The executor boundary: where solves leave the event loop.

A :class:`Job` is plain data plus a module-level function, so it pickles and can run in
a local process pool (:class:`service.executor.local.LocalExecutor`) or on a Dask
cluster (a ``DaskExecutor`` would wrap ``distributed.Client.submit(job.fn,
job.payload, key=job.id)`` and its futures) without any endpoint changing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

JobFn = Callable[[dict[str, Any]], dict[str, Any]]
"""A module-level function: plain JSON-like payload in, plain JSON-like result out."""


@dataclass(frozen=True)
class Job:
    """One unit of work.

    Attributes
    ----------
    id : str
        Unique id (the plan id); executors use it as the task key.
    fn : JobFn
        Module-level function (picklable by reference) run as ``fn(payload)``.
    payload : dict
        Plain data (str, int, float, bool, None, lists, dicts) only.
    """

    id: str
    fn: JobFn
    payload: dict[str, Any] = field(default_factory=dict)


class ExecutorError(Exception):
    """Base class of executor errors."""


class QueueFullError(ExecutorError):
    """Every worker is busy and the queue is full; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"queue full; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class JobCancelledError(ExecutorError):
    """The job was cancelled before it produced a result."""


class WorkerCrashedError(ExecutorError):
    """The process running the job died (killed, out of memory, segfault)."""


class ExecutorClosedError(ExecutorError):
    """The executor is shut down and takes no more work."""


@dataclass(frozen=True)
class ExecutorStats:
    """What the executor is doing now."""

    workers: int
    running: int
    queued: int
    capacity: int


@runtime_checkable
class JobHandle(Protocol):
    """A submitted job: poll it, wait for it, or be called back when it ends."""

    @property
    def job_id(self) -> str:
        """The job's id."""
        ...

    def running(self) -> bool:
        """True once a worker has started it and until it ends."""
        ...

    def done(self) -> bool:
        """True when it has a result, failed, or was cancelled."""
        ...

    def result(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the result; raises the job's exception or an ExecutorError."""
        ...

    def add_done_callback(self, fn: Callable[[JobHandle], None]) -> None:
        """Call ``fn(handle)`` (from any thread) when the job ends; at once if it has."""
        ...


@runtime_checkable
class Executor(Protocol):
    """Runs jobs off the event loop. Every method is thread-safe and non-blocking."""

    def submit(self, job: Job) -> JobHandle:
        """Queue ``job``; raises :class:`QueueFullError` when at capacity."""
        ...

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued job, or abandon a running one. False if unknown or ended."""
        ...

    def alive(self) -> bool:
        """True while the executor can run jobs (workers up or able to start)."""
        ...

    def stats(self) -> ExecutorStats:
        """Counts of workers, running and queued jobs."""
        ...

    def shutdown(self, *, wait: bool = False) -> None:
        """Stop taking jobs; cancel queued ones; wait for running ones if ``wait``."""
        ...


async def wait_for_handle(handle: JobHandle, timeout: float | None = None) -> dict[str, Any]:
    """Await a handle from the event loop without blocking it or using a thread.

    Parameters
    ----------
    handle
        Any :class:`JobHandle`.
    timeout
        Seconds; None waits for ever.

    Returns
    -------
    dict
        The job's result.

    Raises
    ------
    TimeoutError
        If the job has not ended within ``timeout`` (the job keeps running).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def _set() -> None:
        if not future.done():
            future.set_result(None)

    def _wake(_: JobHandle) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(_set)

    handle.add_done_callback(_wake)
    await asyncio.wait_for(asyncio.shield(future), timeout)
    return handle.result(timeout=0)
