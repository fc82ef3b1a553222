"""On OSM roads the engines minimise what the plan is priced: class factors and climbs.

:func:`routing.roads.flow.day_costing` and its use by :func:`routing.pipeline.plan_day`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.cost_model import CostModel, VehicleRates, read_cost_model
from routing.io import make_problem, read_fleet, read_pickups
from routing.model import Hub, PickupPoint, Problem, VehicleType
from routing.network import ROAD_CLASSES, RoadNetwork
from routing.pipeline import SolveOptions, plan_day
from routing.roads import read_roads
from routing.roads.elevation import write_hgt
from routing.roads.flow import day_costing, prepare_day
from routing.units import UNREACHABLE
from tests.routing.roads.helpers import ANDORRA_PBF, SHARED_OSM, vehicle

ROOT = Path(__file__).resolve().parents[3]
ANDORRA_HUB = Hub(id="hub", lon=1.521247, lat=42.506939)
LAT = 45.001
WEST, VILLAGE, EAST = 10.0, 10.02, 10.035
"""Hub ``west``, the pickup, hub ``east``: the pickup is 1.57 km from ``west`` and
1.18 km from ``east`` along one straight road."""


def _andorra_day() -> tuple[Problem, RoadNetwork]:
    network = read_roads(ANDORRA_PBF, elevation=SHARED_OSM, profile="europe")
    problem = make_problem(
        hubs=[ANDORRA_HUB],
        pickups=read_pickups(ROOT / "fixtures/andorra/pickups.csv"),
        fleet=read_fleet(ROOT / "fixtures/andorra/fleet.toml"),
    )
    return problem, network


@pytest.mark.slow
def test_objective_is_the_priced_total_on_andorra_climbs_and_road_classes_included() -> None:
    """The hub's cost model (county 1.1, village 1.3, track 1.5) and the fleet's
    climbing rates: what the engines minimised is what the plan costs."""
    problem, network = _andorra_day()
    model = read_cost_model(ROOT / "fixtures/costs/xinping.toml")
    assert all(v.rmb_per_100m_ascent > 0 for v in problem.vehicle_types)
    options = SolveOptions(iterations=20, time_limit_s=60, cost_model=model, baselines=False)
    plan = plan_day(problem, network=network, options=options)
    s = plan.summary
    assert plan.runs
    assert s.objective_rmb is not None
    assert s.objective_rmb == pytest.approx(s.total_cost_rmb, rel=0.005)
    # What the test is about is material: climbs, and km off the factor-1 roads.
    climb = sum(r.climb_cost_rmb for r in plan.runs)
    assert climb > 0.02 * s.total_cost_rmb
    rates = {"van": 1.2, "truck_12t": 2.8}
    factors = [r.distance_cost_rmb / (rates[r.vehicle_type] * r.distance / 1000) for r in plan.runs]
    assert max(factors) > 1.05
    assert all(1.0 <= f <= 1.5 + 1e-6 for f in factors)


@pytest.mark.slow
def test_class_weighted_metres_follow_each_vehicles_own_fastest_paths() -> None:
    """With all factors 1 the charged metres are each profile's matrix metres (the
    truck's roads differ from the vans'), and the climbs ride along the same paths."""
    problem, network = _andorra_day()
    day = prepare_day(problem, network, max_snap_m=2000)
    costing = day_costing(problem, day, CostModel(road_class_factor={}))
    for vt in problem.vehicle_types:
        m = day.profiles[vt.profile].matrix
        charged = costing.charged(vt.profile, "hub")
        reach = m.distance_m < UNREACHABLE
        assert np.abs(charged[reach] - m.distance_m[reach]).max() <= 1
        charge = costing.energy_charge(vt, "hub")
        assert charge.unit_cost == round(vt.rmb_per_km * 100)
        # Engine metres x unit cost = energy on the km + energy for the climbs.
        engine = costing.engine_metres(vt.profile, "hub", charge.weights)
        want = vt.rmb_per_km / 1000 * m.distance_m + vt.rmb_per_100m_ascent / 100 * (
            day.profiles[vt.profile].ascent_m
        )
        got = charge.unit_cost * engine / 100_000
        assert np.abs(got - want)[reach].max() <= charge.unit_cost / 100_000
    van, truck = (day.profiles[v.profile].matrix for v in problem.vehicle_types)
    assert not np.array_equal(van.distance_m, truck.distance_m)


def _two_hub_roads(folder: Path, east_highway: str) -> Path:
    """One straight road west hub - village - east hub; its east half is ``east_highway``."""
    nodes = [(1, WEST), (2, VILLAGE), (3, EAST)]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="hand-written">',
        *[f'  <node id="{i}" lat="{LAT}" lon="{lon}"/>' for i, lon in nodes],
        '  <way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="secondary"/></way>',
        f'  <way id="2"><nd ref="2"/><nd ref="3"/><tag k="highway" v="{east_highway}"/></way>',
        "</osm>",
    ]
    path = folder / "two_hubs.osm"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _ridge_tile(folder: Path) -> Path:
    """N45E010, flat but for a 50 m ridge across the road between village and east hub."""
    col = np.arange(1201)
    lon = 10.0 + col / 1200
    height = np.clip(50 - np.abs(lon - 10.0275) * 50 / 0.004, 0, None)
    write_hgt(folder / "N45E010.hgt", np.tile(np.rint(height), (1201, 1)))
    return folder


def _two_hub_day(van: VehicleType) -> Problem:
    return make_problem(
        hubs=[Hub(id="west", lon=WEST, lat=LAT), Hub(id="east", lon=EAST, lat=LAT)],
        pickups=[PickupPoint(id="V1", village="v", lon=VILLAGE, lat=LAT, parcels=5)],
        fleet=[
            van.model_copy(update={"name": "van_west", "hub_id": "west"}),
            van.model_copy(update={"name": "van_east", "hub_id": "east"}),
        ],
    )


def _hub_model(track_factor: float) -> CostModel:
    """Energy only: no hours, so time on the grade decides nothing."""
    energy = VehicleRates(energy_rmb_per_km=1.2, driver_rmb_per_hour=0.0)
    return CostModel(
        driver_rmb_per_hour=0.0,
        road_class_factor={"track": track_factor, "village": 1.3},
        vehicles={"van_west": energy, "van_east": energy},
    )


@pytest.mark.parametrize(
    ("penalty", "served_from"), [(True, "west"), (False, "east")], ids=["dear", "cheap"]
)
def test_engines_take_the_longer_road_when_the_track_costs_more(
    tmp_path: Path, penalty: bool, served_from: str
) -> None:
    """The east hub is nearer, over a track; with the hub's track factor at 3 the
    engines send the west hub's van along the longer secondary road instead."""
    network = read_roads(_two_hub_roads(tmp_path, "track"), profile="europe")
    problem = _two_hub_day(vehicle(rmb_per_km=1.2, rmb_per_hour=0.0))
    model = _hub_model(3.0 if penalty else 1.0)
    assert model.class_factors()[ROAD_CLASSES.index("track")] == (3.0 if penalty else 1.0)
    options = SolveOptions(iterations=5, cost_model=model, baselines=False)
    plan = plan_day(problem, network=network, options=options)
    (run,) = plan.runs
    assert run.hub_id == served_from
    assert plan.summary.objective_rmb == pytest.approx(plan.summary.total_cost_rmb, rel=0.005)


@pytest.mark.parametrize(
    ("rmb_per_100m_ascent", "served_from"), [(20.0, "west"), (0.0, "east")], ids=["dear", "free"]
)
def test_engines_take_the_flat_road_when_climbing_costs(
    tmp_path: Path, rmb_per_100m_ascent: float, served_from: str
) -> None:
    """The east hub is nearer, over a 50 m ridge (100 m climbed there and back); when
    climbing costs 20 RMB per 100 m the engines send the west hub's van on the flat."""
    network = read_roads(
        _two_hub_roads(tmp_path, "secondary"), profile="europe", elevation=_ridge_tile(tmp_path)
    )
    van = vehicle(rmb_per_km=1.2, rmb_per_hour=0.0, rmb_per_100m_ascent=rmb_per_100m_ascent)
    problem = _two_hub_day(van)
    options = SolveOptions(iterations=5, cost_model=_hub_model(1.5), baselines=False)
    plan = plan_day(problem, network=network, options=options)
    (run,) = plan.runs
    assert run.hub_id == served_from
    if served_from == "east":
        assert run.ascent_m == pytest.approx(100, abs=5)
    assert plan.summary.objective_rmb == pytest.approx(plan.summary.total_cost_rmb, rel=0.005)
