"""Two real servers on one PostgreSQL: a shared queue, each plan solved by one; one dies
and the other takes its plan over once the lease expires."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from live_server import HEADERS, Server, free_port, poll, xinping_day

from tests.pg.cluster import PgCluster

pytestmark = pytest.mark.e2e


def test_two_replicas_share_the_queue_and_take_over(tmp_path: Path, pg_cluster: PgCluster) -> None:
    """Six plans posted to replica A (two solvers each): both replicas solve some, every
    plan is finished by exactly one; A is killed mid-solve and B finishes its plan."""
    url = pg_cluster.create_database()
    env = {"HUBROUTE_DATABASE_URL": url, "HUBROUTE_LEASE_S": "4", "HUBROUTE_HEARTBEAT_S": "0.5"}
    a = Server(tmp_path, free_port(), HUBROUTE_REPLICA_ID="replica-a", **env)
    b = Server(tmp_path, free_port(), HUBROUTE_REPLICA_ID="replica-b", **env)
    a.start()
    b.start()
    try:
        day = xinping_day()
        ids = []
        for i in range(6):
            r = httpx.post(
                a.url + "/v1/plans",
                json={"name": f"p{i}", "pickups": day[:20], "options": {"time_limit_s": 2,
                                                                         "wait": False}},
                headers=HEADERS,
                timeout=60,
            )  # fmt: skip
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        for plan_id in ids:
            assert poll(b.url, plan_id, {"done", "failed"}, 120)["status"] == "done"
        logs = {s: s.log.read_text() for s in (a, b)}
        done_by = {
            s: set(re.findall(r'"plan ([0-9a-f]{32}) done"', text)) for s, text in logs.items()
        }
        assert done_by[a] | done_by[b] == set(ids)
        assert not done_by[a] & done_by[b]  # each plan solved by exactly one replica
        assert done_by[a]
        assert done_by[b]

        # A takes a long plan, then dies: B takes it over after the lease expires.
        r = httpx.post(
            a.url + "/v1/plans",
            json={"pickups": day, "options": {"time_limit_s": 4, "wait": False}},
            headers=HEADERS,
            timeout=60,
        )
        long_id = r.json()["id"]
        got = poll(a.url, long_id, {"running"}, 30)
        assert got["status"] == "running"
        a.kill()
        got = poll(b.url, long_id, {"done", "failed"}, 120)
        assert got["status"] == "done", got
        assert got["attempts"] == 2
        assert f"plan {long_id} done" in b.log.read_text()
    finally:
        a.stop()
        b.stop()
