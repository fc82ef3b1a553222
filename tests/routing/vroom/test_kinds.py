"""The seven kinds of VROOM request that broke the old translation, against VROOM itself.

Each answer is checked by the independent referee (0 violations), has VROOM's full
output shape, and serves at least as many tasks as pyvroom on the same request.
"""

from __future__ import annotations

from typing import Any

import pytest

from routing.vroom.api import answer_request
from routing.vroom.check import check_answer

from .oracle import assert_full_shape, both, line_matrix, pyvroom_plan

XS = [0, 1000, 2000, 3000, 4000, 5000, 6000]


def request(
    jobs: list[dict[str, Any]], vehicles: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """An index-mode request on points along a line (10 m/s)."""
    return {"jobs": jobs, "vehicles": vehicles, "matrices": {"car": line_matrix(XS)}, **extra}


def served(answer: dict[str, Any]) -> list[int]:
    """Ids of the tasks served, in route order."""
    return [
        s["id"]
        for r in answer["routes"]
        for s in r["steps"]
        if s["type"] not in ("start", "end", "break")
    ]


def assert_clean_and_no_worse(req: dict[str, Any]) -> dict[str, Any]:
    """0 violations, full shape, and at least VROOM's number of tasks served."""
    ours, verdict, _theirs, vroom_verdict = both(req)
    assert verdict.violations == []
    assert ours["summary"]["violations"] == []
    dims = max([len(v.get("capacity", [])) for v in req["vehicles"]] + [0])
    assert_full_shape(ours, dims=dims, distances=True)
    assert verdict.served >= vroom_verdict.served
    return ours


def test_capacity_one_serves_one_job_and_lists_the_rest() -> None:
    """Capacity [1], three deliveries of [1]: one served, two unassigned (as VROOM)."""
    jobs = [{"id": i, "location_index": i, "delivery": [1]} for i in (1, 2, 3)]
    ours = assert_clean_and_no_worse(
        request(jobs, [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [1]}])
    )
    assert len(served(ours)) == 1
    assert ours["routes"][0]["steps"][0]["load"] == [1]
    assert sorted(u["id"] for u in ours["unassigned"]) == sorted(set((1, 2, 3)) - set(served(ours)))
    assert all(u["type"] == "job" and "location_index" in u for u in ours["unassigned"])


def test_second_time_window_is_used() -> None:
    """A job whose first window closes before the vehicle can arrive is served in its second."""
    jobs = [{"id": 7, "location_index": 3, "time_windows": [[0, 10], [900, 1000]]}]
    ours = assert_clean_and_no_worse(request(jobs, [{"id": 1, "start_index": 0, "end_index": 0}]))
    step = next(s for s in ours["routes"][0]["steps"] if s["type"] == "job")
    assert step["arrival"] + step["waiting_time"] == 900


def test_breaks_come_back_as_break_steps_inside_a_window() -> None:
    """A break with two windows and a max_load is returned as a step in one window."""
    brk = {"id": 9, "service": 300, "time_windows": [[100, 150], [700, 800]], "max_load": [0]}
    jobs = [{"id": i, "location_index": i, "pickup": [1], "service": 60} for i in (1, 2, 3)]
    vehicle = {"id": 1, "start_index": 0, "end_index": 0, "capacity": [5], "breaks": [brk]}
    ours = assert_clean_and_no_worse(request(jobs, [vehicle]))
    steps = ours["routes"][0]["steps"]
    (b,) = [s for s in steps if s["type"] == "break"]
    start = b["arrival"] + b["waiting_time"]
    assert 100 <= start <= 150 or 700 <= start <= 800
    assert b["load"] == [0]  # max_load [0]: before any pickup


def test_max_tasks_travel_time_and_distance_hold() -> None:
    """max_tasks, max_travel_time and max_distance each bind and are never exceeded."""
    jobs = [{"id": i, "location_index": i} for i in range(1, 7)]
    vehicles = [
        {"id": 1, "start_index": 0, "end_index": 0, "max_tasks": 2},
        {"id": 2, "start_index": 0, "end_index": 0, "max_travel_time": 700},
        {"id": 3, "start_index": 0, "end_index": 0, "max_distance": 9000},
    ]
    ours = assert_clean_and_no_worse(request(jobs, vehicles))
    by_vehicle = {r["vehicle"]: r for r in ours["routes"]}
    assert len([s for s in by_vehicle.get(1, {"steps": []})["steps"] if s["type"] == "job"]) <= 2
    assert by_vehicle.get(2, {"duration": 0})["duration"] <= 700
    assert by_vehicle.get(3, {"distance": 0})["distance"] <= 9000


def test_shipments_are_picked_up_before_delivery_on_one_vehicle() -> None:
    """Shipments (capacity 1) are served whole, pickup first, load back to zero."""
    shipments = [
        {
            "amount": [1],
            "pickup": {"id": 1, "location_index": 1},
            "delivery": {"id": 1, "location_index": 4},
        },
        {
            "amount": [1],
            "pickup": {"id": 2, "location_index": 5},
            "delivery": {"id": 2, "location_index": 2},
        },
    ]
    vehicle = {"id": 1, "start_index": 0, "end_index": 0, "capacity": [1]}
    ours = assert_clean_and_no_worse(request([], [vehicle], shipments=shipments))
    kinds = [(s["type"], s["id"]) for s in ours["routes"][0]["steps"][1:-1]]
    assert sorted(kinds) == [("delivery", 1), ("delivery", 2), ("pickup", 1), ("pickup", 2)]
    for sid in (1, 2):
        assert kinds.index(("pickup", sid)) < kinds.index(("delivery", sid))
    assert ours["routes"][0]["steps"][-1]["load"] == [0]


def test_oversized_job_is_unassigned_and_zero_length_window_is_accepted() -> None:
    """A job bigger than every vehicle is unassigned (not a 422); [t, t] windows are fine."""
    jobs = [
        {"id": 1, "location_index": 1, "delivery": [50]},
        {"id": 2, "location_index": 2, "delivery": [1]},
    ]
    vehicles = [
        {"id": 1, "start_index": 0, "end_index": 0, "capacity": [10]},
        {"id": 2, "start_index": 0, "end_index": 0, "capacity": [10], "time_window": [100, 100]},
    ]
    ours = assert_clean_and_no_worse(request(jobs, vehicles))
    assert [u["id"] for u in ours["unassigned"]] == [1]
    assert served(ours) == [2]


def test_costs_matrix_fixed_costs_and_reported_cost() -> None:
    """A costs matrix and fixed costs drive the choice; the cost equals the referee's."""
    cheap = [[abs(a - b) // 100 for b in XS] for a in XS]
    req = request(
        [{"id": i, "location_index": i} for i in (2, 4, 6)],
        [
            {"id": 1, "start_index": 0, "end_index": 0, "costs": {"fixed": 1000}},
            {"id": 2, "start_index": 0, "end_index": 0, "costs": {"fixed": 10}},
        ],
    )
    req["matrices"]["car"]["costs"] = cheap
    ours = assert_clean_and_no_worse(req)
    verdict = check_answer(req, ours)
    assert ours["summary"]["cost"] == verdict.cost == 10 + 2 * 60
    assert [r["vehicle"] for r in ours["routes"]] == [2]


@pytest.mark.parametrize(
    ("per_hour", "per_km", "speed_factor", "there_s", "timed", "expected"),
    [
        (2700, 0, 1.0, 1, False, 1),  # 1.5: VROOM truncates its exact cost
        (1000, 0, 1.0, 7, False, 3),  # 3.89 in total, though each leg alone is under 2
        (3600, 0, 3.0, 150, False, 100),  # 100 * 3600 / 3 is rounded once, not 100 / 3
        (1000, 3, 1.0, 7, False, 8),  # 3.89 for the hours and 4.2 for the kilometres
        (3000, 0, 1.0, 7, False, 11),  # 11.67 truncated ...
        (3000, 0, 1.0, 7, True, 12),  # ... but rounded once a window makes VROOM's VRPTW
        (1000, 3, 1.0, 7, True, 8),
        (3600, 0, 3.0, 150, True, 99),  # two legs of 49.5 s: VROOM's clock shows 99 s
        (3000, 0, 2.2, 313, True, 234),
    ],
)
def test_route_cost_is_vroom_s(
    per_hour: int, per_km: int, speed_factor: float, there_s: int, timed: bool, expected: int
) -> None:
    """Per-hour, per-km and speed-factor costs and travel time come out as VROOM's own."""
    vehicle: dict[str, Any] = {
        "id": 1, "start_index": 0, "end_index": 0, "speed_factor": speed_factor,
        "costs": {"per_hour": per_hour, "per_km": per_km},
    }  # fmt: skip
    if timed:
        vehicle["time_window"] = [0, 10_000]
    req: dict[str, Any] = {
        "jobs": [{"id": 1, "location_index": 1}],
        "vehicles": [vehicle],
        "matrices": {
            "car": {"durations": [[0, there_s], [there_s, 0]], "distances": [[0, 700], [700, 0]]}
        },
    }
    ours, verdict, theirs, theirs_verdict = both(req)
    assert ours["summary"]["cost"] == verdict.cost == theirs["summary"]["cost"] == expected
    assert theirs_verdict.violations == []
    assert ours["summary"]["duration"] == theirs["summary"]["duration"]


def test_plan_mode_cost_is_vroom_s() -> None:
    """VROOM prices a given route from its timeline (11.67 -> 12), not truncated (11)."""
    req = request(
        [{"id": 1, "location_index": 1}],
        [{"id": 1, "start_index": 0, "end_index": 0, "costs": {"per_hour": 3000}}],
        options={"c": True},
    )
    req["matrices"] = {"car": {"durations": [[0, 7], [7, 0]]}}
    req["vehicles"][0]["steps"] = [{"type": "start"}, {"type": "job", "id": 1}, {"type": "end"}]
    ours = answer_request(req)
    assert ours["summary"]["cost"] == check_answer(req, ours).cost == 12
    assert pyvroom_plan(req)["summary"]["cost"] == 12


def test_plan_mode_reports_etas_and_violations() -> None:
    """Vehicle steps are kept in order; a late job and an overload are reported."""
    jobs = [
        {"id": 1, "location_index": 3, "time_windows": [[0, 100]], "delivery": [2]},
        {"id": 2, "location_index": 1, "delivery": [1]},
    ]
    steps = [{"type": "start"}, {"type": "job", "id": 2}, {"type": "job", "id": 1}, {"type": "end"}]
    vehicle = {"id": 1, "start_index": 0, "end_index": 0, "capacity": [2], "steps": steps}
    ours = answer_request(request(jobs, [vehicle]))
    route = ours["routes"][0]
    assert [s.get("id") for s in route["steps"]] == [None, 2, 1, None]
    assert route["steps"][2]["arrival"] == 300
    causes = {v["cause"] for v in ours["summary"]["violations"]}
    assert causes == {"load", "delay"}
    delay = next(v for v in route["steps"][2]["violations"] if v["cause"] == "delay")
    assert delay["duration"] == 200
