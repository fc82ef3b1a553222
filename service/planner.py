"""Plan requests end to end: validate, store, solve off the loop, persist, recover.

The handlers call one method each. Validation that needs no solver (villages, fleets,
the domain model, pickups too far from the hub's roads) happens here, before a job is
queued, so bad input is a 422 at once even for background plans. Database calls run
in threads; solves run in the executor's processes; the event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anyio import CapacityLimiter, to_thread

from routing.errors import InputError, NetworkError
from routing.errors import Problem as InputProblem
from routing.model import problem_from_dict
from service.config import Settings
from service.errors import NotFound, QueueFull, SolveFailed, Unavailable
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
from service.jobs import failure
from service.schemas import PickupIn, PlanRequest
from service.store.repo import PlanRepo, StoredPlan

log = logging.getLogger("service.planner")

INPUT_ERROR_CODES = frozenset({"invalid_input", "invalid_network"})


@dataclass(frozen=True)
class Created:
    """What became of a plan request: finished (plan or error) or still in hand."""

    plan_id: str
    status: str
    plan_json: str | None = None
    error: dict[str, Any] | None = None


def _pickup_data(
    hub: HubRuntime, index: int, p: PickupIn, problems: list[InputProblem]
) -> dict[str, Any]:
    data = p.model_dump(exclude_none=True)
    where = f"pickups[{index}]"
    if p.lon is None or p.lat is None:
        if p.lon is not None or p.lat is not None:
            problems.append(
                InputProblem(
                    f"pickup {p.id!r}", f"{where}.lon", "give both lon and lat, or neither"
                )
            )
        elif p.village is None:
            problems.append(
                InputProblem(
                    f"pickup {p.id!r}",
                    f"{where}.village",
                    "give lon and lat, or a village the hub knows",
                )
            )
        else:
            found = hub.village(p.village)
            if found is None:
                problems.append(
                    InputProblem(
                        f"pickup {p.id!r}",
                        f"{where}.village",
                        f"unknown village {p.village!r} at hub {hub.id!r}; "
                        "check the spelling or give lon and lat",
                    )
                )
            else:
                data["lon"], data["lat"] = found.lon, found.lat
                if not p.township and found.township:
                    data["township"] = found.township
    data.setdefault("village", p.id)
    return data


def problem_data(hub: HubRuntime, req: PlanRequest) -> dict[str, Any]:
    """Turn a request into plain problem data for :func:`routing.model.problem_from_dict`.

    Resolves villages through the hub's gazetteer and a named fleet through the hub's
    fleets, and reports every problem at once.

    Raises
    ------
    InputError
        Naming each field (``pickups[3].village``, ``fleet``...).
    """
    problems: list[InputProblem] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(req.pickups):
        if p.id in seen:
            problems.append(
                InputProblem(
                    f"pickup {p.id!r}",
                    f"pickups[{i}].id",
                    f"duplicate id (also pickups[{seen[p.id]}]); ids must be unique",
                )
            )
        seen.setdefault(p.id, i)
    pickups = [_pickup_data(hub, i, p, problems) for i, p in enumerate(req.pickups)]
    vehicle_types: list[dict[str, Any]] = []
    if isinstance(req.fleet, list):
        names = [v.name for v in req.fleet]
        for i, vt_name in enumerate(names):
            if names.index(vt_name) != i:
                problems.append(
                    InputProblem(f"vehicle type {vt_name!r}", f"fleet[{i}].name", "duplicate name")
                )
        vehicle_types = [v.model_dump(exclude_none=True) for v in req.fleet]
        for vt, given in zip(vehicle_types, req.fleet, strict=True):
            if given.count is None:
                vt["count"] = None
    else:
        name: str | None = (
            req.fleet
            or hub.config.default_fleet
            or (next(iter(hub.fleets)) if len(hub.fleets) == 1 else None)
        )
        if name is None:
            problems.append(
                InputProblem(
                    "",
                    "fleet",
                    f"hub {hub.id!r} has no default fleet; give the fleet inline"
                    + (f" or name one of {sorted(hub.fleets)}" if hub.fleets else ""),
                )
            )
        elif name not in hub.fleets:
            problems.append(
                InputProblem(
                    "", "fleet", f"unknown fleet {name!r}; use one of {sorted(hub.fleets)}"
                )
            )
        else:
            vehicle_types = [
                v.model_dump(mode="json", exclude={"hub_id"}) for v in hub.fleets[name]
            ]
    if problems:
        raise InputError(problems)
    return {
        "name": req.name,
        "hubs": [hub.hub.model_dump(mode="json")],
        "pickups": pickups,
        "vehicle_types": vehicle_types,
        "closed_roads": list(req.closed_roads),
        "split_oversize": req.split_oversize,
    }


def check_problem(hub: HubRuntime, data: dict[str, Any], *, max_snap_m: float) -> None:
    """Validate the problem with the library, and snap pickups to the hub's roads.

    Raises
    ------
    InputError
        Every problem, pickups too far from the roads included.
    """
    problem = problem_from_dict(data)
    if hub.network is None:
        return
    from routing.network import snap_points

    found: list[InputProblem] = []
    for kind, points in (
        ("hub", [(h.id, h.lon, h.lat) for h in problem.hubs]),
        ("pickup", [(p.id, p.lon, p.lat) for p in problem.pickups]),
    ):
        try:
            snap_points(hub.network, points, max_snap_m=max_snap_m, kind=kind)
        except NetworkError as exc:
            found.extend(exc.problems)
    if found:
        raise NetworkError(found)


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
        self._outcomes: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
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
        return {
            "problem": data,
            "options": {
                "time_limit_s": self.time_limit(req.options.time_limit_s),
                "seed": req.options.seed,
                "allocation": list(req.options.allocation),
                "max_snap_m": self.settings.max_snap_m,
            },
            "network_path": hub.network_path,
        }

    async def create(self, hub: HubRuntime, req: PlanRequest) -> Created:
        """Validate, store and queue a plan; wait for it if asked (or if small).

        Raises
        ------
        NotFound
            If ``req.hub`` names another hub than the caller's.
        InputError
            For bad input, naming every field.
        QueueFull
            When every worker is busy and the queue is full.
        """
        if req.hub is not None and req.hub != hub.id:
            raise NotFound(f"unknown hub {req.hub!r}")
        payload = await self._cpu_bound(self._payload, hub, req)
        plan_id = uuid.uuid4().hex
        await self._cpu_bound(
            lambda: self.repo.create(
                plan_id=plan_id,
                hub_id=hub.id,
                name=req.name,
                pickups=len(req.pickups),
                body=req.model_dump(mode="json"),
                payload=payload,
            )
        )
        try:
            await self._launch(plan_id, payload)
        except (QueueFullError, ExecutorClosedError) as exc:
            await to_thread.run_sync(self.repo.delete, hub.id, plan_id)
            if isinstance(exc, QueueFullError):
                raise QueueFull(
                    "every solver is busy and the queue is full; retry later",
                    headers={"Retry-After": str(exc.retry_after_s)},
                ) from None
            raise Unavailable("the server is shutting down") from None
        wait = req.options.wait
        if wait is None:
            wait = len(req.pickups) <= self.settings.wait_max_pickups
        if not wait:
            return Created(plan_id, "queued")
        timeout = payload["options"]["time_limit_s"] + self.settings.wait_grace_s
        outcome = await self.wait(plan_id, timeout)
        if outcome is None:
            return Created(plan_id, "running")
        return Created(plan_id, outcome["status"], outcome.get("plan_json"), outcome.get("error"))

    async def wait(self, plan_id: str, timeout: float) -> dict[str, Any] | None:
        """The job's outcome once stored, or None if it is not done within ``timeout``."""
        future = self._outcomes.get(plan_id)
        if future is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None

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
    async def _launch(self, plan_id: str, payload: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        # In a thread: a local pool may block briefly while it starts a worker process.
        handle = await to_thread.run_sync(
            self.executor.submit, Job(plan_id, self.plan_job, payload)
        )
        self._handles[plan_id] = handle
        self._outcomes[plan_id] = loop.create_future()

        def _done(h: JobHandle) -> None:
            # RuntimeError: the loop is closed; the plan is recovered at next start.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_done, h)

        handle.add_done_callback(_done)

    def _on_done(self, handle: JobHandle) -> None:
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._persist(handle))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _persist(self, handle: JobHandle) -> None:
        plan_id = handle.job_id
        outcome: dict[str, Any] | None
        try:
            outcome = handle.result(timeout=0)
        except JobCancelledError:
            outcome = None
        except WorkerCrashedError as exc:
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
                await to_thread.run_sync(self._store_outcome, plan_id, outcome)
                log.info(
                    "plan %s %s",
                    plan_id,
                    outcome["status"],
                    extra={"plan_id": plan_id, "status": outcome["status"]},
                )
        except Exception:
            log.exception("could not store the outcome of plan %s", plan_id)
        finally:
            self._handles.pop(plan_id, None)
            future = self._outcomes.pop(plan_id, None)
            if future is not None and not future.done():
                future.set_result(outcome)

    def _store_outcome(self, plan_id: str, outcome: dict[str, Any]) -> None:
        # Workers send plan.json as text; a job returning a dict is serialised here.
        if outcome.get("status") == "done" and "plan_json" not in outcome:
            outcome["plan_json"] = json.dumps(outcome.get("plan"))
        self.repo.finish(plan_id, result_json=outcome.get("plan_json"), error=outcome.get("error"))

    async def recover(self) -> dict[str, int]:
        """Re-run or fail (with a reason) every plan a crash or restart left unfinished.

        Returns
        -------
        dict
            Counts: ``requeued`` and ``failed``.
        """
        counts = {"requeued": 0, "failed": 0}
        for stored in await to_thread.run_sync(self.repo.unfinished):
            reason: str | None = None
            if stored.hub_id not in self.hubs:
                reason = f"hub {stored.hub_id!r} is no longer configured on this server"
            elif stored.attempts >= self.settings.max_attempts:
                reason = (
                    f"interrupted by a server restart {stored.attempts} time(s); not re-run "
                    f"(limit {self.settings.max_attempts}); submit it again"
                )
            elif stored.payload is None:
                reason = "the stored request is missing"
            if reason is None:
                assert stored.payload is not None
                await to_thread.run_sync(self.repo.requeue, stored.id)
                try:
                    await self._launch(stored.id, stored.payload)
                except (QueueFullError, ExecutorClosedError):
                    reason = "the queue was full when the server restarted; submit it again"
                else:
                    counts["requeued"] += 1
                    continue
            error = {"code": "interrupted", "message": reason, "problems": []}
            await to_thread.run_sync(functools.partial(self.repo.finish, stored.id, error=error))
            counts["failed"] += 1
        if any(counts.values()):
            log.warning("recovered unfinished plans", extra=counts)
        return counts

    async def close(self) -> None:
        """Stop: unfinished plans stay queued in the store and are recovered next start."""
        self._closing = True
        self.executor.shutdown(wait=False)
        for future in self._outcomes.values():
            if not future.done():
                future.set_result(None)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
