"""Plan requests end to end: validate, store, solve off the loop, persist, recover.

The handlers call one method each. Validation that needs no solver (villages, fleets,
the domain model, pickups too far from the hub's roads) happens here, before a job is
queued, so bad input is a 422 at once even for background plans. Database calls run
in threads; solves run in the executor's processes; the event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anyio import CapacityLimiter, to_thread

from routing import SolveOptions
from routing.errors import InputError
from routing.errors import Problem as InputProblem
from service.config import Settings
from service.errors import InvalidRequest, NotFound, QueueFull, SolveFailed, Unavailable
from service.executor.base import (
    Executor,
    ExecutorClosedError,
    Job,
    JobCancelledError,
    JobFn,
    JobHandle,
    QueueFullError,
    WorkerCrashedError,
    wait_for_handle,
)
from service.hubs import HubRuntime
from service.jobs import ARRIVED_KEY, failure
from service.leases import LeaseKeeper
from service.problem_input import check_problem, problem_data, tier_data
from service.schemas import PlanRequest
from service.store.repo import IdempotencyReused, PlanRepo, StoredPlan

log = logging.getLogger("service.planner")

INPUT_ERROR_CODES = frozenset({"invalid_input", "invalid_network"})
#: Request options that are solver options (the rest say how to wait for the answer).
SOLVE_OPTION_FIELDS: set[str] = {"seed", "allocation", "iterations", "engines"}


@dataclass(frozen=True)
class Created:
    """What became of a plan request: finished (plan or error) or still in hand."""

    plan_id: str
    status: str
    plan_json: str | None = None
    error: dict[str, Any] | None = None
    replayed: bool = False
    retry_after_s: int = 1


class Planner:
    """Owns the plan lifecycle. One per app, created in the lifespan.

    Parameters
    ----------
    settings
        Limits (time limit cap, wait threshold, attempts).
    repo
        Where plans are stored.
    executor
        Where solves run.
    hubs
        The loaded hubs by id.
    plan_job
        Module-level job function (default :func:`service.jobs.run_plan_job`).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        repo: PlanRepo,
        executor: Executor,
        hubs: Mapping[str, HubRuntime],
        plan_job: JobFn,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.executor = executor
        self.hubs = hubs
        self.plan_job = plan_job
        self._handles: dict[str, JobHandle] = {}
        self._payloads: dict[str, dict[str, Any]] = {}
        self._outcomes: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.owner = settings.replica_id or (
            f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
        # Outcomes the database would not take (it was down): stored when it is back.
        self._unstored: dict[str, dict[str, Any]] = {}
        self.keeper = LeaseKeeper(self)
        # Python-heavy request work (validation, snapping, JSON) runs one request at a
        # time: twenty threads contending for the GIL starve the event loop, and
        # /healthz must answer while planners POST at once.
        self._cpu: CapacityLimiter | None = None

    # -- requests --
    async def _cpu_bound(self, fn: Any, *args: Any) -> Any:
        if self._cpu is None:
            self._cpu = CapacityLimiter(1)
        return await to_thread.run_sync(fn, *args, limiter=self._cpu)

    def time_limit(self, requested: float | None) -> float:
        """The solver time limit for a request: its own or the default, capped."""
        value = requested if requested is not None else self.settings.default_time_limit_s
        return min(value, self.settings.max_time_limit_s)

    def _payload(self, hub: HubRuntime, req: PlanRequest) -> dict[str, Any]:
        cap_s = self.settings.max_time_limit_s
        asked_s = req.options.time_limit_s
        if asked_s is not None and asked_s > cap_s:
            raise InputError(
                InputProblem(
                    "",
                    "options.time_limit_s",
                    f"{asked_s:g} s is above this server's cap of {cap_s:g} s; "
                    f"ask for at most {cap_s:g} s",
                )
            )
        if len(req.pickups) > self.settings.max_pickups:
            raise InputError(
                InputProblem(
                    "",
                    "pickups",
                    f"{len(req.pickups)} pickups; this server takes at most "
                    f"{self.settings.max_pickups} per request",
                )
            )
        data = problem_data(hub, req)
        check_problem(hub, data, max_snap_m=self.settings.max_snap_m)
        options = SolveOptions.from_mapping(
            {
                **req.options.model_dump(include=SOLVE_OPTION_FIELDS),
                "time_limit_s": self.time_limit(req.options.time_limit_s),
                "max_snap_m": self.settings.max_snap_m,
            },
            cost_model=hub.cost_model,
        )
        return {
            "problem": data,
            "tiers": tier_data(req, data),
            "options": options.as_data(),
            "network_path": hub.network_path,
        }

    async def create(
        self,
        hub: HubRuntime,
        req: PlanRequest,
        idempotency_key: str | None = None,
        *,
        arrived_s: float | None = None,
    ) -> Created:
        """Validate, store and queue a plan; wait for it if asked (or if small).

        A request repeating an earlier ``idempotency_key`` (with the same body) gets
        that plan back instead of a new solve. The time limit runs from ``arrived_s``
        (``time.time()`` when the request arrived; default now) for a plan a solver
        takes at once; one that waits for a free solver gets its limit when taken.

        Raises
        ------
        NotFound
            If ``req.hub`` names another hub than the caller's.
        InputError
            For bad input, naming every field.
        QueueFull
            When every worker is busy and the queue is full.
        """
        _check_hub(hub, req)
        arrived_s = time.time() if arrived_s is None else arrived_s
        body = req.model_dump(mode="json")
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if idempotency_key is not None:
            found = await to_thread.run_sync(self._by_key, hub.id, idempotency_key, digest)
            if found is not None:
                return await self._replay(found, req)
        payload = await self._cpu_bound(self._payload, hub, req)
        plan_id = uuid.uuid4().hex
        # A free solver here takes the plan at once; otherwise it waits, unclaimed, in
        # the queue all replicas share, and the first replica with a free solver takes it.
        owner = self.owner if self.keeper.free_solvers() > 0 else None
        if owner is None:
            waiting = await to_thread.run_sync(self.repo.count_unclaimed)
            if waiting >= self.settings.queue_size:
                raise QueueFull(
                    f"every solver is busy and {waiting} plans are waiting; retry later",
                    headers={"Retry-After": str(self.settings.retry_after_s)},
                )
        stored = await self._cpu_bound(
            lambda: self.repo.create(
                plan_id=plan_id,
                hub_id=hub.id,
                name=req.name,
                pickups=len(req.pickups),
                body=body,
                payload=payload,
                owner=owner,
                lease_s=self.settings.lease_s,
                idempotency_key=idempotency_key,
                body_sha256=digest,
            )
        )
        if stored.id != plan_id:  # a concurrent retry with the same key stored it first
            return await self._replay(stored, req)
        if owner is None:
            self._outcomes[plan_id] = asyncio.get_running_loop().create_future()
            self.keeper.wake()
            return await self._answer(hub.id, plan_id, req, payload["options"]["time_limit_s"])
        await self._launch_or_refuse(hub.id, plan_id, payload, arrived_s)
        return await self._answer(hub.id, plan_id, req, payload["options"]["time_limit_s"])

    async def _launch_or_refuse(
        self, hub_id: str, plan_id: str, payload: dict[str, Any], arrived_s: float
    ) -> None:
        """Start the stored plan's solve; if no solver can take it, forget it and refuse."""
        try:
            await self._launch(plan_id, payload, arrived_s=arrived_s)
        except (QueueFullError, ExecutorClosedError) as exc:
            await to_thread.run_sync(self.repo.delete, hub_id, plan_id)
            if isinstance(exc, QueueFullError):
                raise QueueFull(
                    "every solver is busy and the queue is full; retry later",
                    headers={"Retry-After": str(exc.retry_after_s)},
                ) from None
            raise Unavailable("the server is shutting down") from None

    def _by_key(self, hub_id: str, key: str, digest: str) -> StoredPlan | None:
        try:
            return self.repo.by_idempotency_key(hub_id, key, digest)
        except IdempotencyReused as exc:
            raise InvalidRequest(
                f"Idempotency-Key {key!r} was used for plan {exc.plan_id} with another "
                "body; use a new key for a new request",
                problems=[InputProblem("", "Idempotency-Key", "already used with another body")],
            ) from None

    async def _replay(self, stored: StoredPlan, req: PlanRequest) -> Created:
        if stored.status in ("done", "failed"):
            return Created(
                stored.id, stored.status, stored.result_json, stored.error, replayed=True
            )
        limit = self.time_limit(req.options.time_limit_s)
        created = await self._answer(stored.hub_id, stored.id, req, limit)
        return Created(**{**created.__dict__, "replayed": True})

    async def _answer(
        self, req_hub: str, plan_id: str, req: PlanRequest, time_limit_s: float
    ) -> Created:
        wait = req.options.wait
        if wait is None:
            wait = len(req.pickups) <= self.settings.wait_max_pickups
        retry_after = max(1, round(time_limit_s))
        if not wait:
            return Created(plan_id, "queued", retry_after_s=retry_after)
        timeout = time_limit_s + self.settings.wait_grace_s
        if req.options.wait_max_s is not None:
            timeout = min(timeout, req.options.wait_max_s)
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = await self.wait(req_hub, plan_id, timeout)
        if outcome is None:
            left = time_limit_s - (loop.time() - started)
            return Created(plan_id, "running", retry_after_s=max(1, round(left)))
        return Created(plan_id, outcome["status"], outcome.get("plan_json"), outcome.get("error"))

    async def wait(self, hub_id: str, plan_id: str, timeout: float) -> dict[str, Any] | None:
        """The job's outcome once stored, or None if it is not done within ``timeout``.

        A plan solved here is awaited; one waiting in the shared queue (it may be
        claimed by another replica) is also looked up in the store once a second.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while (left := deadline - loop.time()) > 0:
                future = self._outcomes.get(plan_id)
                step = left if plan_id in self._handles else min(1.0, left)
                if future is not None:
                    with contextlib.suppress(TimeoutError):
                        return await asyncio.wait_for(asyncio.shield(future), step)
                else:
                    await asyncio.sleep(step)
                if plan_id not in self._handles:
                    stored = await to_thread.run_sync(self.repo.get, hub_id, plan_id)
                    if stored is None or stored.status in ("done", "failed"):
                        return None if stored is None else stored.outcome()
            return None
        finally:
            if plan_id not in self._handles:
                self._outcomes.pop(plan_id, None)

    async def get(self, hub_id: str, plan_id: str) -> StoredPlan:
        """The hub's plan, with the live status of a job in hand.

        Raises
        ------
        NotFound
            If there is no such plan at this hub.
        """
        stored = await to_thread.run_sync(self.repo.get, hub_id, plan_id)
        if stored is None:
            raise NotFound(f"no plan {plan_id!r} at this hub")
        return self._live(stored)

    async def list(
        self, hub_id: str, *, limit: int, offset: int, status: str | None
    ) -> tuple[list[StoredPlan], int]:
        """A page of the hub's plans, newest first, and the total."""
        rows, total = await to_thread.run_sync(
            lambda: self.repo.list(hub_id, limit=limit, offset=offset, status=status)
        )
        return [self._live(r) for r in rows], total

    async def delete(self, hub_id: str, plan_id: str) -> None:
        """Remove the hub's plan; a queued job is dropped, a running one abandoned.

        Raises
        ------
        NotFound
            If there is no such plan at this hub.
        """
        removed = await to_thread.run_sync(self.repo.delete, hub_id, plan_id)
        if not removed:
            raise NotFound(f"no plan {plan_id!r} at this hub")
        self.executor.cancel(plan_id)

    def _live(self, stored: StoredPlan) -> StoredPlan:
        handle = self._handles.get(stored.id)
        if stored.status == "queued" and handle is not None and handle.running():
            from dataclasses import replace

            return replace(stored, status="running")
        return stored

    async def run_once(self, fn: JobFn, payload: dict[str, Any]) -> dict[str, Any]:
        """Solve one job without storing it (the VROOM endpoint) and return its plan.

        Raises
        ------
        QueueFull
            When every worker is busy and the queue is full.
        InputError
            When the job reports bad input.
        SolveFailed
            When the solver fails otherwise or does not answer in time.
        """
        job_id = "x" + uuid.uuid4().hex[:31]
        try:
            handle = await to_thread.run_sync(self.executor.submit, Job(job_id, fn, payload))
        except QueueFullError as exc:
            raise QueueFull(
                "every solver is busy and the queue is full; retry later",
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from None
        except ExecutorClosedError:
            raise Unavailable("the server is shutting down") from None
        timeout = float(payload["options"]["time_limit_s"]) + self.settings.wait_grace_s
        try:
            outcome = await wait_for_handle(handle, timeout)
        except TimeoutError:
            self.executor.cancel(job_id)
            raise SolveFailed(f"the solver did not answer within {timeout:.0f} s") from None
        except (WorkerCrashedError, JobCancelledError) as exc:
            raise SolveFailed(str(exc)) from None
        error = outcome.get("error") or {}
        if outcome.get("status") != "done":
            problems = [InputProblem(**p) for p in error.get("problems", [])]
            if error.get("code") in INPUT_ERROR_CODES:
                raise InputError(problems or str(error.get("message", "invalid input")))
            raise SolveFailed(str(error.get("message", "the solver failed")))
        if "plan_json" in outcome:
            loaded: dict[str, Any] = await self._cpu_bound(json.loads, outcome["plan_json"])
            return loaded
        plan: dict[str, Any] = outcome["plan"]
        return plan

    # -- jobs --
    async def _launch(
        self, plan_id: str, payload: dict[str, Any], *, arrived_s: float | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        # The arrival goes to this run only: a re-run gets its whole limit again.
        job = Job(
            plan_id,
            self.plan_job,
            payload if arrived_s is None else {**payload, ARRIVED_KEY: arrived_s},
        )
        # In a thread: a local pool may block briefly while it starts a worker process.
        handle = await to_thread.run_sync(self.executor.submit, job)
        self._handles[plan_id] = handle
        self._payloads[plan_id] = payload
        if plan_id not in self._outcomes:  # a re-run keeps the waiters of the first run
            self._outcomes[plan_id] = loop.create_future()

        def _done(h: JobHandle) -> None:
            # RuntimeError: the loop is closed; the plan's lease expires and it is re-run.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_done, h)

        handle.add_done_callback(_done)

    def _on_done(self, handle: JobHandle) -> None:
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._persist(handle))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.keeper.wake()

    async def _persist(self, handle: JobHandle) -> None:
        plan_id = handle.job_id
        outcome: dict[str, Any] | None
        try:
            outcome = handle.result(timeout=0)
        except JobCancelledError:
            outcome = None
        except WorkerCrashedError as exc:
            if await self._rerun_after_crash(plan_id):
                return
            outcome = {
                "status": "failed",
                "error": {"code": "worker_crashed", "message": str(exc), "problems": []},
            }
        except Exception as exc:
            outcome = failure(exc)
        if outcome is not None and outcome.get("status") not in ("done", "failed"):
            outcome = {
                "status": "failed",
                "error": {
                    "code": "solve_failed",
                    "message": "job returned no status",
                    "problems": [],
                },
            }
        try:
            if outcome is not None:
                await to_thread.run_sync(self.store_outcome, plan_id, outcome)
        finally:
            self._handles.pop(plan_id, None)
            self._payloads.pop(plan_id, None)
            future = self._outcomes.pop(plan_id, None)
            if future is not None and not future.done():
                future.set_result(outcome)

    async def _rerun_after_crash(self, plan_id: str) -> bool:
        """A solver process died under the plan: run it again while attempts remain."""
        payload = self._payloads.get(plan_id)
        try:
            again = payload is not None and await to_thread.run_sync(
                self.repo.count_attempt, plan_id, self.owner, self.settings.max_attempts
            )
            if again:
                assert payload is not None
                await self._launch(plan_id, payload)
                log.warning("solver process died; plan %s re-run", plan_id)
                return True
        except (QueueFullError, ExecutorClosedError):
            log.warning("plan %s not re-run: no solver free; its lease will expire", plan_id)
            self._handles.pop(plan_id, None)
            return True
        except Exception:
            log.exception("plan %s not re-run after its solver died", plan_id)
        return False

    def store_outcome(self, plan_id: str, outcome: dict[str, Any]) -> None:
        """Store a job's outcome; while the database is down, keep it to store later."""
        # Workers send plan.json as text; a job returning a dict is serialised here.
        if outcome.get("status") == "done" and "plan_json" not in outcome:
            outcome["plan_json"] = json.dumps(outcome.get("plan"))
        try:
            stored = self.repo.finish(
                plan_id,
                result_json=outcome.get("plan_json"),
                error=outcome.get("error"),
                figures=plan_figures(outcome.get("plan_json")),
                owner=self.owner,
            )
        except Exception:
            log.exception("could not store the outcome of plan %s; kept to retry", plan_id)
            self._unstored[plan_id] = outcome
            return
        self._unstored.pop(plan_id, None)
        log.info(
            "plan %s %s",
            plan_id,
            outcome["status"] if stored else "finished elsewhere or deleted",
            extra={"plan_id": plan_id, "status": outcome["status"]},
        )

    async def recover(self) -> dict[str, int]:
        """Claim the plans nobody holds (left by a crash, a restart or a full queue).

        Returns
        -------
        dict
            Counts: ``requeued`` and ``failed``.
        """
        return await self.keeper.claim()

    def start(self) -> None:
        """Start renewing leases and claiming free plans (call from the event loop)."""
        self.keeper.start()

    async def close(self) -> None:
        """Stop: hand the plans in hand back (not counted as attempts) for any replica."""
        self._closing = True
        await self.keeper.stop()
        in_hand = list(self._handles)
        try:
            released = await to_thread.run_sync(self.repo.release, self.owner, in_hand)
            if released:
                log.info("handed %d unfinished plan(s) back", released)
        except Exception:
            log.exception("could not hand plans back; their leases will expire")
        self.executor.shutdown(wait=False)
        for future in self._outcomes.values():
            if not future.done():
                future.set_result(None)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def plan_figures(plan_json: str | None) -> dict[str, Any]:
    """Cost, runs, parcels and unassigned of a plan.json text, for the plan list."""
    if not plan_json:
        return {}
    # The summary sits near the start; a full parse of a large plan is not needed
    # but is simple and runs in a thread.
    summary = json.loads(plan_json).get("summary") or {}
    return {
        "cost_rmb": summary.get("total_cost_rmb"),
        "runs": summary.get("runs"),
        "parcels": summary.get("parcels"),
        "unassigned": summary.get("unassigned"),
    }


def _check_hub(hub: HubRuntime, req: PlanRequest) -> None:
    """A request naming another hub than the caller's is refused (404)."""
    if req.hub is not None and req.hub != hub.id:
        raise NotFound(
            f"unknown hub {req.hub!r}",
            problems=[InputProblem("", "hub", f"leave it out or give {hub.id!r}, your key's hub")],
        )
