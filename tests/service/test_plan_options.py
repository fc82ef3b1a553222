"""A plan request's solver options and the hub's cost model reach the library's one flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import ALPHA, DATA, pickups

from routing import Hub, SolveOptions, make_problem, plan_day, read_cost_model, read_fleet
from routing.units import parse_clock
from service.jobs import run_plan_job

COSTS = Path(__file__).resolve().parents[2] / "fixtures" / "costs" / "xinping.toml"


def _hubs_with_cost_model(tmp_path: Path) -> Path:
    hubs = tmp_path / "hubs.toml"
    hubs.write_text(
        '[[hubs]]\nid = "alpha"\nname = "Alpha test hub"\nlon = 101.9887\nlat = 24.0729\n'
        f'villages = "{DATA / "villages.csv"}"\ndefault_fleet = "vans"\n'
        f'cost_model = "{COSTS}"\n[hubs.fleets]\nvans = "{DATA / "fleet.toml"}"\n',
        encoding="utf-8",
    )
    return hubs


def test_hub_cost_model_prices_the_plan_as_the_library_does(
    app_factory: Any, tmp_path: Path
) -> None:
    """Iterations mode over HTTP gives plan_day's plan with the hub's cost model, to the fen."""
    client = app_factory(hubs_file=_hubs_with_cost_model(tmp_path), plan_job=run_plan_job)
    body = {
        "pickups": pickups(6),
        "options": {"time_limit_s": 5, "iterations": 20, "engines": ["auto"], "wait": True},
    }
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 200, r.text
    got = r.json()
    problem = make_problem(
        hubs=[
            Hub(
                id="alpha",
                name="Alpha test hub",
                lon=101.9887,
                lat=24.0729,
                close_s=parse_clock("24:00"),
            )
        ],
        pickups=pickups(6),
        fleet=read_fleet(DATA / "fleet.toml"),
        name="plan",
    )
    model = read_cost_model(COSTS)
    want = plan_day(
        problem,
        options=SolveOptions(time_limit_s=5, iterations=20, workers=1, cost_model=model),
    )
    assert got["summary"]["total_cost_rmb"] == want.summary.total_cost_rmb
    assert [[s["pickup_id"] for s in r["stops"]] for r in got["runs"]] == [
        [s.pickup_id for s in r.stops] for r in want.runs
    ]
    fleet_rates = plan_day(problem, options=SolveOptions(time_limit_s=5, iterations=20))
    assert fleet_rates.summary.total_cost_rmb != want.summary.total_cost_rmb
    basis = client.get("/v1/hub", headers=ALPHA).json()["cost_model"]["basis"]
    assert "xinping-hub-2026" in basis


def test_bad_solver_options_and_locked_runs_are_422s_naming_the_field(
    client: Any,
) -> None:
    """Iterations below 1, an unknown engine and a locked run of no pickup are all named."""
    body = {
        "pickups": pickups(2),
        "locked_runs": [{"vehicle": "van-1", "pickup_ids": []}],
        "options": {"iterations": 0, "engines": ["gurobi"]},
    }
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 422, r.text
    fields = {p["field"] for p in r.json()["error"]["problems"]}
    assert "options.iterations" in fields
    assert any(f.startswith("options.engines") for f in fields)
    assert any(f.startswith("locked_runs") for f in fields)


def test_locked_run_keeps_its_pickups_first(app_factory: Any) -> None:
    """A run already on the road starts with its pickups, in the order given."""
    client = app_factory(plan_job=run_plan_job)
    body = {
        "pickups": pickups(4),
        "locked_runs": [{"vehicle": "van-1", "pickup_ids": ["P3", "P0"]}],
        "options": {"time_limit_s": 5, "iterations": 10, "wait": True},
    }
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 200, r.text
    run = next(r for r in r.json()["runs"] if r["vehicle"] == "van-1" and r["run"] == 1)
    assert [s["pickup_id"] for s in run["stops"]][:2] == ["P3", "P0"]


def test_request_engines_are_the_librarys() -> None:
    """The engines a request may name are those SolveOptions accepts."""
    from typing import get_args

    from routing.options import ENGINE_NAMES
    from service.schemas import Engine

    assert set(get_args(Engine)) == {"auto", *ENGINE_NAMES}
