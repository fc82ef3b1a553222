"""``POST /v1/vroom``: a VROOM request in, VROOM's answer shape out."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request

from service.deps import HubDep, PlannerDep
from service.routes.common import ERRORS
from service.vroom import VroomRequest, VroomResponse, answer, vroom_payload

router = APIRouter(prefix="/v1", tags=["vroom"])


@router.post(
    "/vroom",
    summary="Solve a VROOM request",
    response_model=VroomResponse,
    responses=ERRORS,
    description="Accepts VROOM's request format (jobs, vehicles, matrices or "
    "coordinates; see the schema for the supported subset) and answers in VROOM's "
    "response shape, solved by hubroute's solver. Without matrices the hub's road "
    "network (or, without one, a straight-line estimate) gives travel times.",
)
async def solve_vroom(
    body: VroomRequest,
    request: Request,
    hub: HubDep,
    planner: PlannerDep,
    time_limit_s: Annotated[float | None, Query(gt=0, le=3600)] = None,
) -> dict[str, Any]:
    """Translate, solve in a worker, and answer as VROOM would."""
    options = {
        "time_limit_s": planner.time_limit(time_limit_s),
        "allocation": ["proportional"],
        "max_snap_m": planner.settings.max_snap_m,
    }
    payload, translation = await to_thread.run_sync(
        lambda: vroom_payload(body, network=hub.network, options=options)
    )
    plan = await planner.run_once(request.app.state.matrix_job, payload)
    out = answer(body, translation, plan)
    if translation.notes:
        out["notes"] = translation.notes
    return out
