"""One naming for clock times: ``ready``, ``close``, ``shift_start``, ``shift_end``,
``driver_break.earliest``/``latest`` ("HH:MM"), as in the fleet and pickup files; the
first version's ``*_s`` names are still accepted as deprecated aliases."""

from __future__ import annotations

from typing import Any

from asgi_client import AppClient
from conftest import ALPHA, pickups

from routing.model import problem_from_dict
from service.jobs import run_plan_job

VAN = {"name": "van", "count": 1, "capacity_parcels": 100, "capacity_kg": 900, "rmb_per_km": 2}


def _plan_id(response: Any) -> str:
    return str(response.headers["location"].rsplit("/", 1)[1])


def test_new_names_reach_the_solver(app_factory: Any) -> None:
    """The real solver keeps the window and the shift given under the new names."""
    client = app_factory(plan_job=run_plan_job)
    late = [{**pickups(1)[0], "ready": "10:00", "close": "12:00"}, *pickups(3)[1:]]
    van = {**VAN, "shift_start": "08:00", "shift_end": "16:00"}
    van["driver_break"] = {"earliest": "11:00", "latest": "12:00", "duration_min": 20}
    body = {"pickups": late, "fleet": [van], "options": {"time_limit_s": 1, "wait": True}}
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 200, r.text
    plan = r.json()
    stops = {s["pickup_id"]: s for run in plan["runs"] for s in run["stops"]}
    assert set(stops) == {"P0", "P1", "P2"}
    served = stops["P0"]["departure"] - stops["P0"]["service"]
    assert 10 * 3600 <= served <= 12 * 3600
    assert all(run["start"] >= 8 * 3600 and run["end"] <= 16 * 3600 for run in plan["runs"])
    assert plan["summary"]["total_cost_rmb"] > 0


def test_old_names_plan_the_same_problem(client: AppClient) -> None:
    """``ready_s``, ``shift_start_s``, ``earliest_s``... give the very problem the new
    names give (the stored problem is compared)."""
    new_pickup = {**pickups(1)[0], "ready": "09:30", "close": "15:00"}
    old_pickup = {**pickups(1)[0], "ready_s": "09:30", "close_s": "15:00"}
    brk = {"duration_min": 30}
    new_van = {
        **VAN,
        "shift_start": "06:00",
        "shift_end": "18:00",
        "driver_break": {**brk, "earliest": "11:00", "latest": "13:00"},
    }
    old_van = {
        **VAN,
        "shift_start_s": "06:00",
        "shift_end_s": 18 * 3600,
        "driver_break": {**brk, "earliest_s": "11:00", "latest_s": "13:00"},
    }
    ids = []
    for p, v in ((new_pickup, new_van), (old_pickup, old_van)):
        r = client.post("/v1/plans", json={"pickups": [p], "fleet": [v]}, headers=ALPHA)
        assert r.status_code == 200, r.text
        ids.append(_plan_id(r))
    repo = client.app.state.repo
    new, old = (problem_from_dict(repo.get_payload(i)["problem"]) for i in ids)
    assert new == old
    assert new.pickups[0].ready_s == 9 * 3600 + 1800
    assert new.vehicle_types[0].shift_end_s == 18 * 3600
    assert new.vehicle_types[0].driver_break is not None
    assert new.vehicle_types[0].driver_break.earliest_s == 11 * 3600


def test_a_time_under_both_names_is_refused(client: AppClient) -> None:
    """Both ``shift_start`` and ``shift_start_s``: a 422 saying which to send."""
    van = {**VAN, "shift_start": "06:00", "shift_start_s": "07:00"}
    r = client.post("/v1/plans", json={"pickups": pickups(1), "fleet": [van]}, headers=ALPHA)
    assert r.status_code == 422, r.text
    [problem] = r.json()["error"]["problems"]
    assert problem["field"] == "fleet[0]"
    assert "send only shift_start (shift_start_s is its old name)" in problem["message"]


def test_the_schema_shows_only_the_new_names(client: AppClient) -> None:
    """/openapi.json documents ``ready``, ``shift_start``, ``earliest``, not ``*_s``."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model, new, old in (
        ("PickupIn", {"ready", "close"}, {"ready_s", "close_s"}),
        ("VehicleTypeIn", {"shift_start", "shift_end"}, {"shift_start_s", "shift_end_s"}),
        ("BreakIn", {"earliest", "latest"}, {"earliest_s", "latest_s"}),
    ):
        fields = set(schemas[model]["properties"])
        assert new <= fields, model
        assert not old & fields, model
        assert "deprecated names" in schemas[model]["description"]


def test_quote_pickup_window_is_named(client: AppClient) -> None:
    """A quoted pickup that closes before it is ready is a 422 at ``pickup.close``."""
    r = client.post("/v1/plans", json={"pickups": pickups(2)}, headers=ALPHA)
    assert r.status_code == 200, r.text
    bad = {**pickups(1)[0], "id": "NEW", "ready": "10:00", "close": "09:00"}
    q = client.post("/v1/quotes", json={"plan_id": _plan_id(r), "pickup": bad}, headers=ALPHA)
    assert q.status_code == 422, q.text
    [problem] = q.json()["error"]["problems"]
    assert problem["record"] == "pickup 'NEW'"
    assert problem["field"] == "pickup.close"
    assert problem["message"].startswith("close 09:00 is before ready 10:00")
