"""``/healthz`` (the process answers) and ``/readyz`` (database and workers usable)."""

from __future__ import annotations

import asyncio

from anyio import to_thread
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from service.deps import PlannerDep, RepoDep
from service.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness", response_model=HealthOut)
async def healthz() -> HealthOut:
    """200 while the process serves requests (even with every worker busy)."""
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Database or workers unusable."}},
)
async def readyz(repo: RepoDep, planner: PlannerDep) -> Response:
    """200 when the database answers and the solver workers are alive, else 503."""
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(to_thread.run_sync(repo.ping), timeout=2.0)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["workers"] = "ok" if planner.executor.alive() else "dead"
    stats = planner.executor.stats()
    ok = all(v == "ok" for v in checks.values())
    out = HealthOut(
        status="ok" if ok else "unavailable",
        checks=checks,
        workers=stats.workers,
        running=stats.running,
        queued=stats.queued,
    )
    return JSONResponse(out.model_dump(), status_code=200 if ok else 503)
