"""Restart recovery: finished plans survive; unfinished ones are re-run or failed."""

from __future__ import annotations

import time
from typing import Any

import svc_jobs
from conftest import ALPHA, pickups


def _wait(client: Any, plan_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        body = client.get(f"/v1/plans/{plan_id}", headers=ALPHA).json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.05)


def test_restart_keeps_done_and_reruns_unfinished(app_factory: Any) -> None:
    """Crash with one plan done and two unfinished: after restart all three are done."""
    first = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1)
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
    first.close()  # the process goes away with two plans unfinished

    second = app_factory(plan_job=svc_jobs.fake_plan_job)
    assert second.get(f"/v1/plans/{done}", headers=ALPHA).json()["status"] == "done"
    for plan_id in (running, queued):
        got = _wait(second, plan_id)
        assert got["status"] == "done", got
        assert got["attempts"] == 2
        assert got["plan"]["summary"]["pickups"] == 2


def test_plan_interrupted_too_often_is_failed_with_reason(app_factory: Any) -> None:
    """Past max_attempts an unfinished plan is failed, saying why, never dropped."""
    first = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1, max_attempts=1)
    body = {"pickups": pickups(1), "options": {"wait": False, "time_limit_s": 5}}
    plan_id = first.post("/v1/plans", json=body, headers=ALPHA).json()["id"]
    first.close()
    second = app_factory(max_attempts=1)
    got = second.get(f"/v1/plans/{plan_id}", headers=ALPHA).json()
    assert got["status"] == "failed"
    assert got["error"]["code"] == "interrupted"
    assert "restart" in got["error"]["message"]
