"""The referee on answers it must refuse: it recomputes, it does not trust."""

from __future__ import annotations

import copy
from typing import Any

from routing.vroom.api import answer_request
from routing.vroom.check import check_answer

from .oracle import line_matrix

REQUEST: dict[str, Any] = {
    "jobs": [{"id": i, "location_index": i} for i in (1, 2)],
    "vehicles": [{"id": 7, "start_index": 0, "end_index": 0, "costs": {"per_hour": 1000}}],
    "matrices": {"car": line_matrix([0, 70, 140])},
}


def test_a_cost_not_from_the_matrices_is_a_violation() -> None:
    answer = answer_request(REQUEST, time_limit_s=0.5)
    assert check_answer(REQUEST, answer).violations == []
    # 28 s of travel at 1000 an hour is 7.78: VROOM reports 7, and so must we.
    assert answer["routes"][0]["cost"] == 7
    wrong = copy.deepcopy(answer)
    wrong["routes"][0]["cost"] = 8
    verdict = check_answer(REQUEST, wrong)
    assert verdict.violations == ["vehicle 7: reports cost 8, the matrices give 7"]
    assert verdict.cost == 7


def test_a_break_after_a_whole_leg_shown_truncated_is_clean() -> None:
    """A speed factor of 0.78 makes legs of 396.8, 652.8 and 1049.6 s. The break waits at
    job 2 for its window after the whole leg, so job 2 starts at 1,510 s sharp, though
    the break's arrival is shown as 1,049 s: the referee must not keep 0.3 s of driving
    for after the break (it would find the end 0.6 s early)."""
    request: dict[str, Any] = {
        "jobs": [{"id": 1, "location_index": 1}, {"id": 2, "location_index": 2}],
        "vehicles": [
            {
                "id": 1, "start_index": 0, "end_index": 0, "speed_factor": 0.78,
                "breaks": [{"id": 9, "time_windows": [[1500, 2000]], "service": 10}],
                "steps": [
                    {"type": "start"}, {"type": "job", "id": 1}, {"type": "break", "id": 9},
                    {"type": "job", "id": 2}, {"type": "end"},
                ],
            }
        ],
        "matrices": {"car": {"durations": [[0, 310, 820], [310, 0, 510], [820, 510, 0]]}},
    }  # fmt: skip
    answer = answer_request(request)
    steps = answer["routes"][0]["steps"]
    assert [s["arrival"] for s in steps] == [0, 396, 1049, 1510, 2559]
    assert [s["duration"] for s in steps] == [0, 396, 1049, 1049, 2098]
    assert answer["summary"]["violations"] == []
    assert check_answer(request, answer).violations == []
