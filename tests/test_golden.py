"""The golden plans (``fixtures/golden``) still come out: same cost, runs and stop order.

A failure means a change altered the plans of ``fixtures/small`` or of the Xinping
day. If that was the intent, regenerate them with ``make golden`` and review the diff
of ``fixtures/golden/*.plan.json`` with the change.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.golden import DAYS, golden_path, plan_data, stored

pytestmark = pytest.mark.slow


def _runs(plan: dict[str, Any]) -> list[tuple[str, int, list[str]]]:
    return [(r["vehicle"], r["run"], [s["pickup_id"] for s in r["stops"]]) for r in plan["runs"]]


def _money(plan: dict[str, Any]) -> list[tuple[str, int, float, list[float]]]:
    return [
        (r["vehicle"], r["run"], r["cost_rmb"], [s["cost_rmb"] for s in r["stops"]])
        for r in plan["runs"]
    ]


@pytest.mark.parametrize("name", sorted(DAYS))
def test_plan_matches_its_golden_plan(name: str) -> None:
    """Cost, runs in order with their stops in order, every RMB, then every other field."""
    assert golden_path(name).is_file(), f"no golden plan {name!r}; run `make golden`"
    want = stored(name)
    got = plan_data(name)
    assert got["summary"]["total_cost_rmb"] == want["summary"]["total_cost_rmb"]
    assert _runs(got) == _runs(want)
    assert _money(got) == _money(want)
    assert sorted(u["pickup_id"] for u in got["unassigned"]) == sorted(
        u["pickup_id"] for u in want["unassigned"]
    )
    assert got == want, "same runs and cost, but another field of the plan changed"


def test_golden_plans_are_real_days() -> None:
    """The stored plans are full days, not empty placeholders."""
    for name in DAYS:
        plan = stored(name)
        assert plan["runs"], name
        assert plan["summary"]["total_cost_rmb"] > 0, name
        assert plan["summary"]["runs"] == len(plan["runs"]), name
