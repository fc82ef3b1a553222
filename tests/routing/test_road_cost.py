"""Charged metres: the cost model's road-class factors over the day's matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.cost_model import CostModel, read_cost_model
from routing.costs import apply_cost_model
from routing.io import read_scenario
from routing.matrix import RoadMatrixProvider, TravelMatrix
from routing.model import Problem
from routing.network import ROAD_CLASSES, RoadNetwork
from routing.paths import snap_points
from routing.pipeline import SolveOptions, matrices_for, plan_day
from routing.road_cost import charged_metres, road_costing
from routing.road_file import network_from_file
from routing.units import UNREACHABLE

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "fixtures/small/scenario.toml"


def _small() -> tuple[Problem, RoadNetwork, dict[str, TravelMatrix], dict[str, int]]:
    sc = read_scenario(SMALL)
    assert sc.network_path is not None
    net = network_from_file(sc.network_path)
    problem = sc.problem
    points = [(h.id, h.lon, h.lat) for h in problem.hubs] + [
        (p.id, p.lon, p.lat) for p in problem.pickups
    ]
    node_of = dict(zip([p[0] for p in points], snap_points(net, points).nodes, strict=True))
    return problem, net, matrices_for(problem, RoadMatrixProvider(net)), node_of


def test_charged_metres_with_unit_factors_are_the_matrix_metres() -> None:
    _, net, matrices, node_of = _small()
    m = matrices["all"]
    nodes = [node_of[i] for i in m.ids]
    charged = charged_metres(net, nodes, np.ones(len(ROAD_CLASSES)))
    reach = m.distance_m < UNREACHABLE
    assert np.abs(charged[reach] - m.distance_m[reach]).max() <= 0.5
    assert (charged[~reach] >= UNREACHABLE).all()
    assert (~reach).any()  # the fixture has an unreachable pickup


def test_class_factors_raise_the_charged_metres_on_those_classes_only() -> None:
    _, net, matrices, node_of = _small()
    m = matrices["all"]
    nodes = [node_of[i] for i in m.ids]
    village = np.ones(len(ROAD_CLASSES))
    village[ROAD_CLASSES.index("village")] = 2.0
    charged = charged_metres(net, nodes, village)
    reach = (m.distance_m < UNREACHABLE) & (m.distance_m > 0)
    metres = m.distance_m[reach]  # whole metres: allow half a metre of rounding
    assert (charged[reach] >= metres - 0.5).all()
    assert (charged[reach] <= 2 * metres + 1.0).all()
    assert (charged[reach] > metres + 1.0).any()  # some legs run on village roads


def test_pricing_by_lookup_equals_pricing_along_the_roads() -> None:
    """apply_cost_model with charged metres gives the same money as following each leg."""
    problem, net, matrices, node_of = _small()
    model = read_cost_model(ROOT / "fixtures/costs/xinping.toml").model_copy(
        update={"vehicles": {}, "road_class_factor": {"village": 1.3, "county": 1.1}}
    )
    plan = plan_day(
        problem,
        network=net,
        options=SolveOptions(time_limit_s=2, iterations=20, engines=("ortools",), baselines=False),
    )
    assert plan.runs
    costing = road_costing(problem, matrices, model, network=net, node_of=node_of)
    by_roads = apply_cost_model(plan, model, network=net, matrices=matrices)
    by_lookup = apply_cost_model(plan, model, network=net, matrices=matrices, costing=costing)
    assert by_lookup.summary.total_cost_rmb == pytest.approx(
        by_roads.summary.total_cost_rmb, abs=0.02 * len(plan.runs)
    )
    flat = apply_cost_model(plan, CostModel(road_class_factor={}), matrices=matrices)
    assert by_lookup.summary.total_cost_rmb > flat.summary.total_cost_rmb
