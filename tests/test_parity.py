"""One day, three faces, one plan: the CLI, ``POST /v1/plans`` and ``plan-batch`` agree.

The Xinping day after a landslide (``fixtures/xinping/landslide.toml``: two roads
closed, one run already on the road), priced with the hub's cost model
(``fixtures/costs/xinping.toml``), is planned in iterations mode through each face as
a user would reach it: the ``hubroute`` command in a subprocess, a real ``python -m
service`` process over HTTP, and ``hubroute plan-batch`` on a Dask cluster. Each must
give the same runs with the same stops in the same order, and the same RMB to the fen
for every run, every stop and the day.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.config import hash_api_key
from tests.service.live_server import Server, free_port, xinping_day

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
XINPING = ROOT / "fixtures" / "xinping"
SCENARIO = XINPING / "landslide.toml"
COST_MODEL = ROOT / "fixtures" / "costs" / "xinping.toml"
HUBROUTE = Path(sys.executable).parent / "hubroute"
#: Far above what the iterations take: every face stops on the solution count.
TIME_LIMIT_S = 120
ITERATIONS = 40
ALLOCATION = ["proportional", "standalone"]
KEY = "parity-key"


def _day() -> dict[str, Any]:
    data = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))
    assert data["closed_roads"], "the day has closed roads"
    assert data["locked_runs"], "the day has a run on the road"
    return data


def figures(plan: dict[str, Any]) -> dict[str, Any]:
    """What must agree: the day's cost, every run's stops in order and every RMB."""
    return {
        "total_cost_rmb": plan["summary"]["total_cost_rmb"],
        "runs": [
            {
                "vehicle": r["vehicle"],
                "run": r["run"],
                "stops": [s["pickup_id"] for s in r["stops"]],
                "cost_rmb": r["cost_rmb"],
                "stop_cost_rmb": [s["cost_rmb"] for s in r["stops"]],
                "distance_km": r["distance_km"],
            }
            for r in plan["runs"]
        ],
        "unassigned": sorted(u["pickup_id"] for u in plan["unassigned"]),
        "villages_cost_rmb": sorted((v["village"], v["cost_rmb"]) for v in plan["villages"]),
    }


def plan_by_cli(out: Path) -> dict[str, Any]:
    """``hubroute demo --scenario`` (the command that plans a scenario file)."""
    done = subprocess.run(
        [
            str(HUBROUTE),
            "demo",
            "--scenario",
            str(SCENARIO),
            "--cost-model",
            str(COST_MODEL),
            "--iterations",
            str(ITERATIONS),
            "--time-limit",
            str(TIME_LIMIT_S),
            "--allocation",
            ",".join(ALLOCATION),
            "--no-report",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads((out / "plan.json").read_text(encoding="utf-8")))


def plan_by_http(data_dir: Path) -> dict[str, Any]:
    """``POST /v1/plans`` on a real server whose hub has the Xinping cost model."""
    day = _day()
    hubs = data_dir / "hubs.toml"
    hubs.write_text(
        f'[[hubs]]\nid = "{day["hub"]["id"]}"\nscenario = "{XINPING / "scenario.toml"}"\n'
        f'cost_model = "{COST_MODEL}"\n',
        encoding="utf-8",
    )
    server = Server(
        data_dir,
        free_port(),
        HUBROUTE_HUBS_FILE=str(hubs),
        HUBROUTE_API_KEYS=json.dumps({hash_api_key(KEY): day["hub"]["id"]}),
        HUBROUTE_MAX_TIME_LIMIT_S=str(TIME_LIMIT_S),
    )
    server.start()
    try:
        r = httpx.post(
            server.url + "/v1/plans",
            json={
                "name": day["name"],
                "pickups": xinping_day(),
                "closed_roads": day["closed_roads"],
                "locked_runs": day["locked_runs"],
                "options": {
                    "time_limit_s": TIME_LIMIT_S,
                    "iterations": ITERATIONS,
                    "allocation": ALLOCATION,
                    "wait": True,
                },
            },
            headers={"X-API-Key": KEY},
            timeout=TIME_LIMIT_S + 120,
        )
    finally:
        server.stop()
    assert r.status_code == 200, r.text[-3000:]
    return dict(r.json())  # a waited-for plan answers with plan.json itself


def plan_by_batch(folder: Path) -> dict[str, Any]:
    """``hubroute plan-batch`` on a one-problem manifest, on a local Dask cluster."""
    day = _day()
    hub = day["hub"]
    locked = "".join(
        f'[[problem.locked_runs]]\nvehicle = "{lr["vehicle"]}"\nrun = {lr["run"]}\n'
        f"pickup_ids = {json.dumps(lr['pickup_ids'])}\n"
        for lr in day["locked_runs"]
    )
    manifest = folder / "batch.toml"
    manifest.write_text(
        f'name = "parity"\n[[problem]]\nname = "{day["name"]}"\n'
        f'pickups = "{XINPING / "pickups.csv"}"\nfleet = "{XINPING / "fleet.toml"}"\n'
        f'network = "{XINPING / "roads.geojson"}"\ncost_model = "{COST_MODEL}"\n'
        f"closed_roads = {json.dumps(day['closed_roads'])}\n"
        f"time_limit_s = {TIME_LIMIT_S}\niterations = {ITERATIONS}\n"
        f"allocation = {json.dumps(ALLOCATION)}\n"
        f'[problem.hub]\nid = "{hub["id"]}"\nname = "{hub["name"]}"\n'
        f"lon = {hub['lon']}\nlat = {hub['lat']}\n{locked}",
        encoding="utf-8",
    )
    out = folder / "out"
    done = subprocess.run(
        [str(HUBROUTE), "plan-batch", str(manifest), "--workers", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = (out / day["name"] / "plan.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The day planned through each face."""
    return {
        "cli": plan_by_cli(tmp_path_factory.mktemp("cli")),
        "http": plan_by_http(tmp_path_factory.mktemp("http")),
        "batch": plan_by_batch(tmp_path_factory.mktemp("batch")),
    }


def test_the_day_is_what_the_parity_claims(plans: dict[str, dict[str, Any]]) -> None:
    """The CLI's plan starts the locked run with its pickups and is priced with the hub's
    cost model: a parity of plans that all ignored them would prove little."""
    plan = plans["cli"]
    day = _day()
    lock = day["locked_runs"][0]
    run = next(r for r in plan["runs"] if (r["vehicle"], r["run"]) == (lock["vehicle"], 1))
    assert [s["pickup_id"] for s in run["stops"]][: len(lock["pickup_ids"])] == lock["pickup_ids"]
    assert Path(plan["sources"]["cost_model"]) == COST_MODEL.resolve()
    assert plan["summary"]["runs"] == len(plan["runs"]) > 0


@pytest.mark.parametrize("face", ["http", "batch"])
def test_face_gives_the_cli_plan_to_the_fen(plans: dict[str, dict[str, Any]], face: str) -> None:
    """The same runs, stops in the same order, and the same RMB for every run, stop and day."""
    assert figures(plans[face]) == figures(plans["cli"])
