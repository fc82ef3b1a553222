"""``GET /v1/hub`` and villages matched by any of their names (real app, real solver)."""

from __future__ import annotations

from typing import Any

from asgi_client import AppClient
from conftest import ALPHA, BETA, hubs_file_with_roads

from service.jobs import run_plan_job


def test_hub_describes_position_villages_fleet_costs_and_roads(client: AppClient) -> None:
    """The key's hub with every village under each name it goes by."""
    r = client.get("/v1/hub", headers=ALPHA)
    assert r.status_code == 200, r.text
    hub = r.json()
    assert (hub["id"], hub["name"], hub["lon"], hub["lat"]) == (
        "alpha",
        "Alpha test hub",
        101.9887,
        24.0729,
    )
    by_name = {v["name"]: v for v in hub["villages"]}
    assert set(by_name) == {"Gasa", "Mosha", "Yangwu", "Pingzhang", "Qingshu 青树"}
    assert by_name["Qingshu 青树"]["names"] == ["Qingshu 青树", "Qingshu", "青树"]
    assert by_name["Gasa"]["names"] == ["Gasa"]
    assert len({v["id"] for v in hub["villages"]}) == 5
    assert hub["default_fleet"] == "vans"
    assert [t["capacity_parcels"] > 0 for t in hub["fleets"]["vans"]] == [True] * len(
        hub["fleets"]["vans"]
    )
    assert "per km" in hub["cost_model"]["basis"]
    assert hub["road_network"]["travel_times"] == "straight-line estimates"
    assert client.get("/v1/hub", headers=BETA).json()["id"] == "beta"
    assert client.get("/v1/hub").status_code == 401


def test_hub_with_roads_summarises_the_network(app_factory: Any, tmp_path: Any) -> None:
    """A hub planning on roads reports the file, nodes, edges and road classes."""
    client = app_factory(hubs_file=hubs_file_with_roads(tmp_path))
    roads = client.get("/v1/hub", headers=ALPHA).json()["road_network"]
    assert roads["travel_times"] == "roads"
    assert roads["file"].endswith("roads.geojson")
    assert roads["nodes"] > 100
    assert sum(roads["road_classes"].values()) == roads["directed_edges"]


def test_any_name_of_a_village_is_the_same_village(app_factory: Any) -> None:
    """The names "Qingshu", "青树" and "Qingshu 青树" make one row in the plan's village table."""
    client = app_factory(plan_job=run_plan_job)
    names = ["Qingshu", "青树", "Qingshu 青树", "qingshu"]
    body = {
        "pickups": [
            {"id": f"Q{i}", "village": name, "parcels": 5, "weight_kg": 40}
            for i, name in enumerate(names)
        ],
        "options": {"time_limit_s": 1},
    }
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert [v["village"] for v in plan["villages"]] == ["Qingshu 青树"]
    assert plan["villages"][0]["pickups"] == 4
    stops = [s for run in plan["runs"] for s in run["stops"]]
    assert {s["village"] for s in stops} == {"Qingshu 青树"}


def test_unknown_village_lists_the_closest_names(client: AppClient) -> None:
    """A misspelt village is a 422 on its field that suggests the nearest names."""
    body = {"pickups": [{"id": "X", "village": "Qingsu", "parcels": 1}]}
    r = client.post("/v1/plans", json=body, headers=ALPHA)
    assert r.status_code == 422, r.text
    (problem,) = r.json()["error"]["problems"]
    assert problem["field"] == "pickups[0].village"
    assert "did you mean 'Qingshu 青树'" in problem["message"]
    assert "GET /v1/hub" in problem["message"]
    r = client.post(
        "/v1/plans", json={"pickups": [{"id": "X", "village": "Zzzzzz"}]}, headers=ALPHA
    )
    assert "did you mean" not in r.json()["error"]["problems"][0]["message"]
