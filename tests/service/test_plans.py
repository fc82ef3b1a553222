"""``/v1/plans``: create (wait and background), poll, list, delete, export, isolation."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from conftest import ALPHA, BETA, hubs_file_with_roads, pickups


def wait_done(client: AppClient, plan_id: str, timeout_s: float = 30) -> dict[str, Any]:
    """Poll until the plan is done or failed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/v1/plans/{plan_id}", headers=ALPHA).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"plan {plan_id} not finished in {timeout_s} s")


def test_small_request_waits_and_answers_plan_json(client: AppClient) -> None:
    """A small request answers 200 with the plan in plan.json's schema and a Location."""
    r = client.post("/v1/plans", json={"pickups": pickups(3)}, headers=ALPHA)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert {"summary", "runs", "unassigned"} <= set(plan)
    assert [s["pickup_id"] for s in plan["runs"][0]["stops"]] == ["P0", "P1", "P2"]
    assert r.headers["location"] == f"/v1/plans/{plan.pop('id')}"
    got = client.get(r.headers["location"], headers=ALPHA).json()
    assert got["status"] == "done"
    assert got["plan"] == plan


def test_background_request_answers_202_then_done(client: AppClient) -> None:
    """wait=false answers 202 with the id and Location; polling finds the plan done."""
    r = client.post(
        "/v1/plans", json={"pickups": pickups(2), "options": {"wait": False}}, headers=ALPHA
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == body["href"] == f"/v1/plans/{body['id']}"
    done = wait_done(client, body["id"])
    assert done["status"] == "done"
    assert done["plan"]["summary"]["pickups"] == 2
    assert done["links"]["routes"].endswith("/routes.geojson")


def test_large_request_runs_in_background_by_default(app_factory: Any) -> None:
    """Above wait_max_pickups a request is a 202 unless it asks to wait."""
    client = app_factory(wait_max_pickups=2)
    r = client.post("/v1/plans", json={"pickups": pickups(3)}, headers=ALPHA)
    assert r.status_code == 202
    r = client.post(
        "/v1/plans", json={"pickups": pickups(3), "options": {"wait": True}}, headers=ALPHA
    )
    assert r.status_code == 200


def test_village_without_coordinates_is_looked_up(client: AppClient) -> None:
    """A pickup may name a gazetteer village instead of giving lon/lat."""
    r = client.post(
        "/v1/plans",
        json={"pickups": [{"id": "G1", "village": "gasa", "parcels": 3}]},
        headers=ALPHA,
    )
    assert r.status_code == 200, r.text
    stop = r.json()["runs"][0]["stops"][0]
    assert stop["location"] == [101.8312, 23.9745]


def test_named_and_inline_fleets(client: AppClient) -> None:
    """The fleet may be named (configured for the hub) or given inline."""
    named = client.post("/v1/plans", json={"pickups": pickups(1), "fleet": "vans"}, headers=BETA)
    assert named.status_code == 200, named.text
    assert named.json()["runs"][0]["vehicle_type"] == "van"
    tuk = {"name": "tuk", "capacity_parcels": 30, "capacity_kg": 300, "rmb_per_km": 0.8}
    inline = client.post("/v1/plans", json={"pickups": pickups(1), "fleet": [tuk]}, headers=BETA)
    assert inline.status_code == 200, inline.text
    assert inline.json()["runs"][0]["vehicle_type"] == "tuk"


def test_inline_fleet_without_rates_is_refused(client: AppClient) -> None:
    """A vehicle type stating none of its rates would plan at RMB 0.00: a 422 naming the
    field and the fix; rates stated as 0 are the caller's word and are planned."""
    tuk = {"name": "tuk", "capacity_parcels": 30, "capacity_kg": 300}
    r = client.post("/v1/plans", json={"pickups": pickups(1), "fleet": [tuk]}, headers=BETA)
    assert r.status_code == 422, r.text
    [problem] = r.json()["error"]["problems"]
    assert problem["record"] == "vehicle type 'tuk'"
    assert problem["field"] == "fleet[0].rmb_per_km"
    assert "RMB 0.00" in problem["message"]
    assert "give rmb_per_km and rmb_per_hour" in problem["message"]
    assert "name one of the hub's fleets instead (vans" in problem["message"]
    free = {**tuk, "rmb_per_km": 0, "rmb_per_hour": 0}
    r = client.post("/v1/plans", json={"pickups": pickups(1), "fleet": [free]}, headers=BETA)
    assert r.status_code == 200, r.text


def test_list_is_paged_and_per_hub(client: AppClient) -> None:
    """GET /v1/plans lists only the caller's hub's plans, newest first, paged."""
    ids = [
        client.post("/v1/plans", json={"pickups": pickups(1), "name": f"d{i}"}, headers=ALPHA)
        .headers["location"]
        .rsplit("/", 1)[1]
        for i in range(3)
    ]
    client.post("/v1/plans", json={"pickups": pickups(1), "fleet": "vans"}, headers=BETA)
    page = client.get("/v1/plans?limit=2", headers=ALPHA).json()
    assert page["total"] == 3
    assert [p["id"] for p in page["items"]] == ids[::-1][:2]
    rest = client.get("/v1/plans?limit=2&offset=2", headers=ALPHA).json()
    assert [p["id"] for p in rest["items"]] == ids[:1]
    assert "plan" not in rest["items"][0]
    assert client.get("/v1/plans?status=failed", headers=ALPHA).json()["total"] == 0


def test_delete_removes_plan(client: AppClient) -> None:
    """DELETE answers 204; the plan is gone (404) afterwards."""
    loc = client.post("/v1/plans", json={"pickups": pickups(1)}, headers=ALPHA).headers["location"]
    assert client.delete(loc, headers=ALPHA).status_code == 204
    assert client.get(loc, headers=ALPHA).status_code == 404
    assert client.delete(loc, headers=ALPHA).status_code == 404


def test_other_hubs_plan_is_not_found(client: AppClient) -> None:
    """A key sees only its own hub's plans: another hub's plan is a 404, not a 403."""
    loc = client.post("/v1/plans", json={"pickups": pickups(1)}, headers=ALPHA).headers["location"]
    for method in ("get", "delete"):
        r = getattr(client, method)(loc, headers=BETA)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
    assert client.get(loc + "/runs.csv", headers=BETA).status_code == 404
    assert client.get(loc, headers=ALPHA).status_code == 200
    r = client.post("/v1/plans", json={"hub": "alpha", "pickups": pickups(1)}, headers=BETA)
    assert r.status_code == 404


def test_missing_or_unknown_key_is_401(client: AppClient) -> None:
    """No key or an unknown key answers 401 with a challenge."""
    for headers in ({}, {"X-API-Key": "nope"}):
        r = client.get("/v1/plans", headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
        assert "www-authenticate" in r.headers


def test_exports_of_a_done_plan(client: AppClient) -> None:
    """routes.geojson, runs.csv and report.html of a done plan."""
    loc = client.post("/v1/plans", json={"pickups": pickups(2)}, headers=ALPHA).headers["location"]
    geo = client.get(loc + "/routes.geojson", headers=ALPHA)
    assert geo.status_code == 200, geo.text
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert geo.json()["type"] == "FeatureCollection"
    hubs = [f for f in geo.json()["features"] if f["properties"]["kind"] == "hub"]
    assert len(hubs) == 1, hubs
    assert hubs[0]["properties"]["id"] == "alpha"
    # The alpha hub's position in tests/service/data/hubs.toml.
    assert hubs[0]["geometry"] == {"type": "Point", "coordinates": [101.9887, 24.0729]}
    csv = client.get(loc + "/runs.csv", headers=ALPHA)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "P0" in csv.text
    assert "P1" in csv.text
    html = client.get(loc + "/report.html", headers=ALPHA)
    assert html.status_code == 200, html.text
    assert html.text.lstrip().lower().startswith("<!doctype html")


def test_report_of_a_hub_with_a_road_network_draws_its_roads(
    app_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The served report has the hub's roads behind the map, drawn once per hub."""
    import routing.report

    hubs = hubs_file_with_roads(tmp_path)
    calls: list[object] = []
    drawn = routing.report.roads_from_network

    def counted(network: Any, **kwargs: Any) -> Any:
        calls.append(network)
        return drawn(network, **kwargs)

    monkeypatch.setattr(routing.report, "roads_from_network", counted)
    client = app_factory(hubs_file=hubs)
    r = client.post("/v1/plans", json={"pickups": pickups(2)}, headers=ALPHA)
    assert r.status_code == 200, r.text
    for _ in range(2):
        html = client.get(r.headers["location"] + "/report.html", headers=ALPHA)
        assert html.status_code == 200, html.text
        layer = re.search(r'<g class="roads">(.*?)</g>', html.text, flags=re.S)
        assert layer is not None
        paths = re.findall(r'<path class="rd[1-4]" d="(M[^"]+)"', layer.group(1))
        assert paths, "the roads layer has no path data"
    assert len(calls) == 1


def test_export_of_unfinished_plan_is_409(app_factory: Any) -> None:
    """Exports of a plan that is not done answer 409."""
    import svc_jobs

    client = app_factory(plan_job=svc_jobs.slow_plan_job)
    r = client.post(
        "/v1/plans",
        json={"pickups": pickups(1), "options": {"wait": False, "time_limit_s": 2}},
        headers=ALPHA,
    )
    assert r.status_code == 202
    assert client.get(r.headers["location"] + "/runs.csv", headers=ALPHA).status_code == 409


def test_request_id_is_echoed(client: AppClient) -> None:
    """X-Request-ID is echoed; one is made up when absent; errors carry it."""
    r = client.get("/v1/plans", headers={**ALPHA, "X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get("/v1/plans")
    assert len(r.headers["x-request-id"]) == 32
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_whole_numbers_written_with_a_point_are_integers(client: AppClient) -> None:
    """JSON Schema counts 5.0 as an integer, so the API does; 5.5 and "5" stay 422s."""
    whole = [{**pickups(1)[0], "parcels": 5.0, "priority": 3.0}]
    r = client.post("/v1/plans", json={"pickups": whole, "options": {"seed": 1.0}}, headers=ALPHA)
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["parcels"] == 5
    for bad in (5.5, "5"):
        r = client.post(
            "/v1/plans", json={"pickups": [{**whole[0], "parcels": bad}]}, headers=ALPHA
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["problems"][0]["field"] == "pickups[0].parcels"


def test_a_day_the_fleet_cannot_serve_is_done_feasible_and_honestly_partial(
    app_factory: Any,
) -> None:
    """One 20-parcel van for 6 pickups of 5-10 parcels: what fits, the rest with a reason.

    Planned by the real solver; the body carries ``summary.feasible`` and
    ``summary.violations`` (none here).
    """
    from service.jobs import run_plan_job

    client = app_factory(plan_job=run_plan_job)
    r = client.post(
        "/v1/plans",
        json={
            "pickups": pickups(6),
            "fleet": [
                {
                    "name": "tuk",
                    "count": 1,
                    "capacity_parcels": 20,
                    "capacity_kg": 300,
                    "rmb_per_km": 1.0,
                }
            ],
            "options": {"time_limit_s": 1},
        },
        headers=BETA,
    )
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["summary"]["feasible"] is True
    assert plan["summary"]["violations"] == []
    assert all(run["parcels"] <= 20 for run in plan["runs"])
    served = [s["pickup_id"] for run in plan["runs"] for s in run["stops"]]
    left = {u["pickup_id"]: u["reason"] for u in plan["unassigned"]}
    assert sorted([*served, *left]) == [f"P{i}" for i in range(6)]
    assert left
    assert set(left.values()) == {"capacity"}
