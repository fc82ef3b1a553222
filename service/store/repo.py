"""Data access for plans, kept out of the handlers.

Methods are synchronous (SQLAlchemy sessions) and are called from worker threads
(``anyio.to_thread``), so the event loop and health checks never wait on the database.
They return frozen :class:`StoredPlan` snapshots, never live ORM objects.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
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
    cost_rmb: float | None = None
    runs: int | None = None
    parcels: int | None = None
    unassigned: int | None = None
    lease_owner: str | None = None

    def outcome(self) -> dict[str, Any]:
        """The finished plan as a job outcome: status, plan JSON or error."""
        return {"status": self.status, "plan_json": self.result_json, "error": self.error}


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
        cost_rmb=rec.cost_rmb,
        runs=rec.runs,
        parcels=rec.parcels,
        unassigned=rec.unassigned,
        lease_owner=rec.lease_owner,
    )


class IdempotencyReused(Exception):
    """An Idempotency-Key already names a request with another body."""

    def __init__(self, plan_id: str) -> None:
        super().__init__(plan_id)
        self.plan_id = plan_id


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
        owner: str | None = None,
        lease_s: float = 0.0,
        idempotency_key: str | None = None,
        body_sha256: str | None = None,
    ) -> StoredPlan:
        """Store a new request and its plan, status ``queued``, leased to ``owner``.

        Returns
        -------
        StoredPlan
            The new plan; or, when ``idempotency_key`` was already used for the same
            body at this hub (a concurrent retry), the plan stored first.

        Raises
        ------
        IdempotencyReused
            The key was used before with another body.
        """
        new = dict(locals())
        now = now_utc()
        try:
            with self._sessions.begin() as session:
                return self._insert(session, new, now)
        except IntegrityError:
            if idempotency_key is None:
                raise
            found = self.by_idempotency_key(hub_id, idempotency_key, body_sha256 or "")
            if found is None:
                raise
            return found

    def by_idempotency_key(self, hub_id: str, key: str, body_sha256: str) -> StoredPlan | None:
        """The hub's plan stored under ``key``, or None.

        Raises
        ------
        IdempotencyReused
            The key names a request with another body.
        """
        with self._sessions() as session:
            req = session.scalar(
                select(PlanRequestRecord).where(
                    PlanRequestRecord.hub_id == hub_id,
                    PlanRequestRecord.idempotency_key == key,
                )
            )
            if req is None:
                return None
            if req.body_sha256 != body_sha256:
                raise IdempotencyReused(req.id)
            rec = session.get(PlanRecord, req.id)
            return None if rec is None else _snapshot(rec)

    @staticmethod
    def _insert(session: Any, new: dict[str, Any], now: datetime) -> StoredPlan:
        plan_id, hub_id, owner = new["plan_id"], new["hub_id"], new["owner"]
        body, payload, lease_s = new["body"], new["payload"], new["lease_s"]
        idempotency_key, body_sha256 = new["idempotency_key"], new["body_sha256"]
        name, pickups = new["name"], new["pickups"]
        session.add(
            PlanRequestRecord(
                id=plan_id,
                hub_id=hub_id,
                body=body,
                payload=payload,
                created_at=now,
                idempotency_key=idempotency_key,
                body_sha256=body_sha256,
            )
        )
        session.flush()
        rec = PlanRecord(
            id=plan_id,
            hub_id=hub_id,
            name=name,
            status="queued",
            pickups=pickups,
            attempts=1 if owner else 0,  # an unclaimed plan has not started yet
            created_at=now,
            updated_at=now,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s) if owner else None,
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
        figures: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> bool:
        """Record the outcome: ``done`` with the plan JSON text, or ``failed`` with the error.

        ``figures`` (cost_rmb, runs, parcels, unassigned) are kept for the list. With an
        ``owner``, only a plan still leased to it is finished: a replica that lost its
        lease (another took the plan over) stores nothing.

        Returns
        -------
        bool
            False if the plan no longer exists (deleted while it ran) or is not ours.
        """
        now = now_utc()
        status = "done" if result_json is not None else "failed"
        where = [PlanRecord.id == plan_id]
        if owner is not None:
            where.append(or_(PlanRecord.lease_owner == owner, PlanRecord.lease_owner.is_(None)))
        with self._sessions.begin() as session:
            res = session.execute(
                update(PlanRecord)
                .where(*where)
                .values(
                    status=status,
                    result_json=result_json,
                    error=error,
                    updated_at=now,
                    finished_at=now,
                    lease_owner=None,
                    lease_expires_at=None,
                    **(figures or {}),
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

    def count_unclaimed(self) -> int:
        """Plans waiting in the shared queue: unfinished and held by no replica."""
        with self._sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(PlanRecord)
                    .where(PlanRecord.status.in_(UNFINISHED), PlanRecord.lease_owner.is_(None))
                )
                or 0
            )

    def heartbeat(self, owner: str, lease_s: float, running: Sequence[str] = ()) -> int:
        """Extend every lease ``owner`` holds; mark the plans it is solving ``running``.

        Returns
        -------
        int
            How many leases were extended.
        """
        now = now_utc()
        mine = [PlanRecord.lease_owner == owner, PlanRecord.status.in_(UNFINISHED)]
        with self._sessions.begin() as session:
            res = session.execute(
                update(PlanRecord)
                .where(*mine)
                .values(lease_expires_at=now + timedelta(seconds=lease_s))
            )
            if running:
                session.execute(
                    update(PlanRecord)
                    .where(*mine, PlanRecord.id.in_(list(running)))
                    .values(status="running", updated_at=now)
                )
            return int(getattr(res, "rowcount", 0) or 0)

    def claim(
        self, owner: str, lease_s: float, *, limit: int, max_attempts: int
    ) -> tuple[builtins.list[StoredPlan], builtins.list[str]]:
        """Lease up to ``limit`` unfinished plans that nobody holds (or whose lease expired).

        Rows are locked with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so concurrent
        replicas never claim the same plan; SQLite serialises writers anyway. A plan
        taken over from an expired lease counts an attempt; one already attempted
        ``max_attempts`` times is failed with the reason instead.

        Returns
        -------
        tuple
            The claimed plans (with payloads) and the ids of the plans failed.
        """
        now = now_utc()
        free = or_(PlanRecord.lease_owner.is_(None), PlanRecord.lease_expires_at < now)
        claimed: list[StoredPlan] = []
        failed: list[str] = []
        with self._sessions.begin() as session:
            rows = session.execute(
                select(PlanRecord.id, PlanRecord.attempts)
                .where(PlanRecord.status.in_(UNFINISHED), free)
                .order_by(PlanRecord.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for plan_id, attempts in rows:
                # Compare-and-set: SQLite takes no row locks, so a row another claimer
                # took since the SELECT no longer matches and is skipped.
                cas = update(PlanRecord).where(
                    PlanRecord.id == plan_id,
                    PlanRecord.attempts == attempts,
                    PlanRecord.status.in_(UNFINISHED),
                    free,
                )
                if attempts >= max_attempts:
                    error = {
                        "code": "interrupted",
                        "message": f"interrupted {attempts} time(s) (a server or solver "
                        f"died); not re-run (limit {max_attempts}); submit it again",
                        "problems": [],
                    }
                    values: dict[str, Any] = {
                        "status": "failed", "error": error, "finished_at": now,
                        "lease_owner": None, "lease_expires_at": None,
                    }  # fmt: skip
                else:
                    values = {
                        "status": "queued", "attempts": attempts + 1, "lease_owner": owner,
                        "lease_expires_at": now + timedelta(seconds=lease_s),
                    }  # fmt: skip
                res = session.execute(cas.values(updated_at=now, **values))
                if not getattr(res, "rowcount", 0):
                    continue
                if values["status"] == "failed":
                    failed.append(plan_id)
                    continue
                rec = session.get(PlanRecord, plan_id, populate_existing=True)
                req = session.get(PlanRequestRecord, plan_id)
                assert rec is not None
                claimed.append(_snapshot(rec, payload=dict(req.payload) if req else None))
        return claimed, failed

    def count_attempt(self, plan_id: str, owner: str, max_attempts: int) -> bool:
        """Count one more attempt of a plan ``owner`` holds; False past ``max_attempts``."""
        with self._sessions.begin() as session:
            res = session.execute(
                update(PlanRecord)
                .where(
                    PlanRecord.id == plan_id,
                    PlanRecord.lease_owner == owner,
                    PlanRecord.attempts < max_attempts,
                )
                .values(attempts=PlanRecord.attempts + 1, status="queued", updated_at=now_utc())
            )
            return bool(getattr(res, "rowcount", 0))

    def release(self, owner: str, plan_ids: Sequence[str]) -> int:
        """Hand plans back unfinished (a graceful shutdown): queued, unleased, and the
        interrupted attempt not counted."""
        if not plan_ids:
            return 0
        with self._sessions.begin() as session:
            res = session.execute(
                update(PlanRecord)
                .where(
                    PlanRecord.id.in_(list(plan_ids)),
                    PlanRecord.lease_owner == owner,
                    PlanRecord.status.in_(UNFINISHED),
                )
                .values(
                    status="queued",
                    lease_owner=None,
                    lease_expires_at=None,
                    attempts=PlanRecord.attempts - 1,
                    updated_at=now_utc(),
                )
            )
            return int(getattr(res, "rowcount", 0) or 0)
