"""Functions that run in the solver processes (or on Dask workers).

Each takes and returns plain data, so it pickles and needs nothing from the web
process. Road networks are loaded once per process (at worker start by
:func:`load_networks`, or on first use) and shared by every job that process runs.

A job never raises for bad input: it returns ``{"status": "failed", "error": {...}}``
with the library's stable error code and every problem, and ``{"status": "done",
"plan_json": <plan.json text>}`` on success: serialising in the worker keeps that work
(hundreds of kilobytes with road paths) off the web process's event loop.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import routing
from routing import HubrouteError, InputError, RoadNetwork, SolveOptions
from routing.deadline import Deadline, load_factor

log = logging.getLogger("service.jobs")

_NETWORKS: dict[str, RoadNetwork] = {}

#: Payload key: when the request arrived (``time.time()`` in the web process). The
#: wall clock, not the monotonic one: a Dask worker may run on another machine.
ARRIVED_KEY = "arrived_epoch_s"

#: Seconds from the worker's plan to the caller holding it, per pickup and fixed:
#: plan.json text, the hand-over to the web process, the plan list's figures (a full
#: parse), the store and the answer. About 1.3 s at 5,000 pickups (11 MB of plan.json)
#: on an idle 2-core machine; with head-room.
ANSWER_S_PER_PICKUP = 0.0004
ANSWER_BASE_S = 0.2


def load_networks(paths: Sequence[str]) -> None:
    """Worker initializer: load each road network once into this process."""
    for path in paths:
        try:
            network_for(path)
        except Exception:  # the job that needs it reports the error
            log.exception("could not load road network %s", path)


def network_for(path: str) -> RoadNetwork:
    """The road network at ``path``, loaded once per process."""
    network = _NETWORKS.get(path)
    if network is None:
        network = routing.network_from_file(path)
        _NETWORKS[path] = network
    return network


def failure(exc: BaseException) -> dict[str, Any]:
    """The ``failed`` result for an exception (input errors keep every problem)."""
    if isinstance(exc, InputError):
        problems = [
            {"record": p.record, "field": p.field, "message": p.message} for p in exc.problems
        ]
        return {
            "status": "failed",
            "error": {"code": exc.code, "message": str(exc), "problems": problems},
        }
    code = exc.code if isinstance(exc, HubrouteError) else "solve_failed"
    return {
        "status": "failed",
        "error": {"code": code, "message": f"{type(exc).__name__}: {exc}", "problems": []},
    }


def _options(data: dict[str, Any]) -> SolveOptions:
    """The job's options: the service's :meth:`SolveOptions.as_data`, the hub's cost
    model included, rebuilt and validated by the library's one options contract."""
    # One solver process per job: the pool already uses every core.
    return replace(SolveOptions.from_data(data), workers=1)


def job_deadline(payload: dict[str, Any], num_pickups: int) -> Deadline | None:
    """When the plan must be ready for the time limit to hold from the request's arrival.

    The validation, queueing and hand-over before the solve and the answer after it
    count against the limit: the deadline is the limit after the arrival, less the
    estimated time to hand the plan back. A payload without an arrival (a plan taken
    from the shared queue or run again after a crash) gets its whole limit from now.
    """
    arrived_s = payload.get(ARRIVED_KEY)
    if arrived_s is None:
        return None
    limit_s = float(payload.get("options", {}).get("time_limit_s", 0.0))
    # A clock behind or ahead of the web process's never gives more than the limit.
    spent_s = min(max(0.0, time.time() - float(arrived_s)), limit_s)
    reserve_s = (ANSWER_BASE_S + ANSWER_S_PER_PICKUP * num_pickups) * load_factor()
    return Deadline.after(limit_s - spent_s, reserve_s=reserve_s)


def run_plan_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Plan a day from ``{"problem", "options", "network_path"}``.

    Parameters
    ----------
    payload
        ``problem``: a dict for :func:`routing.model.problem_from_dict`; ``options``:
        :meth:`routing.options.SolveOptions.as_data` (cost model included);
        ``network_path``: road file or None for the straight-line fallback;
        ``arrived_epoch_s``: when the request arrived (see :func:`job_deadline`).

    Returns
    -------
    dict
        ``{"status": "done", "plan_json": <plan.json text>, "worker_s": ...}`` or
        ``{"status": "failed", "error": ...}``.
    """
    started = time.perf_counter()
    try:
        problem = routing.problem_from_dict(payload["problem"])
        path = payload.get("network_path")
        network = network_for(path) if path else None
        options = _options(payload.get("options", {}))
        deadline = job_deadline(payload, len(problem.pickups))
        if payload.get("tiers"):
            from routing.tiers.flow import plan_tiers
            from routing.tiers.io import tier_problem

            t = payload["tiers"]
            tiers = tier_problem(problem, t["stations"], t["feeders"], t["hours"])
            plan = plan_tiers(tiers, network=network, options=options, deadline=deadline)
        else:
            plan = routing.plan_day(problem, network=network, options=options, deadline=deadline)
    except Exception as exc:
        if not isinstance(exc, HubrouteError):
            log.error("plan job failed: %s", traceback.format_exc())
        return failure(exc)
    _warn_infeasible(plan)
    return {
        "status": "done",
        "plan_json": plan.model_dump_json(),
        "worker_s": round(time.perf_counter() - started, 3),
    }


def _warn_infeasible(plan: routing.Plan) -> None:
    """The job stays done: the plan's body says ``summary.feasible`` false and lists why."""
    if not plan.summary.feasible:
        log.warning(
            "plan %r breaks %d constraint(s): %s",
            plan.name,
            len(plan.summary.violations),
            "; ".join(f"{v.constraint} at {v.where}" for v in plan.summary.violations[:5]),
        )


def run_matrix_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Plan on given matrices: ``{"problem", "options", "matrices"}``.

    ``matrices`` maps a profile to ``{"ids", "distance_m", "duration_s"}`` (lists of
    lists of int), ids being hub ids then pickup ids in problem order.
    """
    started = time.perf_counter()
    try:
        problem = routing.problem_from_dict(payload["problem"])
        matrices = {
            profile: routing.TravelMatrix(
                ids=tuple(m["ids"]),
                distance_m=m["distance_m"],
                duration_s=m["duration_s"],
                profile=profile,
            )
            for profile, m in payload["matrices"].items()
        }
        options = _options(payload.get("options", {}))
        plan = routing.plan_with_matrices(problem, matrices, options=options)
    except Exception as exc:
        if not isinstance(exc, HubrouteError):
            log.error("matrix job failed: %s", traceback.format_exc())
        return failure(exc)
    _warn_infeasible(plan)
    return {
        "status": "done",
        "plan_json": plan.model_dump_json(),
        "worker_s": round(time.perf_counter() - started, 3),
    }
