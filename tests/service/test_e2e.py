"""End to end: a real server process, the Xinping day, SIGKILL, restart, plan still there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import HEADERS, ROOT, Server, free_port, poll, xinping_day

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server on a free loopback port with its own database (SQLite or PostgreSQL)."""
    assert (ROOT / "fixtures" / "xinping" / "scenario.toml").exists()
    # A short lease: the restarted server takes the killed one's plans over quickly.
    s = Server(tmp_path, free_port(), HUBROUTE_DATABASE_URL=database_url, HUBROUTE_LEASE_S="4")
    s.start()
    yield s
    s.stop()


def test_plan_survives_sigkill_and_restart(server: Server) -> None:
    """POST the Xinping day, SIGKILL mid-solve, restart: the plan is re-run to done."""
    pickups = xinping_day()
    small = httpx.post(
        server.url + "/v1/plans",
        json={"name": "small", "pickups": pickups[:5], "options": {"time_limit_s": 2}},
        headers=HEADERS,
        timeout=120,
    )
    assert small.status_code == 200, small.text
    small_id = small.json()["id"]
    assert small.headers["location"] == f"/v1/plans/{small_id}"
    r = httpx.post(
        server.url + "/v1/plans",
        json={
            "name": "xinping-day",
            "pickups": pickups,
            "options": {"time_limit_s": 10, "wait": False},
        },
        headers=HEADERS,
        timeout=60,
    )
    assert r.status_code == 202, r.text
    plan_id = r.json()["id"]
    poll(server.url, plan_id, {"running", "done"}, 30)

    server.kill()
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.url + "/healthz", timeout=1)
    server.start()

    kept = httpx.get(f"{server.url}/v1/plans/{small_id}", headers=HEADERS).json()
    assert kept["status"] == "done"
    assert kept["plan"]["summary"]["pickups"] == 5
    got = poll(server.url, plan_id, {"done", "failed"}, 120)
    assert got["status"] == "done", got
    assert got["attempts"] == 2
    plan = got["plan"]
    assert plan["summary"]["pickups"] == len(pickups)
    served = sum(len(run["stops"]) for run in plan["runs"]) + len(plan["unassigned"])
    assert served >= len(pickups)
