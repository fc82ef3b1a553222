"""The CLI end to end on the fixtures, and every bad input as a clean one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routing.io import read_fleet, read_plan, read_scenario
from routing.matrix import RoadMatrixProvider
from routing.pipeline import matrices_for
from routing.plan_check import check_plan
from routing.road_file import network_from_file

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


def plan_small(
    out: Path, *extra: str | Path, fleet: Path = SMALL / "fleet.toml"
) -> subprocess.CompletedProcess[str]:
    """``hubroute plan`` on the small fixture, reproducible (iterations), no report."""
    return hubroute(
        "plan",
        "--pickups",
        SMALL / "pickups.csv",
        "--fleet",
        fleet,
        "--network",
        SMALL / "roads.geojson",
        "--hub",
        HUB,
        "--iterations",
        "30",
        "--no-report",
        "--out",
        out,
        *extra,
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


def test_shapley_allocation_from_the_readme_example_shares_each_run(tmp_path: Path) -> None:
    result = plan_small(tmp_path, "--allocation", "proportional,shapley")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    plan = read_plan(tmp_path / "plan.json")
    assert plan.runs
    for run in plan.runs:
        shapley = [s.cost_shares["shapley"] for s in run.stops]
        assert sum(shapley) == pytest.approx(run.cost_rmb, abs=0.005)
        assert all(v >= 0 for v in shapley)
    # Shapley charges by marginal driving, not by parcels: some stop pays differently.
    assert any(
        s.cost_shares["shapley"] != s.cost_shares["proportional"]
        for r in plan.runs
        for s in r.stops
    )


@pytest.mark.parametrize("value", ['"two"', "0", "-3", "true"])
def test_scenario_time_limit_that_is_not_seconds_names_the_field(
    tmp_path: Path, value: str
) -> None:
    for f in SMALL.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    scenario = tmp_path / "scenario.toml"
    text = scenario.read_text()
    assert "time_limit_s = 2" in text
    scenario.write_text(text.replace("time_limit_s = 2", f"time_limit_s = {value}"))
    result = hubroute(
        "demo", "--scenario", scenario, "--iterations", "5", "--no-report", "--out", tmp_path
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "error: scenario.toml: solve.time_limit_s:" in result.stderr
    assert not (tmp_path / "plan.json").exists()


def test_season_time_limit_zero_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    result = hubroute(
        "season",
        ROOT / "fixtures" / "season" / "xinping_2026.csv",
        "--time-limit",
        "0",
        "--out",
        tmp_path / "season.csv",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "--time-limit" in result.stderr
    assert not (tmp_path / "season.csv").exists()


def test_fleet_type_without_count_is_an_unlimited_hire_fleet(tmp_path: Path) -> None:
    """README: 'omit count for an unlimited hire fleet' — one small van is not enough."""
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        "[[vehicle_type]]\n"
        'name = "van"\n'
        "capacity_parcels = 50\n"
        "capacity_kg = 800\n"
        "fixed_rmb_per_run = 60\n"
        "rmb_per_km = 1.2\n"
        "rmb_per_hour = 35\n"
        'shift_start = "06:00"\n'
        'shift_end = "20:00"\n'
        "max_runs_per_day = 1\n"
    )
    assert [vt.count for vt in read_fleet(fleet)] == [None]
    result = plan_small(tmp_path, fleet=fleet)
    assert result.returncode == 0, result.stderr
    plan = read_plan(tmp_path / "plan.json")
    served = {s.pickup_id for r in plan.runs for s in r.stops}
    assert {"C", "E", "F"} <= served  # 90 parcels on 50-parcel vans, one run each
    assert len({r.vehicle for r in plan.runs}) >= 2
    assert "capacity" not in {u.reason.value for u in plan.unassigned}


def test_report_re_rendered_from_plan_json_draws_the_plans_roads(tmp_path: Path) -> None:
    """plan.json names its road file, so `hubroute report` draws roads without --network."""
    assert plan_small(tmp_path / "day").returncode == 0
    plan = read_plan(tmp_path / "day" / "plan.json")
    assert Path(plan.sources["network"]) == (SMALL / "roads.geojson").resolve()
    assert plan.sources["road_profile"] == "rural_china"
    again = tmp_path / "again"
    result = hubroute("report", tmp_path / "day" / "plan.json", "--out", again)
    assert result.returncode == 0, result.stderr
    html = (again / "report.html").read_text()
    assert html.count('<path class="rd') >= 1


def test_bad_solver_options_are_named_by_the_options_contract(tmp_path: Path) -> None:
    """An unknown allocation method and engine are named together, exit code 2."""
    done = plan_small(tmp_path / "out", "--allocation", "fair", "--engines", "gurobi")
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert any("command line: allocation: unknown method 'fair'" in e for e in errors)
    assert any("command line: engines: unknown engine 'gurobi'" in e for e in errors)
    assert "Traceback" not in done.stderr


def test_closed_roads_are_avoided_and_unknown_ids_refused(tmp_path: Path) -> None:
    """``--closed-roads`` takes road ids of the road file; unknown ones are named."""
    done = plan_small(tmp_path / "bad", "--closed-roads", "s03,s99")
    assert done.returncode == 2, done.stderr
    assert "road 's99': closed_roads: no road has this id" in done.stderr
    open_day = plan_small(tmp_path / "open")
    closed_day = plan_small(tmp_path / "closed", "--closed-roads", "s03")
    assert open_day.returncode == closed_day.returncode == 0, closed_day.stderr
    # (102.036, 24.086) lies on road s03 only: today's runs drive around it.
    on_s03 = (102.036, 24.086)

    def drives_s03(plan_dir: str) -> bool:
        plan = read_plan(tmp_path / plan_dir / "plan.json")
        return any(on_s03 in [tuple(p) for p in r.path] for r in plan.runs)

    assert drives_s03("open")
    assert not drives_s03("closed")

def test_a_plan_that_breaks_a_constraint_is_warned_about_and_exits_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import typer

    from routing.cli import EXIT_INFEASIBLE, warn_if_infeasible
    from routing.matrix import StraightLineMatrixProvider
    from routing.pipeline import SolveOptions, plan_day
    from routing.plan_check import mark_plan
    from tests.routing.factories import random_problem

    problem = random_problem(8, seed=3)
    plan = plan_day(problem, options=SolveOptions(iterations=10, baselines=False))
    warn_if_infeasible(plan)  # a feasible plan: no warning, no exit
    assert capsys.readouterr().err == ""
    # The same plan judged against a fleet half as large in parcels.
    small = tuple(
        v.model_copy(update={"capacity_parcels": max(r.parcels for r in plan.runs) // 2})
        for v in problem.vehicle_types
    )
    tight = problem.model_copy(update={"vehicle_types": small})
    matrices = matrices_for(tight, StraightLineMatrixProvider())
    broken = mark_plan(plan, check_plan(tight, plan, matrices))
    assert not broken.summary.feasible
    with pytest.raises(typer.Exit) as exit_info:
        warn_if_infeasible(broken)
    assert exit_info.value.exit_code == EXIT_INFEASIBLE == 3
    err = capsys.readouterr().err
    assert "warning: the plan breaks" in err
    assert "capacity:" in err


def test_a_fleet_too_small_for_the_day_plans_what_fits_and_says_why_not_the_rest(
    tmp_path: Path,
) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[[vehicle_type]]\nname = "van"\ncount = 1\ncapacity_parcels = 50\n'
        "capacity_kg = 800\nrmb_per_km = 1.2\nmax_runs_per_day = 1\n"
    )
    result = plan_small(tmp_path / "out", fleet=fleet)
    assert result.returncode == 0, result.stderr
    plan = read_plan(tmp_path / "out" / "plan.json")
    assert plan.summary.feasible
    assert plan.summary.violations == ()
    assert any(u.reason.value == "capacity" for u in plan.unassigned)
