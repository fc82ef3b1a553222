"""Tests for routing.report.demo: synthetic plans for demonstrations and benchmarks."""

from __future__ import annotations

from routing.model import Plan
from routing.report import (
    DemoPlan,
)


def test_demo_plan_is_a_valid_plan_that_round_trips_through_json(small: DemoPlan) -> None:
    """The helper builds a plan the pydantic model accepts, with consistent totals."""
    again = Plan.model_validate(small.plan.model_dump(mode="json"))
    assert again == small.plan
    assert small.plan.summary.runs == 4
    assert sum(len(r.stops) for r in small.plan.runs) == 20
    assert small.plan.summary.parcels == sum(r.parcels for r in small.plan.runs)
