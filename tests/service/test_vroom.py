"""``POST /v1/vroom``: VROOM's examples and bad input over HTTP; road geometry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from asgi_client import AppClient
from conftest import ALPHA

from routing.road_file import network_from_file
from routing.vroom.check import check_answer
from service.vroom import add_geometry

EXAMPLES = Path("/work/shared/vroom-examples")
SMALL_ROADS = Path(__file__).resolve().parents[2] / "fixtures" / "small" / "roads.geojson"


def load(name: str) -> dict[str, Any]:
    """A file of VROOM's examples."""
    path = EXAMPLES / name
    assert path.exists(), f"{path} missing: ../shared/vroom-examples must sit beside the repo"
    return dict(json.loads(path.read_text()))


def test_matrix_example_is_clean_and_as_good_as_vroom(client: AppClient) -> None:
    """Example 2 (custom matrix): referee-clean, VROOM's cost, with VROOM's computing_times."""
    request, vroom = load("example_2.json"), load("example_2_sol.json")
    r = client.post("/v1/vroom", json=request, headers=ALPHA)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["code"] == 0
    assert check_answer(request, answer).violations == []
    assert answer["summary"]["cost"] == vroom["summary"]["cost"]
    assert set(vroom["summary"]) <= set(answer["summary"])
    assert answer["summary"]["computing_times"]["solving"] >= 0


def test_coordinate_example_reports_every_task(client: AppClient) -> None:
    """Example 1 (coordinates): straight-line estimate said in notes; every task reported."""
    request = load("example_1.json")
    r = client.post("/v1/vroom?time_limit_s=1", json=request, headers=ALPHA)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert any("straight-line" in n for n in answer["notes"])
    ids = [
        (s["type"], s["id"])
        for route in answer["routes"]
        for s in route["steps"]
        if s["type"] in ("job", "pickup", "delivery")
    ]
    ids += [(u["type"], u["id"]) for u in answer["unassigned"]]
    tasks = [("job", j["id"]) for j in request["jobs"]]
    tasks += [(k, s[k]["id"]) for s in request["shipments"] for k in ("pickup", "delivery")]
    assert sorted(ids) == sorted(tasks)
    assert answer["summary"]["violations"] == []
    r = client.post("/v1/vroom", json={**request, "options": {"g": True}}, headers=ALPHA)
    assert any("road network" in n for n in r.json()["notes"])


def test_oversized_job_is_unassigned_not_rejected(client: AppClient) -> None:
    """A job bigger than every vehicle: 200 with the job unassigned, the rest served."""
    request = load("example_2.json")
    request["vehicles"][0]["capacity"] = [3]
    request["jobs"][0]["delivery"] = [9]
    request["jobs"][1]["delivery"] = [1]
    r = client.post("/v1/vroom", json=request, headers=ALPHA)
    assert r.status_code == 200, r.text
    assert [(u["id"], u["type"]) for u in r.json()["unassigned"]] == [(1414, "job")]


def test_bad_vroom_input_names_every_key(client: AppClient) -> None:
    """An index beyond the matrix, unknown keys and bad types are 422s naming each key."""
    request = load("example_2.json")
    request["jobs"][0]["location_index"] = 9
    r = client.post("/v1/vroom", json=request, headers=ALPHA)
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["error"]["problems"]} == {"jobs[0].location_index"}
    request["jobs"][0]["location_index"] = 1
    request["jobs"][1]["amount"] = [1]
    request["vehicles"][0]["max_tasks"] = "two"
    request["shipments"] = [{"pickup": {"id": 1}}]
    r = client.post("/v1/vroom", json=request, headers=ALPHA)
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["error"]["problems"]} == {
        "jobs[1].amount",
        "vehicles[0].max_tasks",
        "shipments[0].delivery",
    }
    del request["matrices"]
    r = client.post("/v1/vroom", json=[1, 2], headers=ALPHA)
    assert r.status_code == 422


def test_geometry_follows_the_roads() -> None:
    """With a road network, each route gets an encoded polyline through the road vertices."""
    network = network_from_file(SMALL_ROADS)
    answer: dict[str, Any] = {
        "summary": {"computing_times": {"loading": 0, "solving": 0, "routing": 0}},
        "routes": [
            {
                "steps": [
                    {"type": "start", "location": [101.99, 24.07]},
                    {"type": "job", "location": [102.03, 24.08]},
                    {"type": "break"},
                    {"type": "end", "location": [101.99, 24.07]},
                ]
            }
        ],
    }
    add_geometry(answer, network, max_snap_m=2000)
    geometry = answer["routes"][0]["geometry"]
    assert isinstance(geometry, str)
    assert len(geometry) > 20
