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
