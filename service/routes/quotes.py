"""``POST /v1/quotes``: what adding one pickup to a finished plan would cost."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import HubDep, PlannerDep
from service.quotes import quote_pickup
from service.routes.common import ERRORS
from service.schemas import ErrorBody, QuoteOut, QuoteRequest

router = APIRouter(prefix="/v1", tags=["quotes"])


@router.post(
    "/quotes",
    summary="Price one more pickup",
    response_model=QuoteOut,
    responses={409: {"model": ErrorBody, "description": "The plan is not done."}, **ERRORS},
)
async def create_quote(body: QuoteRequest, hub: HubDep, planner: PlannerDep) -> QuoteOut:
    """Marginal cost of inserting the pickup into the plan's runs (the plan is unchanged)."""
    return await quote_pickup(planner, hub, body)
