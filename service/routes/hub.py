"""``GET /v1/hub``: the caller's hub, its villages (every name), fleets, costs and roads."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import HubDep
from service.hub_view import HubOut, hub_view
from service.routes.common import ERRORS

router = APIRouter(prefix="/v1", tags=["hub"])


@router.get("/hub", summary="The caller's hub", response_model=HubOut, responses={**ERRORS})
async def get_hub(hub: HubDep) -> HubOut:
    """The hub of the API key: position, hours, villages, fleets, cost model and roads."""
    return hub_view(hub)
