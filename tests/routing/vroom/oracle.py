"""VROOM itself (pyvroom, the ``bench`` extra) as the oracle, and small request builders."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from routing.vroom.api import answer_request
from routing.vroom.check import Verdict, check_answer


def pyvroom_answer(request: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
    """VROOM's own answer (exploration level 5, one thread)."""
    import vroom  # pyvroom, from the bench extra that make test installs

    inp = vroom.Input()
    inp._from_json(json.dumps(request), False)
    timeout = None if timeout_s is None else dt.timedelta(seconds=timeout_s)
    solution = inp.solve(exploration_level=5, nb_threads=1, timeout=timeout)
    return dict(solution.to_dict())


def pyvroom_plan(request: dict[str, Any]) -> dict[str, Any]:
    """VROOM's plan mode (``vroom -c``): ETAs and violations of the routes given as steps."""
    import vroom

    inp = vroom.Input()
    inp._from_json(json.dumps(request), False)
    return dict(inp.check(1).to_dict())


def line_matrix(xs: list[int], speed_m_s: int = 10) -> dict[str, Any]:
    """Durations and distances between points on a line (metres)."""
    dist = [[abs(a - b) for b in xs] for a in xs]
    return {
        "durations": [[math.ceil(d / speed_m_s) for d in row] for row in dist],
        "distances": dist,
    }


def both(
    request: dict[str, Any], *, time_limit_s: float | None = None
) -> tuple[dict[str, Any], Verdict, dict[str, Any], Verdict]:
    """hubroute's and VROOM's answers with the referee's verdict on each.

    VROOM runs to the end of its own search (no timeout); ``time_limit_s`` gives
    hubroute a fixed budget instead of the size-based default.
    """
    ours = answer_request(request, time_limit_s=time_limit_s)
    theirs = pyvroom_answer(request)
    return ours, check_answer(request, ours), theirs, check_answer(request, theirs)


FULL_SUMMARY = {
    "cost", "routes", "unassigned", "setup", "service", "duration", "waiting_time",
    "priority", "violations", "computing_times",
}  # fmt: skip
FULL_STEP = {"type", "arrival", "duration", "setup", "service", "waiting_time", "violations"}
FULL_ROUTE = {
    "vehicle", "cost", "setup", "service", "duration", "waiting_time", "priority", "steps",
    "violations",
}  # fmt: skip


def assert_full_shape(answer: dict[str, Any], *, dims: int, distances: bool) -> None:
    """Every key of VROOM's output is present where VROOM gives it."""
    assert answer["code"] == 0
    summary = set(answer["summary"])
    assert summary >= FULL_SUMMARY
    assert ({"delivery", "pickup", "amount"} <= summary) == bool(dims)
    assert ("distance" in summary) == distances
    assert set(answer["summary"]["computing_times"]) == {"loading", "solving", "routing"}
    for u in answer["unassigned"]:
        assert {"id", "type"} <= set(u)
        assert {"location", "location_index"} & set(u)
    for route in answer["routes"]:
        assert set(route) >= FULL_ROUTE
        assert route["steps"][0]["type"] == "start"
        assert route["steps"][-1]["type"] == "end"
        for step in route["steps"]:
            assert set(step) >= FULL_STEP
            assert ("load" in step) == bool(dims)
            assert ("distance" in step) == distances
            if step["type"] != "break":
                assert {"location", "location_index"} & set(step)
            if step["type"] not in ("start", "end"):
                assert "id" in step
