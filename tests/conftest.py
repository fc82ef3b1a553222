"""Every plan made in a test process through the default path must pass the plan check.

The planning flow checks each plan it delivers and marks it (``summary.feasible``,
``summary.violations``); here any violation it marks fails the test that made the
plan, whatever that test asserts itself. Plans made in worker or CLI processes are
checked by their own tests (exit code 3, ``summary.feasible`` in the body).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _every_plan_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import routing.pipeline
    import routing.plan_guard
    from routing.plan_check import mark_plan

    def strict(plan: Any, violations: list[Any]) -> Any:
        assert violations == [], f"the plan check found violations in {plan.name!r}"
        return mark_plan(plan, violations)

    monkeypatch.setattr(routing.pipeline, "mark_plan", strict)
    monkeypatch.setattr(routing.plan_guard, "mark_plan", strict)
