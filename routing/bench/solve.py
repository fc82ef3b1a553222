"""Solve a VRPLIB instance file and have the independent referee price the answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from routing.bench.evaluate import evaluate_routes
from routing.bench.solutions import solution_routes, write_solution
from routing.bench.vrplib import read_instance
from routing.solve import solve
from routing.solve.instance import Solution


def solve_vrplib_file(
    path: str | Path,
    *,
    time_limit_s: float,
    seed: int = 0,
    out: str | Path | None = None,
    engines: Sequence[str] = ("auto",),
    workers: int = 2,
) -> tuple[Solution, int, bool]:
    """Solve a VRPLIB instance file with :func:`routing.solve.solve` and check it.

    Parameters
    ----------
    path
        The ``.vrp`` file (read with :func:`read_instance`, ``round_func="auto"``).
    time_limit_s
        Wall-clock budget for the solver, in seconds.
    seed
        Random seed; the same seed gives the same answer for the same time budget
        (up to the wall-clock stopping rule).
    out
        Where to write the ``.sol`` file, if anywhere.
    engines, workers
        Passed on to :func:`routing.solve.solve`.

    Returns
    -------
    tuple[Solution, int, bool]
        The solution, its cost and feasibility as the independent evaluator
        (:func:`routing.bench.evaluate.evaluate_routes`, PyVRP as referee) finds them.
    """
    instance = read_instance(path)
    solution = solve(
        instance, time_limit_s=time_limit_s, seed=seed, engines=engines, workers=workers
    )
    result = evaluate_routes(path, solution_routes(solution, instance))
    if out is not None:
        write_solution(out, solution, instance, cost=result.cost)
    return solution, result.cost, result.feasible
