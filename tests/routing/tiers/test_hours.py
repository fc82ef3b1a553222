"""Rests on the road and the engine's legal vehicle types."""

from __future__ import annotations

from routing.model import VehicleType
from routing.tiers.hours import legal_day_s, legal_type, schedule
from routing.tiers.model import DriverHours

H = 3600


def test_a_rest_is_taken_after_four_hours_of_driving() -> None:
    tl = schedule(6 * H, [5 * H], [], DriverHours())
    assert tl.rests == (10 * H,)
    assert tl.end == 11 * H + 20 * 60
    assert tl.drive_s == 5 * H


def test_a_long_stop_counts_as_rest_and_a_short_one_does_not() -> None:
    long_stop = schedule(0, [3 * H, 2 * H], [(0, 30 * 60)], DriverHours())
    assert long_stop.rests == ()
    short_stop = schedule(0, [3 * H, 2 * H], [(0, 10 * 60)], DriverHours())
    assert short_stop.rests == (3 * H + 10 * 60 + H,)
    assert short_stop.end == 5 * H + 10 * 60 + 20 * 60


def test_waiting_for_a_window_is_kept() -> None:
    tl = schedule(0, [H, H], [(3 * H, 600)], DriverHours())
    assert tl.arrivals == (H,)
    assert tl.begins == (3 * H,)
    assert tl.end == 3 * H + 600 + H


def test_legal_type_stretches_travel_and_caps_the_day() -> None:
    vt = VehicleType(
        name="van",
        capacity_parcels=10,
        capacity_kg=100,
        shift_start_s="04:00",
        shift_end_s="23:00",
    )
    hours = DriverHours()
    legal = legal_type(vt, hours)
    assert legal.speed_factor < vt.speed_factor
    assert abs(vt.speed_factor / legal.speed_factor - 260 / 240) < 1e-9
    assert legal.shift_end_s - legal.shift_start_s == legal_day_s(hours)
    assert legal_day_s(hours) <= hours.max_duty_day_min * 60
