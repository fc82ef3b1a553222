"""End to end: a real server process, the Xinping day, SIGKILL, restart, plan still there."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.config import hash_api_key

ROOT = Path(__file__).resolve().parents[2]
KEY = "e2e-key"
HEADERS = {"X-API-Key": KEY}

pytestmark = pytest.mark.e2e


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m service`` as a child process in its own session."""

    def __init__(self, data_dir: Path, port: int, **env: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "HUBROUTE_DATA_DIR": str(data_dir),
            "HUBROUTE_HUBS_FILE": str(ROOT / "service" / "hubs.example.toml"),
            "HUBROUTE_API_KEYS": json.dumps({hash_api_key(KEY): "xinping"}),
            "HUBROUTE_MAX_TIME_LIMIT_S": "30",
            **env,
        }
        self.log = data_dir / f"server-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.sessions: list[int] = []

    def start(self) -> None:
        """Start and wait until /readyz answers 200."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service", "--port", str(self.port), "--workers", "2"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.sessions.append(self.proc.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not become ready:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL the server process (a crash: no shutdown code runs)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Clean up whatever of this server's session is left."""
        for pgid in self.sessions:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server on a free loopback port with its own database (SQLite or PostgreSQL)."""
    assert (ROOT / "fixtures" / "xinping" / "scenario.toml").exists()
    # A short lease: the restarted server takes the killed one's plans over quickly.
    s = Server(
        tmp_path, free_port(), HUBROUTE_DATABASE_URL=database_url, HUBROUTE_LEASE_S="4"
    )
    s.start()
    yield s
    s.stop()


def xinping_day() -> list[dict[str, Any]]:
    """The Xinping fixture's pickups as API pickups."""
    from routing.io import read_pickups

    return [
        p.model_dump(mode="json", exclude_none=True)
        for p in read_pickups(ROOT / "fixtures" / "xinping" / "pickups.csv")
    ]


def poll(url: str, plan_id: str, statuses: set[str], timeout_s: float) -> dict[str, Any]:
    """Poll a plan until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = httpx.get(f"{url}/v1/plans/{plan_id}", headers=HEADERS, timeout=10).json()
        if body["status"] in statuses or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.2)


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
