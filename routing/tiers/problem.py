"""A three-tier day: the one-tier problem plus stations, feeders and driving rules."""

from __future__ import annotations

from collections import Counter
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from routing.errors import Problem as InputProblem
from routing.model import Problem, VehicleType
from routing.tiers.model import DriverHours, Station


class Feeder(BaseModel):
    """A vehicle type based at a station (its ``vehicle.name`` is unique in the day)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    station_id: str
    vehicle: VehicleType
    like: str | None = Field(
        None,
        description="Hub vehicle type whose road access it shares: it may serve pickups "
        "that allow that type (narrow village roads).",
    )


class TierProblem(BaseModel):
    """Pickups, the hub fleet, stations with their feeders, and driving rules per type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    problem: Problem
    stations: tuple[Station, ...] = ()
    feeders: tuple[Feeder, ...] = ()
    hours: dict[str, DriverHours] = Field(
        default_factory=dict, description="Per vehicle type name; '*' for the default."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        bad: list[InputProblem] = []
        station_ids = [s.id for s in self.stations]
        hub_ids = {h.id for h in self.problem.hubs}
        pickup_ids = {p.id for p in self.problem.pickups}
        for sid, n in Counter(station_ids).items():
            if n > 1:
                bad.append(InputProblem(f"station {sid!r}", "id", f"appears {n} times"))
            if sid in hub_ids or sid in pickup_ids:
                bad.append(
                    InputProblem(f"station {sid!r}", "id", "is also a hub or pickup id; rename it")
                )
        hub_types = {v.name for v in self.problem.vehicle_types}
        feeder_names = [f.vehicle.name for f in self.feeders]
        for name, n in Counter(feeder_names).items():
            if n > 1 or name in hub_types:
                bad.append(InputProblem(f"feeder {name!r}", "name", "is not unique; rename it"))
        for f in self.feeders:
            if f.station_id not in station_ids:
                bad.append(
                    InputProblem(
                        f"feeder {f.vehicle.name!r}",
                        "station",
                        f"unknown station {f.station_id!r}; use one of {sorted(station_ids)}",
                    )
                )
            if f.like is not None and f.like not in hub_types:
                bad.append(
                    InputProblem(
                        f"feeder {f.vehicle.name!r}",
                        "like",
                        f"unknown vehicle type {f.like!r}; use one of {sorted(hub_types)}",
                    )
                )
        known = hub_types | set(feeder_names) | {n.split("@")[0] for n in feeder_names} | {"*"}
        for name in self.hours:
            if name not in known:
                bad.append(
                    InputProblem(
                        "driver_hours", name, f"unknown vehicle type; use '*' or {sorted(known)}"
                    )
                )
        if bad:
            raise ValueError("; ".join(str(p) for p in bad))
        return self

    def hours_of(self, vehicle_type: str) -> DriverHours:
        """Driving rules of a vehicle type: its own, its feeder family's (the name
        before ``@``), else the default."""
        return (
            self.hours.get(vehicle_type)
            or self.hours.get(vehicle_type.split("@")[0])
            or self.hours.get("*")
            or DriverHours()
        )

    def station(self, station_id: str) -> Station:
        """The station with this id."""
        return next(s for s in self.stations if s.id == station_id)

    def feeders_at(self, station_id: str) -> list[Feeder]:
        """Feeder types based at a station."""
        return [f for f in self.feeders if f.station_id == station_id]

    def vehicle_type(self, name: str) -> VehicleType:
        """A hub or feeder vehicle type by name."""
        for vt in self.problem.vehicle_types:
            if vt.name == name:
                return vt
        return next(f.vehicle for f in self.feeders if f.vehicle.name == name)
