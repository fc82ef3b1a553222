"""Solver engines behind one entry point (the portfolio lands here)."""

from __future__ import annotations

from collections.abc import Sequence

from routing.solve.instance import Instance, Solution
from routing.solve.ortools_engine import solve_ortools


def solve(
    instance: Instance,
    *,
    time_limit_s: float,
    seed: int = 0,
    engines: Sequence[str] = ("auto",),
    workers: int = 2,
    iterations: int | None = None,
) -> Solution:
    """Solve ``instance``; OR-Tools until the portfolio lands."""
    del engines, workers
    return solve_ortools(instance, time_limit_s=time_limit_s, seed=seed, iterations=iterations)


__all__ = ["Instance", "Solution", "solve"]
