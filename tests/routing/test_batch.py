"""Batch planning on a real Dask ``LocalCluster`` and on separately started processes.

Nothing is mocked: workers are real processes on loopback. Each problem is solved
with an ``iterations`` budget (OR-Tools stops on a solution count), so plans are
deterministic and the Dask plans must equal the in-process sequential ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from routing.batch import plan_batch, plan_batch_sequential, run_batch
from routing.batch_manifest import Manifest, read_manifest
from routing.batch_results import BatchEvent, BatchResult
from routing.errors import InputError

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _comparable(result: BatchResult) -> dict[str, Any]:
    return {
        name: plan.model_dump(exclude={"summary": {"timings_s"}})
        for name, plan in result.plans().items()
    }


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 hub problems from the fixture script, each with a 30-iteration budget."""
    out = tmp_path_factory.mktemp("xp20")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "fixtures" / "make_xinping.py"),
            "--hubs",
            "20",
            "--out",
            str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    text = (out / "batch.toml").read_text(encoding="utf-8")
    text = text.replace("time_limit_s = 20", "time_limit_s = 120\niterations = 30")
    (out / "batch.toml").write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def manifest(batch_dir: Path) -> Manifest:
    """The validated manifest."""
    return read_manifest(batch_dir / "batch.toml")


@pytest.fixture(scope="module")
def reference(manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    """The in-process sequential run (plan_day per problem)."""
    return plan_batch_sequential(manifest, out_dir=tmp_path_factory.mktemp("seq"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes, one thread each, on loopback."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as c:
        yield c


def test_batch_on_local_cluster_equals_sequential_run(
    cluster: LocalCluster, manifest: Manifest, reference: BatchResult, tmp_path: Path
) -> None:
    """20 hub problems on 2 Dask workers give the sequential run's plans, and outputs."""
    events: list[BatchEvent] = []
    with Client(cluster) as client:
        result = run_batch(client, manifest, out_dir=tmp_path, progress=events.append)
    assert not result.failed, [p.error for p in result.failed]
    assert len(result.problems) == 20
    assert _comparable(result) == _comparable(reference)
    assert {p.worker for p in result.problems} <= set(cluster.scheduler_info["workers"])
    assert events[0].kind == "started"
    assert events[0].total == 20
    assert [e.done for e in events[1:]] == list(range(1, 21))
    first = result.problems[0]
    assert json.loads(first.outputs["plan"].read_text())["name"] == first.name
    summary = result.summary_csv.read_text().splitlines()
    assert len(summary) == 21
    assert summary[0].startswith("problem,hub_id")
    assert result.hubs_csv.is_file()


def test_killing_a_worker_mid_batch_still_plans_every_problem(
    cluster: LocalCluster, manifest: Manifest, reference: BatchResult, tmp_path: Path
) -> None:
    """A worker killed (os._exit) after the first plan: every problem still completes."""
    killed: list[str] = []
    with Client(cluster) as client:

        def kill_once(event: BatchEvent) -> None:
            if event.kind != "finished" or killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            victim = busy[0] if busy else next(iter(client.scheduler_info()["workers"]))
            killed.append(victim)
            with contextlib.suppress(Exception):  # the worker dies answering
                client.run(os._exit, 1, workers=[victim])

        result = run_batch(client, manifest, out_dir=tmp_path, progress=kill_once)
    assert killed
    assert not result.failed, [p.error for p in result.failed]
    assert _comparable(result) == _comparable(reference)
    cluster.wait_for_workers(2, timeout=60)


def test_separate_scheduler_and_worker_processes(
    batch_dir: Path, reference: BatchResult, tmp_path: Path
) -> None:
    """`dask scheduler` + two `dask worker` processes: plan_batch(scheduler=...) works."""
    sched_file = tmp_path / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(VENV_BIN / "dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--dashboard-address",
                    ":0",
                    "--scheduler-file",
                    str(sched_file),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(VENV_BIN / "dask"),
                        "worker",
                        "--scheduler-file",
                        str(sched_file),
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        result = plan_batch(
            batch_dir / "batch.toml", scheduler=address, workers=2, out_dir=tmp_path / "out"
        )
        assert result.scheduler == address
        assert result.workers == 2
        assert not result.failed
        assert _comparable(result) == _comparable(reference)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_bad_manifest_rows_are_all_reported_at_once(batch_dir: Path, tmp_path: Path) -> None:
    """A CSV manifest with several bad rows raises one InputError naming each."""
    good = f"{batch_dir}/01-guishan"
    text = (
        "name,hub_id,hub_name,hub_lon,hub_lat,pickups,network,fleet,time_limit_s,seed,iterations\n"
        f"ok,h1,Hub,101.98,24.07,{good}/pickups.csv,{batch_dir}/roads.geojson,{good}/fleet.toml,5,0,10\n"
        f"ok,h2,Hub,101.98,24.07,{good}/pickups.csv,,{good}/fleet.toml,5,0,10\n"
        f"far,h3,Hub,200,24.07,{good}/pickups.csv,,{good}/fleet.toml,-1,x,0\n"
        f"nofile,h4,Hub,101.98,24.07,{good}/missing.csv,,{good}/fleet.toml,5,0,\n"
    )
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_manifest(path)
    found = {(p.record.split(": ", 1)[1], p.field) for p in info.value.problems}
    assert ("problem #2 'ok'", "name") in found
    assert ("problem #3 'far'", "hub.lon") in found
    assert ("problem #3 'far'", "time_limit_s") in found
    assert ("problem #3 'far'", "seed") in found
    assert ("problem #3 'far'", "iterations") in found
    assert ("problem #4 'nofile'", "pickups") in found
