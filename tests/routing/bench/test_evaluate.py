"""Tests for routing.bench.evaluate: the referee's verdict on route lines."""

from __future__ import annotations

from routing.bench.evaluate import evaluate_routes, gap_percent
from routing.bench.solutions import read_routes
from tests.routing.bench.instances import smallest


def test_best_known_routes_are_feasible_and_priced() -> None:
    path = smallest("CVRP")
    result = evaluate_routes(path, read_routes(path.with_suffix(".sol")))
    assert result.feasible, result.violations
    assert result.cost == result.distance_cost + result.duration_cost + result.fixed_cost
    assert result.num_routes == len([r for r in read_routes(path.with_suffix(".sol")) if r])


def test_a_client_twice_and_an_unknown_location_are_each_named() -> None:
    path = smallest("CVRP")
    routes = read_routes(path.with_suffix(".sol"))
    first = routes[0][0]
    result = evaluate_routes(path, [*routes, [first, 10**6]])
    assert not result.feasible
    assert f"location {first} visited twice" in " ".join(result.violations)
    assert "unknown location 1000000" in " ".join(result.violations)


def test_a_missing_client_makes_the_solution_infeasible() -> None:
    path = smallest("CVRP")
    routes = read_routes(path.with_suffix(".sol"))
    result = evaluate_routes(path, [routes[0][1:], *routes[1:]])
    assert not result.feasible
    assert "1 required clients not visited" in result.violations


def test_gap_is_a_percentage_of_the_best_known() -> None:
    assert gap_percent(105, 100) == 5.0
    assert gap_percent(1, 0) != gap_percent(1, 0)  # nan when the best known is zero
