"""Storage schema: what is kept of each request and each plan.

``plan_requests`` keeps the body as the caller sent it and the resolved job payload
(problem, options, network) the worker solves, so a plan interrupted by a restart can
be re-run exactly. ``plans`` keeps status, the plan JSON (plan.json's schema) or the
error, and how many times it was attempted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class PlanRequestRecord(Base):
    """A plan request as received, and the payload the worker solves."""

    __tablename__ = "plan_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hub_id: Mapped[str] = mapped_column(String(128), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JsonType)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A retried POST with the same Idempotency-Key returns this plan (same body only).
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    body_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ux_plan_requests_idempotency", "hub_id", "idempotency_key", unique=True),
    )


class PlanRecord(Base):
    """A plan's lifecycle: queued -> running -> done | failed."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(
        String(32), ForeignKey("plan_requests.id", ondelete="CASCADE"), primary_key=True
    )
    hub_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    pickups: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # plan.json text exactly as the worker serialised it: never re-parsed to be served.
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The replica solving it, until when (renewed by its heartbeat); NULL: free to claim.
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # The plan's headline figures, so the list needs no plan JSON.
    cost_rmb: Mapped[float | None] = mapped_column(Float, nullable=True)
    runs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    parcels: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unassigned: Mapped[int | None] = mapped_column(Integer, nullable=True)
