"""Idempotency-Key on POST /v1/plans, the 202's Retry-After and the plan list's figures."""

from __future__ import annotations

from typing import Any

import svc_jobs
from conftest import ALPHA, BETA, pickups


def test_retried_post_returns_the_same_plan(client: Any) -> None:
    """The same key and body: the same plan, solved once; another body: 422 naming it."""
    body = {"pickups": pickups(3)}
    first = client.post("/v1/plans", json=body, headers={**ALPHA, "Idempotency-Key": "k-1"})
    again = client.post("/v1/plans", json=body, headers={**ALPHA, "Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert client.get("/v1/plans", headers=ALPHA).json()["total"] == 1
    other = client.post(
        "/v1/plans", json={"pickups": pickups(2)}, headers={**ALPHA, "Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422
    assert other.json()["error"]["problems"][0]["field"] == "Idempotency-Key"
    # Keys are per hub.
    beta = client.post("/v1/plans", json=body, headers={**BETA, "Idempotency-Key": "k-1"})
    assert beta.status_code == 200
    assert beta.json()["id"] != first.json()["id"]


def test_list_shows_figures_and_202_carries_retry_after(app_factory: Any) -> None:
    """A done plan lists cost, runs, parcels, unassigned; a background 202 says when to poll."""
    client = app_factory(plan_job=svc_jobs.slow_plan_job)
    done = client.post("/v1/plans", json={"pickups": pickups(3), "options": {"time_limit_s": 0.1}},
                       headers=ALPHA)  # fmt: skip
    assert done.status_code == 200
    item = client.get("/v1/plans", headers=ALPHA).json()["items"][0]
    assert (item["cost_rmb"], item["runs"], item["parcels"], item["unassigned"]) == (
        3.0, 1, 5 + 6 + 7, 0,
    )  # fmt: skip
    r = client.post(
        "/v1/plans",
        json={"pickups": pickups(2), "options": {"time_limit_s": 3, "wait": True,
                                                 "wait_max_s": 0.2}},
        headers=ALPHA,
    )  # fmt: skip
    assert r.status_code == 202
    assert 1 <= int(r.headers["retry-after"]) <= 3


def test_bad_break_and_point_off_the_map_are_422(app_factory: Any, tmp_path: Any) -> None:
    """A break whose earliest is after its latest, and a pickup at (0, 0) on a hub with
    roads: 422 naming the field, never a 500."""
    from conftest import hubs_file_with_roads

    client = app_factory(hubs_file=hubs_file_with_roads(tmp_path))
    brk = {"earliest": "14:00", "latest": "12:00", "duration_min": 30}
    van = {"name": "v", "capacity_parcels": 100, "capacity_kg": 900, "rmb_per_km": 2}
    van["driver_break"] = brk
    r = client.post("/v1/plans", json={"pickups": pickups(2), "fleet": [van]}, headers=ALPHA)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["problems"][0]["field"] == "fleet[0].driver_break"
    far = [{**pickups(1)[0], "lon": 0.0, "lat": 0.0}]
    r = client.post("/v1/plans", json={"pickups": far}, headers=ALPHA)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["problems"]
