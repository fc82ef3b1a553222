"""Charged metres: the cost model's road-class factors over the day's matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.build import build_instance
from routing.cost_model import CostModel, fleet_cost_model, read_cost_model
from routing.costs import apply_cost_model
from routing.io import read_scenario
from routing.matrix import RoadMatrixProvider, StraightLineMatrixProvider, TravelMatrix
from routing.model import Problem, VehicleType
from routing.network import ROAD_CLASSES, RoadNetwork
from routing.paths import snap_points
from routing.pipeline import SolveOptions, matrices_for, plan_day
from routing.road_cost import charged_metres, road_costing
from routing.road_file import network_from_file
from routing.units import COST_UNITS_PER_RMB, UNREACHABLE
from tests.routing.factories import random_problem

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


def _climbing_fleet_day() -> tuple[Problem, dict[str, TravelMatrix], np.ndarray]:
    """Three vans on one road profile: climbs free, climbs paid, only climbs paid."""
    fleet = [
        VehicleType(name=name, capacity_parcels=500, capacity_kg=5000, **rates)
        for name, rates in (
            ("flat", {"rmb_per_km": 1.2, "rmb_per_100m_ascent": 0.0}),
            ("climber", {"rmb_per_km": 1.2, "rmb_per_100m_ascent": 0.5}),
            ("electric", {"rmb_per_km": 0.0, "rmb_per_100m_ascent": 0.8}),
        )
    ]
    problem = random_problem(6, seed=5).model_copy(update={"vehicle_types": tuple(fleet)})
    matrices = matrices_for(problem, StraightLineMatrixProvider())
    n = len(matrices["all"].ids)
    ascent = np.random.default_rng(5).uniform(0, 300, (n, n))
    np.fill_diagonal(ascent, 0.0)
    return problem, matrices, ascent


def test_climbing_energy_rides_on_each_vehicle_types_engine_metres() -> None:
    """Unit cost x engine metres is energy on the km plus energy for the metres climbed,
    for each vehicle type, though all three share one travel matrix."""
    problem, matrices, ascent = _climbing_fleet_day()
    costing = road_costing(problem, matrices, fleet_cost_model(), ascent_m={"all": ascent})
    inst = build_instance(problem, matrices, costing=costing).instance
    assert inst.cost_distance is not None
    assert len(inst.profile_names) == 3  # one per way of paying for climbs
    assert inst.profile_names[0] == "all@1"  # climbs free: the instance as before
    metres = matrices["all"].distance_m
    for vt, data in zip(problem.vehicle_types, inst.vehicle_types, strict=True):
        units = data.unit_distance_cost * inst.cost_distance[data.profile]
        want_rmb = vt.rmb_per_km * metres / 1000 + vt.rmb_per_100m_ascent * ascent / 100
        # Engine metres are whole: at most half an engine metre off per leg.
        assert np.abs(units - want_rmb * COST_UNITS_PER_RMB).max() <= data.unit_distance_cost / 2
        assert np.array_equal(inst.distance[data.profile], metres)  # metres driven stay metres
    no_climbs = build_instance(
        problem, matrices, costing=road_costing(problem, matrices, fleet_cost_model())
    ).instance
    assert no_climbs.profile_names == ("all@1",)


def test_engine_metres_keep_unreachable_pairs_and_follow_split_pickups() -> None:
    problem, matrices, ascent = _climbing_fleet_day()
    m = matrices["all"]
    cut = m.distance_m.copy()
    cut[1, 2] = UNREACHABLE
    matrices = {"all": TravelMatrix(ids=m.ids, distance_m=cut, duration_s=m.duration_s)}
    costing = road_costing(problem, matrices, fleet_cost_model(), ascent_m={"all": ascent})
    for vt in problem.vehicle_types:
        charge = costing.energy_charge(vt, problem.hubs[0].id)
        engine = costing.engine_metres("all", problem.hubs[0].id, charge.weights)
        assert engine[1, 2] == UNREACHABLE
        assert (engine[cut < UNREACHABLE] < UNREACHABLE).all()
    # A split pickup's parts stand where it stands: same climbs from the hub.
    part = f"{m.ids[1]}#2"
    ids = (*m.ids, part)
    grown = {
        "all": TravelMatrix(
            ids=ids,
            distance_m=np.zeros((len(ids),) * 2, dtype=np.int64),
            duration_s=np.zeros((len(ids),) * 2, dtype=np.int64),
        )
    }
    again = costing.reindexed(grown)
    assert again.ascent_m["all"][0, len(ids) - 1] == ascent[0, 1]
    assert again.ascent_m["all"][len(ids) - 1, 0] == ascent[1, 0]
