"""A plan's time limit runs from the request's arrival: the solve gets what is left."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
import svc_jobs
from asgi_client import AppClient
from conftest import ALPHA, pickups

import routing
from routing.deadline import Deadline
from routing.errors import InputError
from routing.io import read_scenario
from service.jobs import ANSWER_BASE_S, ANSWER_S_PER_PICKUP, ARRIVED_KEY, job_deadline, run_plan_job

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 5.0
BODY_DELAY_S = 0.3


def test_the_limit_counts_from_before_the_body_is_read(
    app_factory: Callable[..., AppClient],
) -> None:
    """A body that takes 0.3 s to arrive is counted: the deadline the job plans to is
    the limit after the request's first byte, not after parsing or queueing."""
    client = app_factory(plan_job=svc_jobs.deadline_job)
    text = json.dumps(
        {"pickups": pickups(3), "options": {"time_limit_s": LIMIT_S, "wait": True}}
    ).encode()

    async def slow_body() -> AsyncIterator[bytes]:
        yield text[:10]
        await anyio.sleep(BODY_DELAY_S)
        yield text[10:]

    async def post() -> Any:
        return await client.http.post(
            "/v1/plans",
            content=slow_body(),
            headers={**ALPHA, "Content-Type": "application/json"},
        )

    sent = time.time()
    r = client.run(post)
    assert r.status_code == 200, r.text
    t = r.json()["summary"]["timings_s"]
    assert sent <= t["arrived"] <= t["job_started"]
    assert t["job_started"] - t["arrived"] >= BODY_DELAY_S
    assert 0 < t["left"] <= LIMIT_S - (t["job_started"] - t["arrived"])
    # The stored payload has no arrival: a re-run (after a crash, by another replica)
    # gets its whole limit again.
    assert ARRIVED_KEY not in client.app.state.repo.get_payload(r.json()["id"])


def _payload(arrived_s: float | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"options": {"time_limit_s": LIMIT_S}}
    if arrived_s is not None:
        payload[ARRIVED_KEY] = arrived_s
    return payload


def test_job_deadline_is_the_limit_after_arrival_less_the_answer() -> None:
    before_mono, before = time.monotonic(), time.time()
    deadline = job_deadline(_payload(before - 2.0), 1000)
    after_mono, after = time.monotonic(), time.time()
    assert deadline is not None
    # spent is between 2 s and 2 s plus the call: the end lies LIMIT - spent after it.
    assert before_mono + LIMIT_S - 2.0 - (after - before) <= deadline.end
    assert deadline.end <= after_mono + LIMIT_S - 2.0
    assert deadline.reserve_s >= ANSWER_BASE_S + ANSWER_S_PER_PICKUP * 1000
    bigger = job_deadline(_payload(before - 2.0), 5000)
    assert bigger is not None
    assert bigger.reserve_s > deadline.reserve_s


def test_without_an_arrival_the_job_keeps_its_default() -> None:
    assert job_deadline(_payload(None), 100) is None


@pytest.mark.parametrize("offset_s", [-3600.0, 3600.0])
def test_a_clock_far_off_never_gives_more_than_the_limit(offset_s: float) -> None:
    """An arrival an hour ago leaves nothing; one an hour ahead (a skewed clock on
    another machine) leaves the limit, never more."""
    deadline = job_deadline(_payload(time.time() + offset_s), 100)
    after_mono = time.monotonic()
    assert deadline is not None
    assert deadline.end <= after_mono + (LIMIT_S if offset_s > 0 else 0.0)
    if offset_s > 0:
        assert deadline.end >= after_mono + LIMIT_S - 1.0


def test_run_plan_job_hands_the_deadline_to_the_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = read_scenario(ROOT / "fixtures" / "xinping" / "scenario.toml").problem
    seen: dict[str, Deadline | None] = {}

    def plan_day(*args: Any, deadline: Deadline | None = None, **kw: Any) -> Any:
        seen["deadline"] = deadline
        raise InputError("stopped here: only the deadline is under test")

    monkeypatch.setattr(routing, "plan_day", plan_day)
    payload = {
        "problem": problem.model_dump(mode="json"),
        "options": {"time_limit_s": LIMIT_S},
        "network_path": None,
        ARRIVED_KEY: time.time() - 1.0,
    }
    out = run_plan_job(payload)
    assert out["status"] == "failed"
    assert "stopped here" in out["error"]["message"]
    got = seen["deadline"]
    assert got is not None
    assert got.end <= time.monotonic() + LIMIT_S - 1.0
    assert got.reserve_s >= ANSWER_BASE_S + ANSWER_S_PER_PICKUP * len(problem.pickups)
