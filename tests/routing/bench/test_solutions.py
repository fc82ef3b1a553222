"""Tests for routing.bench.solutions: VRPLIB route lines and solution files."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.bench.evaluate import bks_cost_units, evaluate
from routing.bench.solutions import (
    read_routes,
    routes_to_solution,
    solution_routes,
    write_solution,
)
from routing.bench.vrplib import read_instance
from routing.errors import InputError
from routing.solve.check import check_solution, solution_cost
from tests.routing.bench.instances import SETS, smallest


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


def test_unknown_locations_are_all_reported_with_their_route() -> None:
    """Route lines naming locations past the instance are refused, each one named."""
    inst = read_instance(smallest("CVRP"))
    with pytest.raises(InputError) as err:
        routes_to_solution([[1, inst.num_nodes], [2, inst.num_nodes + 5]], inst)
    text = str(err.value)
    assert "route 1" in text
    assert f"unknown location {inst.num_nodes}" in text
    assert "route 2" in text
    assert f"unknown location {inst.num_nodes + 5}" in text
