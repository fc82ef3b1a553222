"""The CLI end to end on the fixtures, and every bad input as a clean one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routing.check import check_plan
from routing.io import read_plan, read_scenario
from routing.matrix import RoadMatrixProvider
from routing.network import network_from_file
from routing.pipeline import matrices_for

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "fixtures" / "small"
BAD = ROOT / "fixtures" / "bad"
HUB = "101.99,24.07"


def hubroute(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routing", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_plan_on_the_small_fixture_writes_checked_outputs(tmp_path: Path) -> None:
    result = hubroute(
        "plan",
        "--pickups",
        SMALL / "pickups.csv",
        "--fleet",
        SMALL / "fleet.toml",
        "--network",
        SMALL / "roads.geojson",
        "--hub",
        HUB,
        "--time-limit",
        "2",
        "--iterations",
        "30",
        "--out",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    plan = read_plan(tmp_path / "plan.json")
    reasons = {u.pickup_id: u.reason.value for u in plan.unassigned}
    assert reasons.get("Y") == "unreachable"
    scenario = read_scenario(SMALL / "scenario.toml")
    problem = scenario.problem.model_copy(
        update={"hubs": (scenario.problem.hubs[0].model_copy(update={"id": "hub"}),)}
    )
    network = network_from_file(SMALL / "roads.geojson")
    matrices = matrices_for(problem, RoadMatrixProvider(network))
    assert check_plan(problem, plan, matrices) == []
    geo = json.loads((tmp_path / "routes.geojson").read_text())
    lines = [f for f in geo["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(plan.runs)
    hub_lon, hub_lat = (float(v) for v in HUB.split(","))
    hub_points = [f for f in geo["features"] if f["properties"]["kind"] == "hub"]
    assert [f["geometry"]["coordinates"] for f in hub_points] == [[hub_lon, hub_lat]]
    # Runs follow the road geometry: more vertices than stops + 2 hub visits.
    assert all(len(f["geometry"]["coordinates"]) > f["properties"]["stops"] + 2 for f in lines)
    rows = (tmp_path / "runs.csv").read_text().splitlines()
    assert len(rows) == 1 + sum(len(r.stops) for r in plan.runs)
    assert (tmp_path / "report.html").stat().st_size > 0
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_demo_plans_the_xinping_day(tmp_path: Path) -> None:
    result = hubroute("demo", "--out", tmp_path, "--time-limit", "5", "--no-report")
    assert result.returncode == 0, result.stderr
    assert "total cost" in result.stdout
    plan = json.loads((tmp_path / "plan.json").read_text())
    scenario = read_scenario(ROOT / "fixtures" / "xinping" / "scenario.toml")
    served = {s["pickup_id"] for r in plan["runs"] for s in r["stops"]}
    left = {u["pickup_id"]: u["reason"] for u in plan["unassigned"]}
    assert served | set(left) == {p.id for p in scenario.problem.pickups}
    assert plan["summary"]["runs"] == len(plan["runs"]) > 0
    for key in (
        "total_cost_rmb",
        "cost_per_parcel_rmb",
        "parcels",
        "distance_km",
        "duration_h",
        "runs",
        "unassigned",
    ):
        assert key in plan["summary"]
    geo = json.loads((tmp_path / "routes.geojson").read_text())
    assert sum(f["properties"]["kind"] == "run" for f in geo["features"]) == len(plan["runs"])


BAD_CASES = [
    ("pickups_empty.csv", "fleet", ["no pickups"]),
    ("pickups_duplicate_ids.csv", "fleet", ["pickup", "unique"]),
    ("pickups_negative_parcels.csv", "fleet", ["parcels", "greater than or equal to 0"]),
    ("pickups_lon_out_of_range.csv", "fleet", ["lon"]),
    ("pickups_off_network.csv", "fleet", ["from the nearest road"]),
    ("pickups_too_big.csv", "fleet", ["more than any vehicle it may use takes"]),
    ("pickups_malformed.csv", "fleet", ["pickups_malformed.csv"]),
    ("fleet_malformed.toml", "pickups", ["fleet_malformed.toml", "TOML"]),
    ("fleet_missing_field.toml", "pickups", ["fleet_missing_field.toml", "capacity"]),
]


@pytest.mark.parametrize(("name", "good", "expected"), BAD_CASES)
def test_bad_input_is_one_clear_line_and_exit_code_2(
    tmp_path: Path, name: str, good: str, expected: list[str]
) -> None:
    pickups = BAD / name if good == "fleet" else SMALL / "pickups.csv"
    fleet = BAD / name if good == "pickups" else SMALL / "fleet.toml"
    result = hubroute(
        "plan",
        "--pickups",
        pickups,
        "--fleet",
        fleet,
        "--network",
        SMALL / "roads.geojson",
        "--hub",
        HUB,
        "--time-limit",
        "1",
        "--out",
        tmp_path,
        "--no-report",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors, result.stderr
    text = "\n".join(errors)
    for word in expected:
        assert word in text, text
    assert not (tmp_path / "plan.json").exists()


def test_bad_hub_position_names_the_field(tmp_path: Path) -> None:
    result = hubroute(
        "plan",
        "--pickups",
        SMALL / "pickups.csv",
        "--fleet",
        SMALL / "fleet.toml",
        "--hub",
        "24.07",
        "--out",
        tmp_path,
    )
    assert result.returncode == 2
    assert "error: hub: lon,lat:" in result.stderr


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    result = hubroute(
        "plan",
        "--pickups",
        tmp_path / "nope.csv",
        "--fleet",
        SMALL / "fleet.toml",
        "--hub",
        HUB,
        "--out",
        tmp_path,
    )
    assert result.returncode == 2
    assert "nope.csv: file not found" in result.stderr
