"""``POST /v1/vroom``: a VROOM request in, VROOM's answer out."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query

from service.deps import HubDep, PlannerDep
from service.routes.common import ERRORS
from service.vroom import VroomRequest, VroomResponse, add_geometry, run_vroom_job, vroom_payload

router = APIRouter(prefix="/v1", tags=["vroom"])


@router.post(
    "/vroom",
    summary="Solve a VROOM request",
    response_model=VroomResponse,
    responses=ERRORS,
    description="Accepts VROOM's request format (jobs, shipments, vehicles with breaks, "
    "costs and limits, matrices per profile or coordinates, `options.g`, plan mode with "
    "vehicle `steps` or `options.c`) and answers in VROOM's response shape. Every "
    "unknown or invalid key is a 422 naming its path. Without matrices the hub's road "
    "network (or, without one, a straight-line estimate) gives travel times. The search "
    "budget defaults to 0.2 s + 20 ms per task; `time_limit_s` or `options.l` set it.",
)
async def solve_vroom(
    body: VroomRequest,
    hub: HubDep,
    planner: PlannerDep,
    time_limit_s: Annotated[float | None, Query(gt=0, le=3600)] = None,
) -> dict[str, Any]:
    """Validate and build matrices here, solve in a worker, draw geometry if asked."""
    limit = planner.time_limit(time_limit_s) if time_limit_s is not None else None
    options = {"time_limit_s": limit or 30.0, "search_time_limit_s": limit}
    snap = planner.settings.max_snap_m
    payload = await to_thread.run_sync(
        lambda: vroom_payload(body.root, network=hub.network, max_snap_m=snap, options=options)
    )
    answer = await planner.run_once(run_vroom_job, payload)
    if (body.root.get("options") or {}).get("g") is True:
        network = hub.network
        if network is not None and "matrices" in payload:
            await to_thread.run_sync(lambda: add_geometry(answer, network, max_snap_m=snap))
        else:
            answer.setdefault("notes", []).append(
                "geometry needs coordinates and a road network at this hub; none drawn"
            )
    return answer
