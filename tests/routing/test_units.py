"""Units at the solver boundary."""

from __future__ import annotations

import pytest

from routing.units import format_clock, kg_to_grams, parse_clock, rmb_to_units, units_to_rmb


def test_clock_round_trip() -> None:
    assert parse_clock("07:05") == 7 * 3600 + 300
    assert parse_clock("7:05:30") == 7 * 3600 + 330
    assert format_clock(parse_clock("23:59")) == "23:59"
    assert format_clock(26 * 3600) == "26:00"


@pytest.mark.parametrize("text", ["7h", "12:60", "-1:00", "49:00", ""])
def test_bad_clock_times_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"clock time|below 60|outside"):
        parse_clock(text)


def test_money_and_weight_become_exact_integers() -> None:
    assert rmb_to_units(2.35) == 235_000
    assert units_to_rmb(235_000) == pytest.approx(2.35)
    assert kg_to_grams(1.2345) == 1235  # rounded up: capacity never understated
    assert kg_to_grams(0.1 + 0.2) == 300
