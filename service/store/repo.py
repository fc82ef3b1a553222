"""Data access for plans, kept out of the handlers.

Methods are synchronous (SQLAlchemy sessions) and are called from worker threads
(``anyio.to_thread``), so the event loop and health checks never wait on the database.
They return frozen :class:`StoredPlan` snapshots, never live ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import sessionmaker

from service.store.models import PlanRecord, PlanRequestRecord

UNFINISHED = ("queued", "running")


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class StoredPlan:
    """A plan as stored: status, timestamps, the plan JSON or the error."""

    id: str
    hub_id: str
    name: str
    status: str
    pickups: int
    attempts: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    result_json: str | None = None
    error: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None


def _snapshot(
    rec: PlanRecord, *, with_result: bool = True, payload: dict[str, Any] | None = None
) -> StoredPlan:
    created = _utc(rec.created_at)
    updated = _utc(rec.updated_at)
    assert created is not None
    assert updated is not None
    return StoredPlan(
        id=rec.id,
        hub_id=rec.hub_id,
        name=rec.name,
        status=rec.status,
        pickups=rec.pickups,
        attempts=rec.attempts,
        created_at=created,
        updated_at=updated,
        finished_at=_utc(rec.finished_at),
        result_json=rec.result_json if with_result else None,
        error=rec.error,
        payload=payload,
    )


class PlanRepo:
    """Plans and their requests in one SQL database.

    Parameters
    ----------
    engine
        A SQLAlchemy engine whose schema is at the latest migration.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def ping(self) -> None:
        """Run ``SELECT 1``; raises if the database is unreachable."""
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def create(
        self,
        *,
        plan_id: str,
        hub_id: str,
        name: str,
        pickups: int,
        body: dict[str, Any],
        payload: dict[str, Any],
    ) -> StoredPlan:
        """Store a new request and its plan, status ``queued``."""
        now = now_utc()
        with self._sessions.begin() as session:
            session.add(
                PlanRequestRecord(
                    id=plan_id, hub_id=hub_id, body=body, payload=payload, created_at=now
                )
            )
            session.flush()
            rec = PlanRecord(
                id=plan_id,
                hub_id=hub_id,
                name=name,
                status="queued",
                pickups=pickups,
                attempts=1,
                created_at=now,
                updated_at=now,
            )
            session.add(rec)
            session.flush()
            return _snapshot(rec)

    def get(self, hub_id: str, plan_id: str) -> StoredPlan | None:
        """The hub's plan ``plan_id``, or None (also when it belongs to another hub)."""
        with self._sessions() as session:
            rec = session.get(PlanRecord, plan_id)
            if rec is None or rec.hub_id != hub_id:
                return None
            return _snapshot(rec)

    def list(
        self, hub_id: str, *, limit: int, offset: int, status: str | None = None
    ) -> tuple[list[StoredPlan], int]:
        """A page of the hub's plans, newest first, and the total count."""
        where = [PlanRecord.hub_id == hub_id]
        if status is not None:
            where.append(PlanRecord.status == status)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(PlanRecord).where(*where))
            rows = session.scalars(
                select(PlanRecord)
                .where(*where)
                .order_by(PlanRecord.created_at.desc(), PlanRecord.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return [_snapshot(r, with_result=False) for r in rows], int(total or 0)

    def set_status(self, plan_id: str, status: str) -> None:
        """Move an unfinished plan to ``status`` (e.g. ``running``)."""
        with self._sessions.begin() as session:
            session.execute(
                update(PlanRecord)
                .where(PlanRecord.id == plan_id, PlanRecord.status.in_(UNFINISHED))
                .values(status=status, updated_at=now_utc())
            )

    def finish(
        self,
        plan_id: str,
        *,
        result_json: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Record the outcome: ``done`` with the plan JSON text, or ``failed`` with the error.

        Returns
        -------
        bool
            False if the plan no longer exists (deleted while it ran).
        """
        now = now_utc()
        status = "done" if result_json is not None else "failed"
        with self._sessions.begin() as session:
            res = session.execute(
                update(PlanRecord)
                .where(PlanRecord.id == plan_id)
                .values(
                    status=status,
                    result_json=result_json,
                    error=error,
                    updated_at=now,
                    finished_at=now,
                )
            )
            return bool(getattr(res, "rowcount", 0))

    def delete(self, hub_id: str, plan_id: str) -> bool:
        """Remove the hub's plan and its request. Returns False if there was none."""
        with self._sessions.begin() as session:
            rec = session.get(PlanRecord, plan_id)
            if rec is None or rec.hub_id != hub_id:
                return False
            session.execute(delete(PlanRecord).where(PlanRecord.id == plan_id))
            session.execute(delete(PlanRequestRecord).where(PlanRequestRecord.id == plan_id))
            return True

    def get_payload(self, plan_id: str) -> dict[str, Any] | None:
        """The job payload (problem, options, network) stored with a plan's request."""
        with self._sessions() as session:
            rec = session.get(PlanRequestRecord, plan_id)
            return None if rec is None else dict(rec.payload)

    def unfinished(self) -> Sequence[StoredPlan]:
        """Plans left queued or running (by a crash or restart), with their payloads."""
        with self._sessions() as session:
            rows = session.execute(
                select(PlanRecord, PlanRequestRecord.payload)
                .join(PlanRequestRecord, PlanRequestRecord.id == PlanRecord.id)
                .where(PlanRecord.status.in_(UNFINISHED))
                .order_by(PlanRecord.created_at)
            ).all()
            return [_snapshot(rec, payload=payload) for rec, payload in rows]

    def requeue(self, plan_id: str) -> None:
        """Mark a recovered plan queued again and count the new attempt."""
        with self._sessions.begin() as session:
            session.execute(
                update(PlanRecord)
                .where(PlanRecord.id == plan_id)
                .values(status="queued", attempts=PlanRecord.attempts + 1, updated_at=now_utc())
            )
