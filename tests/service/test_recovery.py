"""Restart recovery: finished plans survive; unfinished ones are handed back or taken over."""

from __future__ import annotations

import time
from typing import Any

import pytest
import svc_jobs
from conftest import ALPHA, pickups

from service.store.repo import PlanRepo


def _wait(client: Any, plan_id: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(f"/v1/plans/{plan_id}", headers=ALPHA).json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.05)


def _start_unfinished(first: Any) -> tuple[str, str, str]:
    done = (
        first.post(
            "/v1/plans",
            json={"pickups": pickups(1), "options": {"time_limit_s": 0.1}},
            headers=ALPHA,
        )
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    body = {"pickups": pickups(2), "options": {"wait": False, "time_limit_s": 5}}
    running = first.post("/v1/plans", json=body, headers=ALPHA).json()["id"]
    queued = first.post("/v1/plans", json=body, headers=ALPHA).json()["id"]
    return done, running, queued


def test_graceful_restart_hands_plans_back_without_counting(app_factory: Any) -> None:
    """A graceful stop with two plans unfinished: the next start runs both, attempt 1."""
    first = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1)
    done, running, queued = _start_unfinished(first)
    first.close()  # lifespan shutdown: the plans in hand are handed back

    second = app_factory(plan_job=svc_jobs.fake_plan_job)
    assert second.get(f"/v1/plans/{done}", headers=ALPHA).json()["status"] == "done"
    for plan_id in (running, queued):
        got = _wait(second, plan_id)
        assert got["status"] == "done", got
        assert got["attempts"] == 1
        assert got["plan"]["summary"]["pickups"] == 2


def test_lease_of_a_dead_server_is_taken_over_and_counted(
    app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that could not hand its plans back (it died): once its leases expire,
    the next server re-runs them and counts the attempt."""
    first = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1, lease_s=1.0)
    _done, running, queued = _start_unfinished(first)
    monkeypatch.setattr(PlanRepo, "release", lambda self, owner, ids: 0)
    first.close()
    monkeypatch.undo()

    second = app_factory(plan_job=svc_jobs.fake_plan_job, lease_s=1.0, heartbeat_s=0.2)
    # The plan that was solving counts a second attempt; the one still waiting in the
    # shared queue had never started.
    for plan_id, attempts in ((running, 2), (queued, 1)):
        got = _wait(second, plan_id)
        assert got["status"] == "done", got
        assert got["attempts"] == attempts


def test_plan_interrupted_too_often_is_failed_with_reason(
    app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past max_attempts an unfinished plan is failed, saying why, never dropped."""
    first = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1, max_attempts=1, lease_s=0.5)
    body = {"pickups": pickups(1), "options": {"wait": False, "time_limit_s": 5}}
    plan_id = first.post("/v1/plans", json=body, headers=ALPHA).json()["id"]
    monkeypatch.setattr(PlanRepo, "release", lambda self, owner, ids: 0)
    first.close()
    monkeypatch.undo()
    second = app_factory(max_attempts=1, lease_s=0.5, heartbeat_s=0.2)
    got = _wait(second, plan_id, timeout_s=10)
    assert got["status"] == "failed"
    assert got["error"]["code"] == "interrupted"
    assert "limit 1" in got["error"]["message"]
