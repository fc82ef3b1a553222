"""VROOM's documented examples: clean answers in VROOM's full shape, no fewer tasks than VROOM.

Examples 1 and 3 carry coordinates; they are timed on the straight-line estimate and,
for the referee and for pyvroom, turned into the same request with matrices.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from routing.matrix import StraightLineMatrixProvider
from routing.vroom.api import answer_request
from routing.vroom.check import check_answer

from .oracle import assert_full_shape, pyvroom_answer, pyvroom_plan

EXAMPLES = Path(__file__).resolve().parents[4] / "shared" / "vroom-examples"


def load(name: str) -> dict[str, Any]:
    """One of VROOM's examples (../shared/vroom-examples beside the repository)."""
    path = EXAMPLES / name
    assert path.exists(), f"{path} missing: ../shared/vroom-examples must sit beside the repo"
    return dict(json.loads(path.read_text()))


def straight_line(locations: Any) -> tuple[list[list[int]], list[list[int]]]:
    """The straight-line estimate the CLI uses for coordinates."""
    m = StraightLineMatrixProvider().matrix([str(i) for i in range(len(locations))], locations)
    return m.duration_s.tolist(), m.distance_m.tolist()


def with_matrices(request: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[float, float], int]]:
    """The request with location indices and straight-line matrices, and the index map."""
    out = copy.deepcopy(request)
    places: dict[tuple[float, float], int] = {}
    items = [*out["vehicles"], *out["jobs"]]
    items += [s[k] for s in out.get("shipments", []) for k in ("pickup", "delivery")]
    for item in items:
        for key in ("start", "end", "location"):
            if key in item:
                xy = (float(item[key][0]), float(item[key][1]))
                item[f"{key}_index"] = places.setdefault(xy, len(places))
    durations, distances = straight_line(list(places))
    out["matrices"] = {"car": {"durations": durations, "distances": distances}}
    return out, places


def indexed(answer: dict[str, Any], places: dict[tuple[float, float], int]) -> dict[str, Any]:
    """A coordinate answer with each step's location index added, for the referee."""
    out = copy.deepcopy(answer)
    for route in out["routes"]:
        for step in route["steps"]:
            if "location" in step:
                step["location_index"] = places[tuple(step["location"])]
    return out


def test_matrix_example_matches_vroom() -> None:
    """Example 2 (custom matrix): clean, full shape, and VROOM's own cost."""
    request, vroom_sol = load("example_2.json"), load("example_2_sol.json")
    answer = answer_request(request)
    assert check_answer(request, answer).violations == []
    assert_full_shape(answer, dims=0, distances=False)
    assert answer["summary"]["cost"] == vroom_sol["summary"]["cost"]


def test_example_1_with_coordinates_is_clean_and_no_worse_than_vroom() -> None:
    """Example 1 (jobs, a shipment, skills, a break, windows): clean, >= VROOM's tasks."""
    request = load("example_1.json")
    answer = answer_request(request, matrix_for=straight_line)
    matrixed, places = with_matrices(request)
    verdict = check_answer(matrixed, indexed(answer, places))
    assert verdict.violations == []
    assert_full_shape(answer, dims=1, distances=True)
    assert answer["summary"]["cost"] == verdict.cost
    vroom_verdict = check_answer(matrixed, pyvroom_answer(matrixed))
    assert verdict.served >= vroom_verdict.served
    assert all("location" in u for u in answer["unassigned"])


def test_example_3_plan_mode_reports_and_solve_mode_is_clean() -> None:
    """Example 3 gives routes: kept as given with violations; without steps: clean."""
    request = load("example_3.json")
    plan = answer_request(request, matrix_for=straight_line)
    for route, vehicle in zip(plan["routes"], request["vehicles"], strict=True):
        given = [(s["type"], s.get("id")) for s in vehicle["steps"]]
        assert [(s["type"], s.get("id")) for s in route["steps"]] == given
    matrixed, places = with_matrices(request)
    referee = check_answer(matrixed, indexed(plan, places))
    assert bool(plan["summary"]["violations"]) == bool(referee.violations)
    vroom_plan = pyvroom_plan(matrixed)
    assert plan["summary"]["cost"] == referee.cost == vroom_plan["summary"]["cost"]
    for vehicle in request["vehicles"]:
        del vehicle["steps"]
    solved = answer_request(request, matrix_for=straight_line)
    verdict = check_answer(with_matrices(request)[0], indexed(solved, places))
    assert verdict.violations == []
    assert_full_shape(solved, dims=1, distances=True)
