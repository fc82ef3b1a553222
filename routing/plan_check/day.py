"""What the plan check reads from the inputs: pickups, vehicle types, travel times.

Kept apart from the plan builder on purpose: the travel time of a leg is looked up
here from the travel matrix of the vehicle's own road profile and scaled by its speed
factor, so a wrong matrix or a wrong scaling in the builder shows up as a violation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from routing.matrix import TravelMatrix
from routing.model import PickupPoint, Problem, Run, VehicleType, Violation
from routing.units import UNREACHABLE

#: Seconds of rounding tolerated between a stated and a recomputed time, per leg.
SLACK_S = 2

#: Kilograms of rounding tolerated (stated loads are rounded to grams).
SLACK_KG = 1e-3


def base_id(stop_id: str) -> str:
    """The pickup a stop serves: a part of a split pickup is ``"<id>#<k>"``."""
    return stop_id.rsplit("#", 1)[0] if "#" in stop_id else stop_id


@dataclass(frozen=True)
class Leg:
    """Seconds and metres from one location to the next for one vehicle type."""

    duration_s: float
    distance_m: int
    reachable: bool


@dataclass
class Day:
    """The inputs a plan is checked against, indexed for look-ups."""

    problem: Problem
    matrices: Mapping[str, TravelMatrix] | None
    pickups: dict[str, PickupPoint] = field(init=False)
    types: dict[str, VehicleType] = field(init=False)
    found: list[Violation] = field(default_factory=list)
    _index: dict[str, dict[str, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.pickups = {p.id: p for p in self.problem.pickups}
        self.types = {v.name: v for v in self.problem.vehicle_types}
        self._index = {
            key: {loc: i for i, loc in enumerate(m.ids)} for key, m in (self.matrices or {}).items()
        }

    def bad(
        self,
        constraint: str,
        where: str,
        detail: str,
        *,
        run: Run | None = None,
        vehicle: str = "",
        stop: str = "",
    ) -> None:
        """Record one violation, naming the run (or vehicle) and stop concerned."""
        self.found.append(
            Violation(
                constraint=constraint,
                where=where,
                detail=detail,
                vehicle=run.vehicle if run is not None else vehicle,
                run=run.run if run is not None else 0,
                pickup_id=stop,
            )
        )

    def key_of(self, stop_id: str) -> str:
        """The pickup id a stop or unassigned entry stands for."""
        return stop_id if stop_id in self.pickups else base_id(stop_id)

    def pickup_of(self, stop_id: str) -> PickupPoint | None:
        """The pickup a stop serves (parts of a split pickup map to their pickup)."""
        return self.pickups.get(stop_id) or self.pickups.get(base_id(stop_id))

    def leg(self, vt: VehicleType, a: str, b: str) -> Leg | None:
        """The leg ``a`` -> ``b`` on the roads ``vt`` may use; None without matrices."""
        if self.matrices is None or vt.profile not in self.matrices:
            return None
        m = self.matrices[vt.profile]
        index = self._index[vt.profile]
        i = index[a] if a in index else index.get(base_id(a))
        j = index[b] if b in index else index.get(base_id(b))
        if i is None or j is None:
            return Leg(0.0, 0, False)
        seconds = int(m.duration_s[i, j])
        if seconds >= UNREACHABLE:
            return Leg(float(UNREACHABLE), 0, False)
        return Leg(seconds / vt.speed_factor, int(m.distance_m[i, j]), True)
