"""One objective: what the engines minimise is what the plan reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.build import build_instance
from routing.cost_model import read_cost_model
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


def test_plans_written_before_objective_rmb_still_load() -> None:
    from routing.model import Plan

    problem = random_problem(6, seed=2)
    plan = plan_day(
        problem, options=SolveOptions(time_limit_s=2, iterations=10, engines=("ortools",))
    )
    old = plan.model_dump(mode="json")
    del old["summary"]["objective_rmb"]
    assert Plan.model_validate(old).summary.objective_rmb is None


def test_second_run_pays_the_drivers_time_at_the_hub_between_runs() -> None:
    """The engines charge a vehicle's day from first departure to last return; the
    plan charges the reload and wait between runs to the later run."""
    from routing.cost_model import CostModel
    from routing.model import Problem
    from tests.routing.factories import HUB, pickup, van

    problem = Problem(
        hubs=(HUB,),
        pickups=tuple(pickup(f"P{i}", 0.02 * (i + 1), 0.01, parcels=60) for i in range(2)),
        vehicle_types=(
            van(count=1, capacity_parcels=60, max_runs_per_day=2, reload_min=30, rmb_per_hour=36),
        ),
    )
    options = SolveOptions(
        time_limit_s=5,
        iterations=20,
        engines=("ortools",),
        cost_model=CostModel(road_class_factor={}),
        baselines=False,
    )
    plan = plan_day(problem, options=options)
    first, second = sorted(plan.runs, key=lambda r: r.run)
    assert second.start - first.end >= 30 * 60
    assert first.time_cost_rmb == pytest.approx(36 * first.duration / 3600, abs=0.01)
    paid = second.duration + second.start - first.end
    assert second.time_cost_rmb == pytest.approx(36 * paid / 3600, abs=0.01)
    assert plan.summary.objective_rmb == pytest.approx(plan.summary.total_cost_rmb, rel=0.005)
