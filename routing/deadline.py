"""The whole command's time limit, and the solver's share of it.

``--time-limit S`` bounds the whole plan: snapping and matrices, solving, assembling
the runs with their road geometry, pricing, baselines and writing the outputs. The
steps before solving are measured as they happen; the steps after it are estimated
from the day's size before the solver starts (:func:`after_solve_s`), and the solver
gets what is left.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Final

#: Seconds the steps after solving take per pickup, measured on the Xinping days
#: scaled to 100-5,000 pickups on a loaded 2-core machine (benchmarks/domain_bench.py),
#: with head-room: runs with road geometry, costs, baselines, plan files.
AFTER_SOLVE_S_PER_PICKUP: Final[float] = 0.002

#: Fixed part of the steps after solving (process pools closing, file writes).
AFTER_SOLVE_BASE_S: Final[float] = 0.5

#: The solver always gets at least this much, even when the estimate says no time is
#: left (a plan late by a little beats no plan).
MIN_SOLVE_S: Final[float] = 0.2


def process_started() -> float:
    """When this process started, on the ``time.monotonic()`` clock (now if unknown).

    Linux gives the start in clock ticks since boot (``/proc/self/stat`` field 22);
    ``CLOCK_BOOTTIME`` counts from boot too.
    """
    now = time.monotonic()
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        started_since_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - started_since_boot
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - min(max(age, 0.0), 60.0)


#: Estimates are measured on a machine whose load average is about its core count;
#: under more load every Python step slows down, up to this factor.
MAX_LOAD_FACTOR: Final[float] = 2.0


def load_factor() -> float:
    """How much slower than measured the steps around the solver will likely run.

    The square root of the load average per core, from 1 to :data:`MAX_LOAD_FACTOR`:
    at twice as many runnable processes as cores a step took about 1.5 times as long.
    """
    try:
        per_core = os.getloadavg()[0] / max(1, os.cpu_count() or 1)
    except OSError:
        return 1.0
    return min(MAX_LOAD_FACTOR, max(1.0, math.sqrt(per_core)))


def after_solve_s(num_pickups: int, *, per_pickup_s: float = AFTER_SOLVE_S_PER_PICKUP) -> float:
    """Estimated seconds from the solver's answer to the finished plan."""
    return (AFTER_SOLVE_BASE_S + per_pickup_s * num_pickups) * load_factor()


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock by which the plan must be finished.

    Parameters
    ----------
    end
        ``time.monotonic()`` at which the whole command must be done.
    reserve_s
        Seconds the caller needs after planning (e.g. writing a report).
    """

    end: float
    reserve_s: float = 0.0

    @classmethod
    def after(cls, seconds: float, *, reserve_s: float = 0.0) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds, reserve_s)

    @classmethod
    def since_process_start(cls, seconds: float, *, reserve_s: float = 0.0) -> Deadline:
        """The deadline ``seconds`` after this process started (a command's imports and
        start-up count against its time limit too)."""
        return cls(process_started() + seconds, reserve_s)

    def remaining_s(self) -> float:
        """Seconds left for planning (the caller's reserve already taken off)."""
        return self.end - self.reserve_s - time.monotonic()

    def solver_s(
        self, num_pickups: int, *, per_pickup_s: float = AFTER_SOLVE_S_PER_PICKUP
    ) -> float:
        """The solver's budget: what is left minus the estimate for the steps after it."""
        left = self.remaining_s() - after_solve_s(num_pickups, per_pickup_s=per_pickup_s)
        return max(MIN_SOLVE_S, left)


#: Seconds to write plan.json, routes.geojson and runs.csv, per pickup, and for the
#: HTML report and map per pickup (measured like :data:`AFTER_SOLVE_S_PER_PICKUP`).
WRITE_S_PER_PICKUP: Final[float] = 0.0005
REPORT_S_PER_PICKUP: Final[float] = 0.001
REPORT_BASE_S: Final[float] = 3.0


def report_s(problem: object, report: bool) -> float:
    """Seconds the CLI needs after planning: the output files and, if asked, the report."""
    pickups = len(getattr(problem, "pickups", ()))
    out = 0.1 + WRITE_S_PER_PICKUP * pickups
    if report:
        out += REPORT_BASE_S + REPORT_S_PER_PICKUP * pickups
    return out * load_factor()


def preload(*modules: str) -> None:
    """Import ``modules`` in a background thread (e.g. the report's plotting library
    while the solver runs), so that the steps after solving do not wait for them."""
    import importlib
    import threading

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                return

    threading.Thread(target=run, name="preload", daemon=True).start()
