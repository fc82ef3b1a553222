"""Faults with real processes: a real server, the real solver, a real PostgreSQL.

The database stops and comes back; a solver process is killed mid-solve; the server
is stopped gracefully mid-solve; the SQLite disk fills up or turns read-only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import HEADERS, Server, free_port, poll, xinping_day

from tests.pg.cluster import PgCluster

pytestmark = pytest.mark.e2e


def _post(server: Server, pickups: list[dict[str, Any]], **options: Any) -> httpx.Response:
    return httpx.post(
        server.url + "/v1/plans",
        json={"pickups": pickups, "options": options},
        headers=HEADERS,
        timeout=120,
    )


def _every_api_call(server: Server, plan_id: str) -> dict[str, httpx.Response]:
    u, h = server.url, HEADERS
    day = xinping_day()[:3]
    return {
        "POST /v1/plans": httpx.post(f"{u}/v1/plans", json={"pickups": day}, headers=h),
        "GET /v1/plans": httpx.get(f"{u}/v1/plans", headers=h),
        "GET /v1/plans/{id}": httpx.get(f"{u}/v1/plans/{plan_id}", headers=h),
        "GET routes.geojson": httpx.get(f"{u}/v1/plans/{plan_id}/routes.geojson", headers=h),
        "GET runs.csv": httpx.get(f"{u}/v1/plans/{plan_id}/runs.csv", headers=h),
        "POST /v1/quotes": httpx.post(
            f"{u}/v1/quotes",
            json={"plan_id": plan_id, "pickup": {**day[0], "id": "NEW"}},
            headers=h,
        ),
        "DELETE /v1/plans/{id}": httpx.delete(f"{u}/v1/plans/{plan_id}", headers=h),
    }


@pytest.fixture
def own_pg() -> Iterator[PgCluster]:
    """A PostgreSQL cluster of this test's own (the test stops and restarts it)."""
    cluster = PgCluster().start()
    yield cluster
    cluster.destroy()


def test_database_down_is_503_with_retry_after_and_recovers(
    tmp_path: Path, own_pg: PgCluster
) -> None:
    """PostgreSQL stops: every API call answers 503 + Retry-After, /healthz stays up;
    it starts again: the same server answers 200, and nothing stored was lost."""
    server = Server(tmp_path, free_port(), HUBROUTE_DATABASE_URL=own_pg.create_database())
    server.start()
    try:
        first = _post(server, xinping_day()[:4], time_limit_s=1)
        assert first.status_code == 200, first.text
        plan_id = first.json()["id"]
        own_pg.stop()
        answers = _every_api_call(server, plan_id)
        for call, r in answers.items():
            assert r.status_code == 503, (call, r.status_code, r.text)
            assert r.headers["retry-after"] == "5", call
            assert r.json()["error"]["code"] == "database_unavailable", call
        assert httpx.get(server.url + "/healthz").status_code == 200
        assert httpx.get(server.url + "/readyz").status_code == 503
        own_pg.start()
        got = httpx.get(f"{server.url}/v1/plans/{plan_id}", headers=HEADERS)
        assert got.status_code == 200, got.text
        assert got.json()["status"] == "done"
        again = _post(server, xinping_day()[:4], time_limit_s=1)
        assert again.status_code == 200, again.text
    finally:
        server.stop()


def test_solver_killed_mid_solve_reruns_the_plan(tmp_path: Path) -> None:
    """SIGKILL the solver processes during a solve: the plan runs again and is done."""
    server = Server(tmp_path, free_port())
    server.start()
    try:
        pickups = xinping_day()
        r = _post(server, pickups, time_limit_s=4, wait=False)
        assert r.status_code == 202, r.text
        plan_id = r.json()["id"]
        poll(server.url, plan_id, {"running"}, 30)
        time.sleep(1.0)
        workers = [
            pid for pid in server.descendants() if _parent_is_forkserver(pid)
        ]  # the solver processes, not the fork server or resource tracker
        assert workers, "no solver process found"
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        got = poll(server.url, plan_id, {"done", "failed"}, 90)
        assert got["status"] == "done", got
        assert got["attempts"] == 2
        assert got["plan"]["summary"]["pickups"] == len(pickups)
    finally:
        server.stop()


def _parent_is_forkserver(pid: int) -> bool:
    import psutil

    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(pid).parent()
        return parent is not None and "forkserver" in " ".join(parent.cmdline())
    return False


def test_sigterm_hands_the_plan_back_without_counting_an_attempt(tmp_path: Path) -> None:
    """A graceful stop mid-solve, twice: after each restart the plan runs again with
    attempt 1, and is done in the end (two restarts do not fail it)."""
    server = Server(tmp_path, free_port(), HUBROUTE_MAX_ATTEMPTS="1")
    server.start()
    try:
        r = _post(server, xinping_day(), time_limit_s=4, wait=False)
        assert r.status_code == 202, r.text
        plan_id = r.json()["id"]
        for _ in range(2):
            poll(server.url, plan_id, {"running"}, 30)
            server.terminate()
            assert server.proc is not None
            # uvicorn re-raises the signal once its graceful shutdown is complete.
            assert server.proc.returncode in (0, -signal.SIGTERM)
            assert "handed 1 unfinished plan(s) back" in server.log.read_text()
            server.start()
        got = poll(server.url, plan_id, {"done", "failed"}, 90)
        assert got["status"] == "done", got
        assert got["attempts"] == 1
    finally:
        server.stop()


# Mounting needs root; a developer who is not root mounts through passwordless sudo.
_ROOT: tuple[str, ...] = () if os.geteuid() == 0 else ("sudo", "-n")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs for the SQLite file (mounting needs root: CI runs as root, others sudo)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(
        [*_ROOT, "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True
    )
    yield mount
    subprocess.run([*_ROOT, "umount", "-l", str(mount)], check=False)


def _remount(mount: Path, mode: str) -> None:
    # The server holds no file open between requests (SQLite without a pool); a
    # remount racing its heartbeat's brief write gets EBUSY: try again.
    for _ in range(50):
        done = subprocess.run([*_ROOT, "mount", "-o", f"remount,{mode}", str(mount)], check=False)
        if done.returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"could not remount {mount} {mode}")


def test_sqlite_disk_full_or_read_only_is_503_and_loses_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    """The disk fills up, then turns read-only: new plans get 503 + Retry-After,
    stored plans stay readable, and once there is room again plans are stored."""
    server = Server(small_disk, free_port(), log_dir=tmp_path)
    server.start()
    try:
        day = xinping_day()[:4]
        kept = [_post(server, day, time_limit_s=1).json()["id"] for _ in range(2)]
        filler = small_disk / "filler"
        with filler.open("wb") as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        full = _post(server, day, time_limit_s=1)
        assert full.status_code == 503, full.text
        assert full.json()["error"]["code"] == "database_unavailable"
        assert full.headers["retry-after"]
        filler.unlink()
        _remount(small_disk, "ro")
        ro = _post(server, day, time_limit_s=1)
        assert ro.status_code == 503, ro.text
        assert ro.headers["retry-after"]
        _remount(small_disk, "rw")
        for plan_id in kept:
            got = httpx.get(f"{server.url}/v1/plans/{plan_id}", headers=HEADERS).json()
            assert got["status"] == "done"
        after = _post(server, day, time_limit_s=1)
        assert after.status_code == 200, after.text
        listed = httpx.get(f"{server.url}/v1/plans", headers=HEADERS).json()
        assert listed["total"] == 3
    finally:
        server.stop()
