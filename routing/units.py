"""Units and scale factors used at the solver boundary.

The domain model speaks metres, seconds, kilograms and RMB. The solvers (OR-Tools and
PyVRP) only accept integers: OR-Tools silently returns a zero objective when a
callback returns floats. Everything crosses that boundary through the helpers here,
so the scale of each integer is written down once.
"""

from __future__ import annotations

import math
import re

#: Integer cost units per RMB at the solver boundary. 1e-5 RMB resolution keeps a
#: per-metre cost such as RMB 2.35/km exact (235 units per metre) and still leaves
#: int64 head-room for a whole county's day (1e13 units = RMB 1e8).
COST_UNITS_PER_RMB = 100_000

#: Weight enters capacity dimensions in grams so that fractional kilograms survive.
GRAMS_PER_KG = 1_000

#: A travel time or distance that stands for "no path": large enough that no solver
#: ever chooses it, small enough that sums of a few hundred never overflow int64.
UNREACHABLE = 10**12

SECONDS_PER_DAY = 86_400

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def rmb_to_units(rmb: float) -> int:
    """Convert RMB to integer solver cost units (rounded to nearest)."""
    return round(rmb * COST_UNITS_PER_RMB)


def units_to_rmb(units: int | float) -> float:
    """Convert solver cost units back to RMB (not rounded: round once, at output)."""
    return float(units) / COST_UNITS_PER_RMB


def kg_to_grams(kg: float) -> int:
    """Convert kilograms to whole grams, rounding up so capacity is never understated."""
    return math.ceil(round(kg * GRAMS_PER_KG, 6))


def parse_clock(value: str | int | float) -> int:
    """Parse ``"HH:MM"``/``"HH:MM:SS"`` or a number of seconds since midnight.

    Raises
    ------
    ValueError
        If the text is not a clock time or lies outside 00:00-48:00 (a second day is
        allowed so that runs may end after midnight).
    """
    if isinstance(value, bool):
        raise ValueError("expected a clock time such as '07:30', got a boolean")
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        match = _CLOCK.match(value.strip())
        if match is None:
            raise ValueError(f"expected a clock time such as '07:30', got {value!r}")
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        if minutes >= 60 or secs >= 60:
            raise ValueError(f"minutes and seconds must be below 60 in {value!r}")
        seconds = hours * 3600 + minutes * 60 + secs
    if not 0 <= seconds <= 2 * SECONDS_PER_DAY:
        raise ValueError(f"clock time {value!r} is outside 00:00-48:00")
    return seconds


def format_clock(seconds: int | float) -> str:
    """Format seconds since midnight as ``HH:MM`` (hours may pass 24 for a late run)."""
    total = round(seconds)
    return f"{total // 3600:02d}:{(total % 3600) // 60:02d}"
