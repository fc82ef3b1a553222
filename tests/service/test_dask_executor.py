"""The Dask executor: the service planning on a real ``distributed.LocalCluster``.

Every test runs real worker processes on loopback; nothing is mocked.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import svc_jobs
from asgi_client import AppClient
from conftest import ALPHA, make_settings, pickups
from distributed import Client, LocalCluster

from service.executor.base import Job, JobCancelledError, QueueFullError, WorkerCrashedError
from service.executor.dask import DaskExecutor
from service.jobs import run_plan_job
from service.main import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes, one thread each, on loopback."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    ) as c:
        yield c


def _executor(cluster: LocalCluster, **kw: Any) -> DaskExecutor:
    return DaskExecutor(str(cluster.scheduler_address), **kw)


def test_service_on_dask_serves_a_posted_plan(cluster: LocalCluster, tmp_path: Path) -> None:
    """executor=dask: a POSTed plan is solved by the real planner on a Dask worker."""
    settings = make_settings(
        tmp_path, executor="dask", dask_scheduler=str(cluster.scheduler_address)
    )
    with AppClient(create_app(settings, plan_job=run_plan_job)) as client:
        r = client.post(
            "/v1/plans",
            json={"pickups": pickups(4), "options": {"time_limit_s": 1}},
            headers=ALPHA,
        )
        assert r.status_code == 200, r.text
        plan = r.json()
        served = {s["pickup_id"] for run in plan["runs"] for s in run["stops"]}
        assert served | {u["pickup_id"] for u in plan["unassigned"]} == {"P0", "P1", "P2", "P3"}
        assert plan["summary"]["pickups"] == 4
        ready = client.get("/readyz").json()
        assert ready["checks"]["workers"] == "ok"


def test_settings_select_dask_with_an_embedded_cluster(tmp_path: Path) -> None:
    """executor=dask without a scheduler address starts its own LocalCluster."""
    settings = make_settings(tmp_path, executor="dask", workers=1)
    with AppClient(create_app(settings, plan_job=svc_jobs.fake_plan_job)) as client:
        r = client.post("/v1/plans", json={"pickups": pickups(2)}, headers=ALPHA)
        assert r.status_code == 200, r.text
        assert client.get("/readyz").json()["checks"]["workers"] == "ok"


def test_job_key_is_the_job_id_and_result_comes_back(cluster: LocalCluster) -> None:
    """A job runs under its id as the Dask key; stats count the cluster's workers."""
    ex = _executor(cluster)
    try:
        handle = ex.submit(Job("job-key-1", svc_jobs.slow_plan_job, _slow_payload(0.2)))
        assert handle.job_id == "job-key-1"
        assert handle.future.key == "job-key-1"  # type: ignore[attr-defined]
        assert handle.result(timeout=60)["status"] == "done"
        assert ex.alive()
        assert ex.stats().workers == 2
    finally:
        ex.shutdown()


def _slow_payload(seconds: float) -> dict[str, Any]:
    return {
        "problem": {
            "hubs": [{"id": "alpha", "lon": 101.9887, "lat": 24.0729}],
            "pickups": [{"id": "P0", "village": "V0", "lon": 101.95, "lat": 24.05, "parcels": 1}],
            "vehicle_types": [{"name": "van", "capacity_parcels": 10, "capacity_kg": 100}],
        },
        "options": {"time_limit_s": seconds},
    }


def test_full_queue_raises_and_cancel_ends_a_job(cluster: LocalCluster) -> None:
    """Two threads + queue of one: the fourth job is refused; cancel settles a job."""
    ex = _executor(cluster, queue_size=1)
    try:
        handles = [
            ex.submit(Job(f"q{i}", svc_jobs.slow_plan_job, _slow_payload(3))) for i in range(3)
        ]
        with pytest.raises(QueueFullError):
            ex.submit(Job("q3", svc_jobs.slow_plan_job, _slow_payload(3)))
        assert ex.cancel("q2")
        with pytest.raises(JobCancelledError):
            handles[2].result(timeout=5)
        assert not ex.cancel("q2")
        deadline = time.monotonic() + 10
        while ex.stats().running < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ex.stats().running == 2
        assert handles[0].running()
    finally:
        ex.shutdown()


def test_worker_killed_mid_solve_reruns_the_plan(cluster: LocalCluster) -> None:
    """A worker that dies mid-job makes Dask run the job again; the result arrives."""
    ex = _executor(cluster)
    client = Client(cluster.scheduler_address, set_as_default=False)
    try:
        handle = ex.submit(Job("crash-once", svc_jobs.slow_plan_job, _slow_payload(4)))
        deadline = time.monotonic() + 20
        while not handle.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert handle.running()
        processing = client.processing()
        worker = next(w for w, keys in processing.items() if "crash-once" in keys)
        # The worker dies answering; its nanny starts a fresh one.
        with contextlib.suppress(Exception):
            client.run(os._exit, 1, workers=[worker])
        assert handle.result(timeout=90)["status"] == "done"
    finally:
        client.close()
        ex.shutdown()
        cluster.wait_for_workers(2, timeout=60)


def test_job_killing_every_worker_fails_with_a_reason(tmp_path: Path) -> None:
    """A job that kills each worker that runs it fails with WorkerCrashedError, no hang."""
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as own,
    ):
        ex = DaskExecutor(str(own.scheduler_address))
        try:
            handle = ex.submit(Job("poison", svc_jobs.crashing_job, {}))
            with pytest.raises(WorkerCrashedError, match="died"):
                handle.result(timeout=120)
        finally:
            ex.shutdown()
