"""``POST /v1/vroom`` with VROOM's documented examples."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from conftest import ALPHA

EXAMPLES = Path("/work/shared/vroom-examples")


def load(name: str) -> dict[str, Any]:
    """A file of VROOM's examples (skip when the shared folder is absent)."""
    path = EXAMPLES / name
    assert path.exists(), f"{path} missing: ../shared/vroom-examples must sit beside the repo"
    return dict(json.loads(path.read_text()))


def check_feasible(request: dict[str, Any], answer: dict[str, Any]) -> None:
    """Every job once, routes from start to end, durations consistent with the matrix."""
    durations = request["matrices"]["car"]["durations"]
    vehicles = {v["id"]: v for v in request["vehicles"]}
    seen: list[int] = []
    total = 0
    for route in answer["routes"]:
        v = vehicles[route["vehicle"]]
        steps = route["steps"]
        assert (steps[0]["type"], steps[0]["location_index"]) == ("start", v["start_index"])
        assert (steps[-1]["type"], steps[-1]["location_index"]) == ("end", v["end_index"])
        travel = 0
        for a, b in itertools.pairwise(steps):
            travel += durations[a["location_index"]][b["location_index"]]
            assert b["duration"] == travel
            assert b["arrival"] >= a["arrival"]
        assert route["duration"] == travel
        total += route["cost"]
        seen += [s["id"] for s in steps if s["type"] == "job"]
    assert sorted(seen) == sorted(j["id"] for j in request["jobs"])
    assert answer["summary"]["cost"] == total
    assert answer["summary"]["unassigned"] == len(answer["unassigned"]) == 0


def test_matrix_example_is_feasible_and_no_worse_than_vroom(client: AppClient) -> None:
    """Example 2 (custom matrix): feasible, and cost no more than VROOM's own answer."""
    request, vroom = load("example_2.json"), load("example_2_sol.json")
    r = client.post("/v1/vroom?time_limit_s=1", json=request, headers=ALPHA)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["code"] == 0
    check_feasible(request, answer)
    assert answer["summary"]["cost"] <= vroom["summary"]["cost"]
    assert set(vroom["summary"]) - {"violations"} <= set(answer["summary"]) | {"distance"}


@pytest.mark.parametrize("name", ["example_1.json", "example_3.json"])
def test_coordinate_examples_answer_in_vroom_shape(client: AppClient, name: str) -> None:
    """Coordinates only: solved on the stated straight-line estimate; VROOM's shape."""
    request = load(name)
    r = client.post("/v1/vroom?time_limit_s=1", json=request, headers=ALPHA)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert set(answer) >= {"code", "summary", "unassigned", "routes"}
    assert any("straight-line" in n for n in answer["notes"])
    ids = [s["id"] for r in answer["routes"] for s in r["steps"] if s["type"] == "job"]
    ids += [u["id"] for u in answer["unassigned"]]
    jobs = [j["id"] for j in request["jobs"]]
    shipments = [s[k]["id"] for s in request.get("shipments", []) for k in ("pickup", "delivery")]
    assert sorted(ids) == sorted(jobs + shipments)  # every task reported, none dropped
    for route in answer["routes"]:
        for step in route["steps"]:
            assert {"type", "arrival", "duration", "location"} <= set(step)


def test_bad_vroom_input_names_the_field(client: AppClient) -> None:
    """A job index beyond the matrix and a missing location are 422s naming the field."""
    request = load("example_2.json")
    request["jobs"][0]["location_index"] = 9
    r = client.post("/v1/vroom", json=request, headers=ALPHA)
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "jobs[0].location_index"
    del request["matrices"]
    r = client.post("/v1/vroom", json=request, headers=ALPHA)
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["error"]["problems"]} >= {"jobs[0].location"}
