"""One objective: what the engines minimise is what the plan reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.build import build_instance
from routing.costs import read_cost_model
from routing.io import read_scenario
from routing.matrix import StraightLineMatrixProvider
from routing.pipeline import SolveOptions, matrices_for, plan_day
from routing.road_cost import road_costing
from routing.road_file import network_from_file
from routing.solve.objective import cost_view, objective_cost, route_costs
from routing.units import COST_UNITS_PER_RMB
from tests.routing.factories import random_problem

ROOT = Path(__file__).resolve().parents[2]
COSTS = ROOT / "fixtures/costs/xinping.toml"


def test_objective_equals_total_cost_on_the_demo_day() -> None:
    """The Xinping day with the hub's cost model, reproducible (iterations) mode."""
    sc = read_scenario(ROOT / "fixtures/xinping/scenario.toml")
    assert sc.network_path is not None
    options = SolveOptions(
        time_limit_s=30,
        iterations=60,
        cost_model=read_cost_model(COSTS),
        allocation=("proportional",),
        baselines=False,
    )
    plan = plan_day(sc.problem, network=network_from_file(sc.network_path), options=options)
    s = plan.summary
    assert plan.runs
    assert s.objective_rmb is not None
    assert s.objective_rmb == pytest.approx(s.total_cost_rmb, rel=0.005)


def test_engines_see_the_cost_models_rates_and_road_factors() -> None:
    problem = random_problem(12, seed=3)
    matrices = matrices_for(problem, StraightLineMatrixProvider())
    model = read_cost_model(COSTS).model_copy(
        update={"vehicles": {}, "unknown_road_factor": 1.25, "driver_rmb_per_hour": 50.0}
    )
    plain = build_instance(problem, matrices).instance
    priced = build_instance(problem, matrices, costing=road_costing(problem, matrices, model))
    inst = priced.instance
    assert inst.cost_distance is not None
    ratio = inst.cost_distance[0][plain.distance[0] > 0] / plain.distance[0][plain.distance[0] > 0]
    assert ratio == pytest.approx(np.full_like(ratio, 1.25), abs=1e-3)
    assert inst.vehicle_types[0].unit_duration_cost == round(50 * COST_UNITS_PER_RMB / 3600)
    assert np.array_equal(inst.distance, plain.distance)  # metres driven stay metres
    # The cost view prices the charged metres: same plan, higher objective.
    assert cost_view(inst).distance is inst.cost_distance


def test_objective_of_a_plan_counts_vehicles_not_prizes() -> None:
    problem = random_problem(10, seed=5)
    matrices = matrices_for(problem, StraightLineMatrixProvider())
    model = read_cost_model(COSTS).model_copy(update={"vehicles": {}})
    built = build_instance(problem, matrices, costing=road_costing(problem, matrices, model))
    from routing.solve.ortools_engine import solve_ortools

    sol = solve_ortools(built.instance, time_limit_s=5, iterations=20)
    served = sol.served()
    prizes = sum(int(built.instance.prize[c]) for c in range(10) if c not in served)
    assert route_costs(built.instance, sol) == objective_cost(built.instance, sol) - prizes
    assert route_costs(built.instance, sol) > 0
