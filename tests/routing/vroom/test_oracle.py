"""Random requests over every feature: hubroute against VROOM, judged by the referee."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.vroom.samples import random_request

from .oracle import both


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10**6),
    n_jobs=st.integers(3, 25),
    n_vehicles=st.integers(1, 4),
)
def test_clean_and_never_fewer_tasks_than_vroom(seed: int, n_jobs: int, n_vehicles: int) -> None:
    """0 violations; at least VROOM's tasks served unless VROOM's own answer breaks a rule."""
    request = random_request(seed, n_jobs=n_jobs, n_vehicles=n_vehicles)
    # VROOM searches to its end here, so hubroute gets a fixed budget rather than the
    # size-based default that a busy test machine would eat into.
    ours, verdict, _, vroom_verdict = both(request, time_limit_s=3.0)
    assert verdict.violations == [], verdict.violations
    assert ours["summary"]["violations"] == []
    assert ours["summary"]["cost"] == verdict.cost
    if not vroom_verdict.violations:
        assert verdict.served >= vroom_verdict.served
