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

log = logging.getLogger("service.jobs")

_NETWORKS: dict[str, RoadNetwork] = {}


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


def run_plan_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Plan a day from ``{"problem", "options", "network_path"}``.

    Parameters
    ----------
    payload
        ``problem``: a dict for :func:`routing.model.problem_from_dict`; ``options``:
        :meth:`routing.options.SolveOptions.as_data` (cost model included);
        ``network_path``: road file or None for the straight-line fallback.

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
        if payload.get("tiers"):
            from routing.tiers.flow import plan_tiers
            from routing.tiers.io import tier_problem

            t = payload["tiers"]
            tiers = tier_problem(problem, t["stations"], t["feeders"], t["hours"])
            plan = plan_tiers(tiers, network=network, options=options)
        else:
            plan = routing.plan_day(problem, network=network, options=options)
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
