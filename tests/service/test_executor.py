"""Solving off the event loop: bounded queue (429), cancel, crashed workers, health."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
import svc_jobs
from conftest import ALPHA, pickups

from service.executor.base import Job, JobCancelledError, QueueFullError, WorkerCrashedError
from service.executor.local import LocalExecutor


def _post_bg(client: Any, seconds: float = 3) -> Any:
    body = {"pickups": pickups(1), "options": {"wait": False, "time_limit_s": seconds}}
    return client.post("/v1/plans", json=body, headers=ALPHA)


def test_full_queue_answers_429_with_retry_after(app_factory: Any) -> None:
    """One worker, a queue of one: the third concurrent plan gets 429 + Retry-After."""
    client = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1, queue_size=1, retry_after_s=7)
    assert _post_bg(client).status_code == 202
    assert _post_bg(client).status_code == 202
    r = _post_bg(client)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.json()["error"]["code"] == "queue_full"
    # The refused request left nothing behind.
    assert client.get("/v1/plans", headers=ALPHA).json()["total"] == 2


def test_health_answers_while_every_worker_is_busy(app_factory: Any) -> None:
    """/healthz and /readyz answer quickly while the only worker solves."""
    client = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1, queue_size=2)
    plan_id = _post_bg(client, 3).json()["id"]
    time.sleep(0.5)
    assert client.get(f"/v1/plans/{plan_id}", headers=ALPHA).json()["status"] == "running"
    for path in ("/healthz", "/readyz"):
        r = client.get(path)
        assert r.status_code == 200, r.text
    # Answered while the only worker was still busy with the plan.
    assert client.get(f"/v1/plans/{plan_id}", headers=ALPHA).json()["status"] == "running"
    ready = client.get("/readyz").json()
    assert ready["running"] == 1
    assert ready["checks"] == {"database": "ok", "workers": "ok"}


def test_concurrent_waiting_requests_do_not_block_the_loop(app_factory: Any) -> None:
    """Two waiting requests on two workers both get their plan (neither blocks the other)."""
    client = app_factory(plan_job=svc_jobs.slow_plan_job, workers=2, queue_size=0)
    # Warm the workers first (process start-up is not what is measured).
    body = {"pickups": pickups(1), "options": {"time_limit_s": 0.1}}
    client.post("/v1/plans", json=body, headers=ALPHA)
    client.post("/v1/plans", json=body, headers=ALPHA)

    async def both() -> list[int]:
        b = {"pickups": pickups(1), "options": {"time_limit_s": 1.5}}
        rs = await asyncio.gather(
            *(client.http.post("/v1/plans", json=b, headers=ALPHA) for _ in range(2))
        )
        return [r.status_code for r in rs]

    assert client.run(both) == [200, 200]


def test_delete_cancels_a_queued_plan(app_factory: Any) -> None:
    """Deleting a queued plan drops its job; the worker moves on to the next."""
    client = app_factory(plan_job=svc_jobs.slow_plan_job, workers=1, queue_size=2)
    first = _post_bg(client, 1).json()["id"]
    second = _post_bg(client, 1).json()["id"]
    assert client.delete(f"/v1/plans/{second}", headers=ALPHA).status_code == 204
    for _ in range(200):  # polls, not a speed goal: the slow job finishes in about 1 s
        if client.get(f"/v1/plans/{first}", headers=ALPHA).json()["status"] == "done":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the first plan never finished after the second was deleted")
    assert client.get(f"/v1/plans/{second}", headers=ALPHA).status_code == 404
    assert client.get("/readyz").json()["queued"] == 0


def test_crashed_worker_fails_the_plan_and_pool_recovers(app_factory: Any) -> None:
    """A worker killed mid-solve fails that plan with a reason; the next plan still runs."""
    client = app_factory(plan_job=svc_jobs.crashing_job, workers=1)
    r = client.post("/v1/plans", json={"pickups": pickups(1)}, headers=ALPHA)
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "worker_crashed"
    got = client.get(r.headers["location"], headers=ALPHA).json()
    assert got["status"] == "failed"
    assert got["error"]["code"] == "worker_crashed"
    assert client.get("/readyz").status_code == 200


def test_local_executor_protocol() -> None:
    """submit/result, QueueFullError, cancel of a queued job, crash -> WorkerCrashedError."""
    ex = LocalExecutor(workers=1, queue_size=1, retry_after_s=3, start_method="forkserver")
    try:
        payload = {"problem": {"name": "x"}, "options": {"time_limit_s": 1}}
        slow = ex.submit(Job("a", svc_jobs.slow_plan_job, payload))
        queued = ex.submit(Job("b", svc_jobs.slow_plan_job, payload))
        with pytest.raises(QueueFullError) as exc:
            ex.submit(Job("c", svc_jobs.slow_plan_job, payload))
        assert exc.value.retry_after_s == 3
        assert ex.stats().queued == 1
        assert ex.cancel("b")
        with pytest.raises(JobCancelledError):
            queued.result(timeout=5)
        assert slow.result(timeout=30)["status"] == "failed"  # no valid problem: reported
        crash = ex.submit(Job("d", svc_jobs.crashing_job, {}))
        with pytest.raises(WorkerCrashedError):
            crash.result(timeout=30)
        ok = ex.submit(Job("e", svc_jobs.fake_plan_job, {}))
        assert ok.result(timeout=30)["status"] == "failed"
        assert ex.alive()
    finally:
        ex.shutdown()
    assert not ex.alive()


def test_solver_workers_yield_the_cpu_to_the_web_process() -> None:
    """Workers run at nice 19 under SCHED_IDLE, so the web process preempts them at once."""
    ex = LocalExecutor(workers=1, queue_size=1, retry_after_s=3, start_method="forkserver")
    try:
        got = ex.submit(Job("s", svc_jobs.scheduling_job, {})).result(timeout=60)
    finally:
        ex.shutdown()
    assert got == {"policy": os.SCHED_IDLE, "nice": 19}
    assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the web process keeps its own
