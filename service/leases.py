"""Row leases: how replicas sharing one database split the plans between them.

Each server holds a lease on every plan it is solving or has queued, and renews them
all every ``heartbeat_s`` (one UPDATE). A plan nobody holds (handed back at a graceful
shutdown, left by a full queue) or whose lease ran out (its server died) is claimed
by whichever replica has a solver free, under ``FOR UPDATE SKIP LOCKED`` so that two
replicas never take the same plan. The same loop stores outcomes the database would
not take while it was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from anyio import to_thread

from service.executor.base import ExecutorClosedError, QueueFullError

if TYPE_CHECKING:
    from service.planner import Planner

log = logging.getLogger("service.leases")


class LeaseKeeper:
    """Renews this replica's leases, claims free plans, retries unstored outcomes."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self._task: asyncio.Task[None] | None = None
        self._woken = False

    def start(self) -> None:
        """Run the loop as a task of the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        """Claim now (a solver has just become free) instead of at the next beat."""
        self._woken = True

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        beat = self.planner.settings.heartbeat_s
        while True:
            # Short sleeps (not a wait on an event): a plain sleep cancels promptly.
            next_beat = loop.time() + beat
            while not self._woken and loop.time() < next_beat:
                await asyncio.sleep(min(0.05, beat))
            self._woken = False
            try:
                await self.beat()
                await self.claim()
            except Exception as exc:  # the database is down: try again next beat
                log.warning("lease heartbeat failed: %s", exc)

    async def beat(self) -> None:
        """Renew every lease held; store outcomes kept while the database was down."""
        p = self.planner
        running = [pid for pid, h in list(p._handles.items()) if h.running()]
        await to_thread.run_sync(p.repo.heartbeat, p.owner, p.settings.lease_s, running)
        for plan_id, outcome in list(p._unstored.items()):
            await to_thread.run_sync(p.store_outcome, plan_id, outcome)

    def free_solvers(self) -> int:
        """Solvers of this replica with nothing to do."""
        stats = self.planner.executor.stats()
        return max(0, stats.workers - stats.running - stats.queued)

    async def claim(self) -> dict[str, int]:
        """Claim as many free plans as there are idle solvers, and start them.

        Returns
        -------
        dict
            Counts: ``requeued`` (claimed and started) and ``failed`` (past the
            attempt limit).
        """
        p = self.planner
        counts = {"requeued": 0, "failed": 0}
        free = self.free_solvers()
        if free == 0 or p._closing:
            return counts
        claimed, failed = await to_thread.run_sync(
            lambda: p.repo.claim(
                p.owner, p.settings.lease_s, limit=free, max_attempts=p.settings.max_attempts
            )
        )
        counts["failed"] = len(failed)
        for stored in claimed:
            if stored.hub_id not in p.hubs or stored.payload is None:
                error = {
                    "code": "interrupted",
                    "message": f"hub {stored.hub_id!r} is not configured on this server"
                    if stored.hub_id not in p.hubs
                    else "the stored request is missing",
                    "problems": [],
                }
                await to_thread.run_sync(p.store_outcome, stored.id, {"error": error})
                counts["failed"] += 1
                continue
            try:
                await p._launch(stored.id, stored.payload)
            except (QueueFullError, ExecutorClosedError):
                await to_thread.run_sync(p.repo.release, p.owner, [stored.id])
                break
            counts["requeued"] += 1
        if any(counts.values()):
            log.warning("claimed unfinished plans", extra={**counts, "replica": p.owner})
        return counts
