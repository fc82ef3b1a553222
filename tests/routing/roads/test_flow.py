"""Planning on OSM roads end to end, and asymmetric matrices in both engines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from routing.cli import app
from routing.io import make_problem, read_fleet, read_pickups
from routing.matrix import TravelMatrix
from routing.model import Hub, PickupPoint
from routing.pipeline import SolveOptions, plan_day, plan_with_matrices
from routing.roads import read_roads
from routing.roads.flow import prepare_day
from routing.roads.graph import edges_of
from tests.routing.roads.helpers import ANDORRA_PBF, DATA, DETOUR_M, SHARED_OSM, vehicle

ROOT = Path(__file__).resolve().parents[3]
ANDORRA_HUB = (1.521247, 42.506939)


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_asymmetric_durations_reach_the_engine(engine: str) -> None:
    """Going round one way takes half as long: each engine must drive it that way.

    hub -> A -> B -> hub takes 3 x 10 min, the reverse 3 x 20 min (each matrix is a
    shortest-path one: no leg is longer than a detour through the third place). A
    closes at 07:15, which only the short direction reaches in time.
    """
    ids = ("hub", "A", "B")
    short, long_ = 600, 1200
    duration = np.array([[0, short, long_], [long_, 0, short], [short, long_, 0]])
    matrix = TravelMatrix(ids=ids, distance_m=duration * 10, duration_s=duration)
    problem = make_problem(
        hubs=[Hub(id="hub", lon=10.0, lat=45.0, open_s="07:00")],
        pickups=[
            PickupPoint(
                id="A",
                village="a",
                lon=10.01,
                lat=45.0,
                parcels=1,
                service_min=0,
                close_s="07:15",
            ),
            PickupPoint(id="B", village="b", lon=10.0, lat=45.01, parcels=1, service_min=0),
        ],
        fleet=[vehicle("van", rmb_per_km=1.0, shift_start_s="07:00")],
    )
    options = SolveOptions(engines=(engine,), time_limit_s=2, baselines=False)
    plan = plan_with_matrices(problem, {"all": matrix}, options=options)
    (run,) = plan.runs
    assert [s.pickup_id for s in run.stops] == ["A", "B"]
    assert run.duration == 3 * short
    assert plan.summary.unassigned == 0
    assert engine in plan.summary.solver


def test_truck_never_crosses_the_weight_limited_bridge() -> None:
    """The planned run of a 12-t truck follows the detour, drawn along it."""
    truck = vehicle("truck", weight_t=12.0)
    problem = make_problem(
        hubs=[Hub(id="hub", lon=10.0, lat=45.0)],
        pickups=[PickupPoint(id="V1", village="v", lon=10.01, lat=45.0, parcels=3)],
        fleet=[truck],
    )
    network = read_roads(DATA / "maxweight.osm")
    plan = plan_day(problem, network=network, options=SolveOptions(iterations=5))
    (run,) = plan.runs
    assert run.distance == pytest.approx(2 * DETOUR_M, rel=0.01)
    bridge_vertex = (10.005, 45.0)
    assert all(abs(x - bridge_vertex[0]) > 1e-6 or abs(y - 45.0) > 1e-6 for x, y in run.path)
    assert max(y for _, y in run.path) == pytest.approx(45.01, abs=1e-6)
    assert run.stops[0].snap_distance_m == 0.0


@pytest.mark.slow
def test_hubroute_plan_on_andorra_end_to_end(tmp_path: Path) -> None:
    """The issue's command: real roads, limits honoured, climbs stated for each run."""
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "--network",
            str(ANDORRA_PBF),
            "--elevation",
            str(SHARED_OSM),
            "--pickups",
            str(ROOT / "fixtures/andorra/pickups.csv"),
            "--fleet",
            str(ROOT / "fixtures/andorra/fleet.toml"),
            "--hub",
            f"{ANDORRA_HUB[0]},{ANDORRA_HUB[1]}",
            "--time-limit",
            "20",
            "--iterations",
            "20",
            "--out",
            str(out),
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["runs"]
    network = read_roads(ANDORRA_PBF)
    edges = edges_of(network)
    closed = edges.max_weight_t < 12.0  # the truck's weight
    forbidden = {
        (round(x, 6), round(y, 6)) for g in edges.geometry[closed] for x, y in list(g.coords)[1:-1]
    }
    for run in plan["runs"]:
        assert len(run["path"]) > 10
        assert run["ascent_m"] > 0
        assert run["ascent_m"] == pytest.approx(run["descent_m"], abs=2)
        if run["vehicle_type"] == "truck_12t":
            assert not forbidden & {tuple(p) for p in run["path"]}
            assert run["climb_cost_rmb"] == pytest.approx(1.6 * run["ascent_m"] / 100, abs=0.01)
    served = sum(len(r["stops"]) for r in plan["runs"])
    assert served + plan["summary"]["unassigned"] == 57


@pytest.mark.slow
def test_loaded_truck_climbs_slower_than_it_descends_on_andorra() -> None:
    """For every pickup well above the hub, the truck's way up takes longer than down."""
    network = read_roads(ANDORRA_PBF, elevation=SHARED_OSM, profile="europe")
    fleet = read_fleet(ROOT / "fixtures/andorra/fleet.toml")
    problem = make_problem(
        hubs=[Hub(id="hub", lon=ANDORRA_HUB[0], lat=ANDORRA_HUB[1])],
        pickups=read_pickups(ROOT / "fixtures/andorra/pickups.csv"),
        fleet=fleet,
    )
    day = prepare_day(problem, network, max_snap_m=2000)
    truck = day.profiles[next(v for v in fleet if v.name == "truck_12t").profile]
    net_up = truck.ascent_m[0] - truck.descent_m[0]
    high = np.flatnonzero(net_up > 300)
    assert high.size >= 10
    up = truck.matrix.duration_s[0, high]
    down = truck.matrix.duration_s[high, 0]
    assert np.all(up > down)


def test_a_pickup_off_the_roads_is_named_with_a_fix(tmp_path: Path) -> None:
    """Bad input through the CLI: exit code 2 and the pickup named, never a traceback."""
    pickups = tmp_path / "pickups.csv"
    pickups.write_text("id,village,lon,lat,parcels,weight_kg\nFAR,far,10.5,45.5,1,1\n")
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[[vehicle_type]]\nname = "van"\ncapacity_parcels = 10\ncapacity_kg = 100\n')
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "--network",
            str(DATA / "plain.osm"),
            "--pickups",
            str(pickups),
            "--fleet",
            str(fleet),
            "--hub",
            "10.0,45.0",
            "--iterations",
            "3",
            "--out",
            str(tmp_path / "out"),
            "--no-report",
        ],
    )
    assert result.exit_code == 2
    assert "pickup 'FAR'" in result.output
    assert "km from the nearest road" in result.output


def test_the_same_command_on_another_regions_osm_file(tmp_path: Path) -> None:
    """Nothing Andorra-specific: a hand-written .osm XML file plans the same way."""
    pickups = tmp_path / "pickups.csv"
    pickups.write_text("id,village,lon,lat,parcels,weight_kg\nV1,village,10.01,45.0,3,30\n")
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[[vehicle_type]]\nname = "truck"\ncapacity_parcels = 10\ncapacity_kg = 900\n'
        "weight_t = 12.0\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "--network",
            str(DATA / "maxweight.osm"),
            "--pickups",
            str(pickups),
            "--fleet",
            str(fleet),
            "--hub",
            "10.0,45.0",
            "--iterations",
            "3",
            "--out",
            str(out),
            "--road-profile",
            "europe",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    (run,) = plan["runs"]
    assert run["distance"] == pytest.approx(2 * DETOUR_M, rel=0.01)
    assert run["ascent_m"] is None  # no elevation given
    assert (out / "report.html").is_file()
