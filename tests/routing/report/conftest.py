"""Shared fixtures of the report tests: one small demo plan and its page."""

from __future__ import annotations

import pytest

from routing.report import DemoPlan, demo_plan
from tests.routing.report.pages import render


@pytest.fixture(scope="module")
def small() -> DemoPlan:
    """Four runs (one a second trip) of five stops and two unassigned pickups."""
    return demo_plan(4, 5, seed=3, n_unassigned=2)


@pytest.fixture(scope="module")
def small_html(small: DemoPlan) -> str:
    return render(small)
