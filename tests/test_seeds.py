"""The source facts in seeds/xinping.toml parse and agree with each other."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def seeds() -> dict:
    with open(SEEDS / "xinping.toml", "rb") as fh:
        return tomllib.load(fh)


def test_seeds_is_data_not_a_package() -> None:
    """seeds/ holds TOML and a README only; code reads it with tomllib."""
    assert not (SEEDS / "__init__.py").exists()
    assert (SEEDS / "README.md").is_file()


def test_season_days_match_the_calendar(seeds: dict) -> None:
    """1 Feb to 30 Apr inclusive in a non-leap year is the stated number of days."""
    s = seeds["season"]
    start = dt.date.fromisoformat(f"2021-{s['season_start']}")
    end = dt.date.fromisoformat(f"2021-{s['season_end']}")
    assert (end - start).days + 1 == s["season_days"] == 89


def test_daily_tonnage_times_days_is_the_season_total(seeds: dict) -> None:
    """About 20 t a day over the season adds up to the 1,800 t shipped."""
    s = seeds["season"]
    total = s["navel_orange_t_per_day"] * s["season_days"]
    assert total == pytest.approx(s["navel_orange_season_t"], rel=0.01)


def test_calibration_targets_and_average_speed(seeds: dict) -> None:
    """130 km in 8 h is about 16 km/h; tolerances are positive and modest."""
    c = seeds["calibration"]
    assert c["farthest_community_road_km"] == 130
    assert c["farthest_community_drive_h"] == 8
    assert c["farthest_community_road_km"] / c["farthest_community_drive_h"] == pytest.approx(
        c["farthest_community_avg_kph"]
    )
    assert 0 < c["road_km_tolerance_pct"] <= 20
    assert 0 < c["drive_h_tolerance_h"] < c["farthest_community_drive_h"]


def test_demand_and_station_figures(seeds: dict) -> None:
    """Livestream rate, station throughput and the per-parcel saving are consistent."""
    d = seeds["demand"]
    assert d["livestream_sale_kg"] / d["livestream_duration_h"] == d["livestream_kg_per_h"]
    st = seeds["stations"]
    assert 0 < st["station_items_per_day_min"] <= st["station_items_per_day_max"] == 90
    assert st["home_delivery_radius_km"] == 3
    assert st["stations_count_2017"] == 30_000
    assert st["stations_provinces_2017"] == 29
    assert seeds["costs"]["saving_per_parcel_rmb"] == pytest.approx(0.3)
    assert seeds["network"]["smart_logistics_centres_min"] >= 20


def test_fruit_townships_are_real_townships(seeds: dict) -> None:
    """The fruit townships are named as in the county's township list."""
    assert set(seeds["xinping"]["fruit_townships"]) == {"Gasa", "Mosha"}
    assert seeds["xinping"]["village_committees"] == 123
