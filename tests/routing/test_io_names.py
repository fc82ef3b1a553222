"""Files name clock times as the API does (``shift_start``, ``driver_break.earliest``),
and their errors use those names, nested fields included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from routing.errors import InputError
from routing.io import read_fleet, read_pickups

VAN = 'name = "van"\ncapacity_parcels = 10\ncapacity_kg = 100\n'


def _problems(read: Callable[[Path], object], path: Path) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as info:
        read(path)
    return [(p.field, p.message) for p in info.value.problems]


def test_fleet_times_read_and_reported_by_file_names(tmp_path: Path) -> None:
    """``shift_start``/``driver_break.earliest`` are read; their errors name them so."""
    good = tmp_path / "good.toml"
    good.write_text(
        f'[[vehicle_type]]\n{VAN}shift_start = "06:30"\nshift_end = "17:00"\n'
        'driver_break = { earliest = "11:30", latest = "13:00", duration_min = 30 }\n'
    )
    [van] = read_fleet(good)
    assert (van.shift_start_s, van.shift_end_s) == (6 * 3600 + 1800, 17 * 3600)
    assert van.driver_break is not None
    assert van.driver_break.earliest_s == 11 * 3600 + 1800
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[[vehicle_type]]\n{VAN}driver_break = {{ earliest = "noon", latest = "13:00", '
        "duration_min = 30 }\n"
        f'[[vehicle_type]]\n{VAN.replace("van", "truck")}shift_start = "18:00"\n'
        'shift_end = "07:00"\n'
    )
    found = _problems(read_fleet, bad)
    assert found[0][0] == "driver_break.earliest"
    assert found[1][1] == "shift_end must be after shift_start"


def test_pickup_window_reported_by_file_names(tmp_path: Path) -> None:
    """A window closing before it opens speaks of ``close`` and ``ready``, as the columns."""
    csv = tmp_path / "pickups.csv"
    csv.write_text("id,village,lon,lat,ready,close\nP1,Gasa,101.8,24.0,10:00,09:00\n")
    [(_, message)] = _problems(read_pickups, csv)
    assert message.startswith("close 09:00 is before ready 10:00")


def test_pickups_need_only_id_lon_lat(tmp_path: Path) -> None:
    """As the README's table says (and the API does), a pickup without a village is
    named after its id."""
    csv = tmp_path / "pickups.csv"
    csv.write_text("id,lon,lat,ready\nP1,101.8,24.0,08:30\n")
    [pickup] = read_pickups(csv)
    assert (pickup.village, pickup.ready_s) == ("P1", 8 * 3600 + 1800)
