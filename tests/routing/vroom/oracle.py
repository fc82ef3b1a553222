"""VROOM itself (pyvroom, the ``bench`` extra) as the oracle, and small request builders."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

from routing.vroom.api import answer_request
from routing.vroom.check import Verdict, check_answer

# VROOM 1.15's solve starts its heuristics on threads gated by a semaphore, which can
# miss a wake-up and wait for ever (seen once in a test run, in std::thread::join): the
# oracle runs in a child process, and a hung one is stopped and run again.
_CHILD = """
import datetime as dt, json, sys
import vroom
job = json.load(sys.stdin)
inp = vroom.Input()
inp._from_json(json.dumps(job["request"]), False)
if job["plan"]:
    solution = inp.check(1)
else:
    t = job["timeout_s"]
    timeout = None if t is None else dt.timedelta(seconds=t)
    solution = inp.solve(exploration_level=5, nb_threads=1, timeout=timeout)
json.dump(solution.to_dict(), sys.stdout)
"""
_HUNG_S, _TRIES = 120, 3


def _pyvroom(request: dict[str, Any], *, plan: bool, timeout_s: float | None) -> dict[str, Any]:
    job = json.dumps({"request": request, "plan": plan, "timeout_s": timeout_s})
    for _ in range(_TRIES):
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD],
                input=job,
                capture_output=True,
                text=True,
                timeout=_HUNG_S,
                check=True,
            )
        except subprocess.TimeoutExpired:
            continue
        except subprocess.CalledProcessError as failed:
            raise AssertionError(f"pyvroom failed: {failed.stderr}") from failed
        return dict(json.loads(done.stdout))
    raise AssertionError(f"pyvroom hung {_TRIES} times for {_HUNG_S} s")


def pyvroom_answer(request: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
    """VROOM's own answer (pyvroom from the bench extra; exploration level 5, one thread)."""
    return _pyvroom(request, plan=False, timeout_s=timeout_s)


def pyvroom_plan(request: dict[str, Any]) -> dict[str, Any]:
    """VROOM's plan mode (``vroom -c``): ETAs and violations of the routes given as steps."""
    return _pyvroom(request, plan=True, timeout_s=None)


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
