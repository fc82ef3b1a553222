"""Tests for routing.cost_model: reading a cost file and resolving a vehicle's rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.cost_model import read_cost_model
from routing.errors import InputError
from routing.model import VehicleType

COST_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "costs" / "xinping.toml"


def test_cost_file_reads_and_resolves_rates() -> None:
    model = read_cost_model(COST_FILE)
    van = VehicleType(name="van", capacity_parcels=120, capacity_kg=1500, rmb_per_hour=99)
    rates = model.for_hub("xinping-hub").rates_for(van)
    assert rates.rmb_per_hour == 35.0  # the hub's driver, not the fleet's 99
    assert rates.rmb_per_km == 1.2
    four = VehicleType(name="pickup_4wd", capacity_parcels=40, capacity_kg=600)
    assert model.rates_for(four).rmb_per_hour == 70.0
    assert model.road_class_factor["track"] == 1.5


def test_cost_file_errors_name_every_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("handling_rmb_per_parcel = -1\nspeed = 3\n[road_class_factor]\nmud = 2\n")
    with pytest.raises(InputError) as err:
        read_cost_model(bad)
    text = str(err.value)
    assert "handling_rmb_per_parcel" in text
    assert "speed" in text
