"""``POST /v1/plans`` with stations: a three-tier day planned by the real solver."""

from __future__ import annotations

from typing import Any

from conftest import ALPHA

from service.jobs import run_plan_job

HUB_LON, HUB_LAT = 101.9887, 24.0729
VAN = {
    "capacity_parcels": 120,
    "capacity_kg": 1500,
    "fixed_rmb_per_day": 150,
    "rmb_per_km": 1.2,
    "rmb_per_hour": 35,
    "shift_start_s": "06:00",
    "shift_end_s": "20:00",
}


def _body() -> dict[str, Any]:
    cluster = [
        {
            "id": f"F{k}",
            "village": f"far {k}",
            "lon": HUB_LON + 0.55 + 0.04 * (k % 4),
            "lat": HUB_LAT + 0.04 * (k // 4 - 0.5),
            "parcels": 15,
            "weight_kg": 180,
        }
        for k in range(8)
    ]
    return {
        "pickups": cluster,
        "fleet": [{"name": "van", "count": 4, **VAN}],
        "stations": [{"id": "S-far", "name": "far station", "lon": HUB_LON + 0.6, "lat": HUB_LAT}],
        "feeders": [{"name": "feeder_van", "stations": ["*"], "like": "van", "count": 2, **VAN}],
        "driver_hours": {"*": {"max_drive_day_min": 480}},
        "options": {"time_limit_s": 5, "wait": True},
    }


def test_a_three_tier_day_is_planned(app_factory: Any) -> None:
    client = app_factory(plan_job=run_plan_job)
    r = client.post("/v1/plans", json=_body(), headers=ALPHA)
    assert r.status_code == 200, r.text
    plan = r.json()
    tiers = {run["tier"] for run in plan["runs"]}
    assert {"feeder", "trunk"} <= tiers
    (transfer,) = plan["transfers"]
    assert transfer["station_id"] == "S-far"
    assert transfer["parcels"] == 8 * 15
    assert plan["summary"]["unassigned"] == 0
    assert all(run["drive_s"] <= 8 * 3600 for run in plan["runs"])


def test_bad_stations_and_feeders_are_422_naming_them(app_factory: Any) -> None:
    client = app_factory(plan_job=run_plan_job)
    body = _body()
    body["feeders"][0]["stations"] = ["S-nowhere"]
    body["stations"][0]["close_s"] = "05:00"
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 422, r.text
    text = r.text
    assert "close must be after open" in text
    body = _body()
    body["feeders"][0]["stations"] = ["S-nowhere"]
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 422, r.text
    assert "unknown station 'S-nowhere'" in r.text
