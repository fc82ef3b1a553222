"""VRPLIB reading and writing, checked against the referee on one instance per set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from routing.evaluate import bks_cost_units, evaluate, evaluate_routes
from routing.solve.check import check_solution, solution_cost
from routing.vrplib_io import (
    read_instance,
    read_routes,
    routes_to_solution,
    solution_routes,
    solve_vrplib_file,
    write_solution,
)

ROOT = Path(__file__).resolve().parents[3] / "shared" / "instances"
SETS = ["CVRP", "CVRP-XXL", "HFVRP", "MDVRPTW", "MTVRPTWR", "PCVRPTW", "SDVRPTW", "VRPB", "VRPTW"]


def smallest(set_name: str) -> Path:
    """The set's smallest instance with a best-known solution."""
    if not ROOT.is_dir():
        if os.environ.get("HUBROUTE_ALLOW_MISSING_INSTANCES"):
            pytest.skip(f"{ROOT} missing (HUBROUTE_ALLOW_MISSING_INSTANCES set)")
        pytest.fail(f"benchmark instances not found at {ROOT}; check out ../shared")
    files = [p for p in (ROOT / set_name).glob("*.vrp") if p.with_suffix(".sol").exists()]
    return min(files, key=lambda p: (p.stat().st_size, p.name))


@pytest.mark.parametrize("set_name", SETS)
def test_bks_round_trip(set_name: str, tmp_path: Path) -> None:
    """Read BKS -> Solution -> write -> referee: same cost, feasible; our checker agrees."""
    path = smallest(set_name)
    inst = read_instance(path)
    bks = bks_cost_units(path, path.with_suffix(".sol"))
    sol = routes_to_solution(read_routes(path.with_suffix(".sol")), inst)
    assert check_solution(inst, sol) == []
    assert solution_cost(inst, sol) == bks
    out = tmp_path / "out.sol"
    write_solution(out, sol, inst, cost=bks)
    result = evaluate(path, out)
    assert result.feasible, result.violations
    assert result.cost == bks
    assert out.read_text().rstrip().endswith(f"Cost {bks}")


def test_reload_written_as_depot_between_runs(tmp_path: Path) -> None:
    """A vehicle with two runs is written ``a b 0 c`` (depot 0 between runs)."""
    path = smallest("MTVRPTWR")
    inst = read_instance(path)
    sol = routes_to_solution([[1, 2, 0, 3]], inst)
    assert [t.clients for t in sol.routes[0].trips] == [(0, 1), (2,)]
    assert solution_routes(sol, inst) == [[1, 2, 0, 3]]


def test_multi_type_routes_align_with_vehicles() -> None:
    """With several vehicle types route k is vehicle k of the file (empty lines kept)."""
    path = smallest("HFVRP")
    inst = read_instance(path)
    lines = read_routes(path.with_suffix(".sol"))
    assert solution_routes(routes_to_solution(lines, inst), inst) == lines


@pytest.mark.parametrize("set_name", [s for s in SETS if s != "CVRP-XXL"])
def test_short_solve_is_feasible(set_name: str, tmp_path: Path) -> None:
    """A few seconds on the set's smallest instance give a plan the referee accepts."""
    path = smallest(set_name)
    out = tmp_path / "ours.sol"
    _, cost, feasible = solve_vrplib_file(path, time_limit_s=3.0, seed=0, out=out)
    assert feasible
    assert evaluate(path, out).cost == cost
    assert evaluate_routes(path, read_routes(out)).feasible
