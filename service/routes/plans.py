"""``/v1/plans``: plan a day, poll it, list, delete, and export it."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from routing.model import Plan
from service.deps import HubDep, PlannerDep
from service.errors import Conflict, Unavailable, error_body
from service.planner import INPUT_ERROR_CODES
from service.routes.common import ERRORS
from service.schemas import (
    ErrorBody,
    ErrorDetail,
    PlanAccepted,
    PlanInfo,
    PlanOut,
    PlanPage,
    PlanRequest,
    PlanResult,
    PlanStatus,
)
from service.store.repo import StoredPlan

router = APIRouter(prefix="/v1/plans", tags=["plans"])

PlanId = Annotated[str, Path(min_length=1, max_length=64, description="Plan id.")]


def _href(plan_id: str) -> str:
    return f"/v1/plans/{plan_id}"


def _links(plan_id: str, status: str) -> dict[str, str]:
    links = {"self": _href(plan_id)}
    if status == "done":
        for name in ("routes.geojson", "runs.csv", "report.html"):
            links[name.split(".")[0]] = f"{_href(plan_id)}/{name}"
    return links


def _plan_path(suffix: str, method: str) -> str:
    return "#/paths/" + f"/v1/plans/{{plan_id}}{suffix}".replace("/", "~1") + f"/{method}"


_BY_ID = {"plan_id": "$response.body#/id"}
#: OpenAPI links from a created plan to what can be done with it (clients and the
#: stateful API tests follow them: create -> get -> exports -> quote -> delete).
PLAN_LINKS: dict[str, Any] = {
    "GetPlan": {"operationRef": _plan_path("", "get"), "parameters": _BY_ID},
    "RoutesGeoJSON": {"operationRef": _plan_path("/routes.geojson", "get"), "parameters": _BY_ID},
    "RunsCSV": {"operationRef": _plan_path("/runs.csv", "get"), "parameters": _BY_ID},
    "ReportHTML": {"operationRef": _plan_path("/report.html", "get"), "parameters": _BY_ID},
    "QuotePickup": {
        "operationRef": "#/paths/~1v1~1quotes/post",
        "requestBody": {"plan_id": "$response.body#/id"},
        "description": "Price one more pickup against this plan.",
    },
    "DeletePlan": {"operationRef": _plan_path("", "delete"), "parameters": _BY_ID},
}


def _info(stored: StoredPlan) -> dict[str, Any]:
    return {
        "id": stored.id,
        "hub_id": stored.hub_id,
        "name": stored.name,
        "status": stored.status,
        "pickups": stored.pickups,
        "attempts": stored.attempts,
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
        "finished_at": stored.finished_at,
        "cost_rmb": stored.cost_rmb,
        "runs": stored.runs,
        "parcels": stored.parcels,
        "unassigned": stored.unassigned,
        "error": ErrorDetail.model_validate(stored.error) if stored.error else None,
        "links": _links(stored.id, stored.status),
    }


@router.post(
    "",
    summary="Plan a day",
    description="Small requests (``options.wait``; by default those with few pickups) "
    "answer 200 with the plan in plan.json's schema. Others answer 202 with the plan id "
    "and a Location header to poll; they are solved in the background.",
    status_code=200,
    response_model=PlanResult,
    responses={
        200: {"links": PLAN_LINKS},
        202: {
            "model": PlanAccepted,
            "description": "Queued or still running; poll the Location after Retry-After.",
            "links": PLAN_LINKS,
        },
        500: {"model": ErrorBody, "description": "The solver failed (not bad input)."},
        **ERRORS,
    },
)
async def create_plan(
    body: PlanRequest,
    hub: HubDep,
    planner: PlannerDep,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Repeat the key to get the same plan back instead of a second "
            "solve (same body only; any unique string, e.g. a UUID).",
        ),
    ] = None,
) -> Response:
    """Validate, queue and (for small requests) wait for a plan."""
    arrived_s = getattr(request.state, "arrived_s", None)
    created = await planner.create(hub, body, idempotency_key, arrived_s=arrived_s)
    headers = {"Location": _href(created.plan_id)}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    if created.plan_json is not None:
        # plan.json as the worker wrote it, with the plan id put in front.
        text = f'{{"id":"{created.plan_id}",' + created.plan_json.lstrip()[1:]
        return Response(text, media_type="application/json", headers=headers)
    if created.error is not None:
        status = 422 if created.error.get("code") in INPUT_ERROR_CODES else 500
        detail = ErrorDetail.model_validate(created.error)
        body_out = error_body(detail.code, detail.message)
        body_out["error"]["problems"] = [p.model_dump() for p in detail.problems]
        return JSONResponse(body_out, status_code=status, headers=headers)
    accepted = PlanAccepted(id=created.plan_id, status="queued", href=_href(created.plan_id))
    if created.status == "running":
        accepted = accepted.model_copy(update={"status": "running"})
    headers["Retry-After"] = str(created.retry_after_s)
    return JSONResponse(accepted.model_dump(), status_code=202, headers=headers)


@router.get("", summary="List the hub's plans", response_model=PlanPage, responses=ERRORS)
async def list_plans(
    hub: HubDep,
    planner: PlannerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    status: Annotated[PlanStatus | None, Query()] = None,
) -> PlanPage:
    """The caller's hub's plans, newest first, without the plans themselves."""
    rows, total = await planner.list(hub.id, limit=limit, offset=offset, status=status)
    return PlanPage(
        items=[PlanInfo.model_validate(_info(r)) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{plan_id}", summary="A plan's status and result", response_model=PlanOut, responses=ERRORS
)
async def get_plan(plan_id: PlanId, hub: HubDep, planner: PlannerDep) -> Response:
    """Status (queued, running, done, failed) and, once done, the plan."""
    stored = await planner.get(hub.id, plan_id)
    info = PlanInfo.model_validate(_info(stored)).model_dump_json()
    # The plan is served as stored (plan.json text), never parsed and re-serialised.
    body = info[:-1] + ',"plan":' + (stored.result_json or "null") + "}"
    return Response(body, media_type="application/json")


@router.delete("/{plan_id}", summary="Cancel or remove a plan", status_code=204, responses=ERRORS)
async def delete_plan(plan_id: PlanId, hub: HubDep, planner: PlannerDep) -> Response:
    """Remove the plan; a queued solve is dropped, a running one abandoned."""
    await planner.delete(hub.id, plan_id)
    return Response(status_code=204)


async def _done_plan(planner: PlannerDep, hub_id: str, plan_id: str) -> Plan:
    stored = await planner.get(hub_id, plan_id)
    if stored.status != "done" or stored.result_json is None:
        raise Conflict(f"plan {plan_id!r} is {stored.status}; exports exist once it is done")
    return await to_thread.run_sync(Plan.model_validate_json, stored.result_json)


def _library(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise Unavailable(f"{module}.{name} is not available in this version") from None


@router.get(
    "/{plan_id}/routes.geojson",
    summary="Runs and stops as GeoJSON",
    responses={
        200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}},
        409: {"model": ErrorBody},
        **ERRORS,
    },
)
async def plan_geojson(plan_id: PlanId, hub: HubDep, planner: PlannerDep) -> Response:
    """A FeatureCollection: the hub's Point, one LineString per run, one Point per stop."""
    plan = await _done_plan(planner, hub.id, plan_id)
    to_geojson = _library("routing.io", "plan_to_geojson")
    return JSONResponse(to_geojson(plan, hubs=[hub.hub]), media_type="application/geo+json")


@router.get(
    "/{plan_id}/runs.csv",
    summary="Stops of every run as CSV",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        409: {"model": ErrorBody},
        **ERRORS,
    },
)
async def plan_csv(plan_id: PlanId, hub: HubDep, planner: PlannerDep) -> Response:
    """One row per stop, in run order."""
    plan = await _done_plan(planner, hub.id, plan_id)
    to_csv = _library("routing.io", "plan_to_runs_csv")
    return PlainTextResponse(
        to_csv(plan),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{plan_id}-runs.csv"'},
    )


@router.get(
    "/{plan_id}/report.html",
    summary="A printable HTML report of the plan",
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        409: {"model": ErrorBody},
        **ERRORS,
    },
)
async def plan_report(plan_id: PlanId, hub: HubDep, planner: PlannerDep) -> Response:
    """The report the CLI writes, for the plan: on the hub's roads, with the unassigned."""
    plan = await _done_plan(planner, hub.id, plan_id)
    render = _library("routing.report", "render_report")
    unassigned = {u.pickup_id: u.location for u in plan.unassigned if u.location is not None}

    def draw() -> str:
        roads, classes = hub.report_roads
        html: str = render(
            plan, roads=roads, road_classes=classes, pickups_unassigned_lonlat=unassigned
        )
        return html

    # Megabytes of HTML for a big plan (and the roads, the first time): off the loop.
    return HTMLResponse(await to_thread.run_sync(draw))
