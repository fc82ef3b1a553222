"""Reading three-tier scenarios; bad stations and feeders named with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.errors import InputError
from routing.io import plan_from_json, plan_to_json
from routing.model import Plan, Summary
from routing.tiers.io import read_tier_scenario, tier_problem
from tests.routing.tiers.cases import far_cluster

ROOT = Path(__file__).resolve().parents[3]
XINPING = ROOT / "fixtures" / "xinping" / "scenario_tiers.toml"


def test_the_xinping_three_tier_scenario_reads() -> None:
    sc = read_tier_scenario(XINPING)
    tp = sc.tiers
    assert len(tp.stations) == 10
    assert {s.township for s in tp.stations} >= {"Mosha", "Laochang", "Pingdian"}
    assert len(tp.feeders) == 10
    assert all(f.like == "van" and f.vehicle.name.endswith(f"@{f.station_id}") for f in tp.feeders)
    assert tp.hours_of("van").max_continuous_drive_min == 240
    assert len(tp.problem.pickups) == 98


def test_bad_stations_and_feeders_are_all_named() -> None:
    problem = far_cluster().problem
    with pytest.raises(InputError) as err:
        tier_problem(
            problem,
            [
                {"id": "S1", "lon": 102.5, "lat": 24.0, "open": "18:00", "close": "06:00"},
                {"id": "S2", "lon": 502.5, "lat": 24.0},
            ],
            [{"name": "fv", "stations": ["S9"], "capacity_parcels": 10, "capacity_kg": 100}],
            {"lorry": {"max_drive_day_min": 480}},
            source="day.toml",
        )
    text = str(err.value)
    assert "station 'S1'" in text
    assert "close must be after open" in text
    assert "station 'S2'" in text
    assert "lon" in text
    with pytest.raises(InputError) as err:
        tier_problem(
            problem,
            [{"id": "S1", "lon": 102.5, "lat": 24.0}],
            [
                {"name": "fv", "stations": ["S9"], "capacity_parcels": 10, "capacity_kg": 100},
                {"name": "fw", "stations": "S1", "capacity_parcels": 10, "capacity_kg": 100},
            ],
            {"lorry": {"max_drive_day_min": 480}},
            source="day.toml",
        )
    text = str(err.value)
    assert "unknown station 'S9'" in text
    assert "feeder 'fw'" in text
    assert "stations" in text
    assert "driver_hours" in text
    assert "lorry" in text


def test_old_plans_without_tiers_still_load() -> None:
    summary = Summary(
        total_cost_rmb=0,
        cost_per_parcel_rmb=None,
        parcels=0,
        weight_kg=0,
        distance_km=0,
        duration_h=0,
        runs=0,
        vehicles=0,
        unassigned=0,
        pickups=0,
    )
    old = Plan(summary=summary, runs=(), unassigned=()).model_dump(mode="json")
    for key in ("stations", "transfers"):
        old.pop(key)
    import json

    plan = plan_from_json(json.dumps(old))
    assert plan.transfers == ()
    assert plan.stations == ()
    assert plan_from_json(plan_to_json(plan)) == plan
