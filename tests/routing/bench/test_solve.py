"""Tests for routing.bench.solve: a VRPLIB file solved and judged by the referee."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.bench.evaluate import evaluate, evaluate_routes
from routing.bench.solutions import read_routes
from routing.bench.solve import solve_vrplib_file
from tests.routing.bench.instances import SETS, smallest


@pytest.mark.parametrize("set_name", [s for s in SETS if s != "CVRP-XXL"])
def test_short_solve_is_feasible(set_name: str, tmp_path: Path) -> None:
    """A few seconds on the set's smallest instance give a plan the referee accepts."""
    path = smallest(set_name)
    out = tmp_path / "ours.sol"
    _, cost, feasible = solve_vrplib_file(path, time_limit_s=3.0, seed=0, out=out)
    assert feasible
    assert evaluate(path, out).cost == cost
    assert evaluate_routes(path, read_routes(out)).feasible
