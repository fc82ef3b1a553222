"""Stations, driver-hours rules, transfers and overnight stops (plain, frozen data).

Defaults for driving hours follow China's road traffic rules: the Implementing
Regulations of the Road Traffic Safety Law (art. 62 (7)) forbid driving more than
4 hours without a stop, and a stop shorter than 20 minutes does not count as rest.
The daily cap on driving (8 h) is the one the road passenger-transport safety rules
set for drivers in 24 hours; goods vehicles have no national figure, so it is a
planner's default, configurable per vehicle type.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from routing.units import parse_clock


def _clock(value: object) -> int:
    """A clock time from ``"HH:MM"`` or seconds; anything else is a clear error."""
    if (
        not isinstance(value, str | int | float)
        or value != value
        or value
        in (
            float("inf"),
            float("-inf"),
        )
    ):
        raise ValueError(f"expected a clock time such as '07:30', got {value!r}")
    return parse_clock(value)


_ClockS = Annotated[int, BeforeValidator(_clock), Field(ge=0, le=2 * 86_400)]
_Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s,;#]+$")]

TIERS = ("direct", "feeder", "trunk")
"""What a run does: a hub run collecting villages, a station-based run, a hub-station run."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Station(_Frozen):
    """A township station: feeders bring village produce here, trunk runs take it on."""

    id: _Id
    name: str = ""
    township: str = ""
    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-90.0, le=90.0)
    open_s: _ClockS = Field(parse_clock("06:00"), description="Opening time.")
    close_s: _ClockS = Field(parse_clock("20:00"), description="Closing time.")
    capacity_parcels: int = Field(400, ge=0, description="Parcels it can handle a day.")
    capacity_kg: float = Field(6000.0, ge=0, description="Kg it can handle a day.")
    handling_min: float = Field(
        20.0, ge=0, le=600, description="Minutes from the last feeder's arrival to ready."
    )
    handling_rmb_per_parcel: float = Field(0.3, ge=0, description="Sorting and re-loading.")
    trunk_service_min: float = Field(15.0, ge=0, le=600, description="Trunk loading minutes.")
    overnight: bool = Field(True, description="Vehicles and drivers may stay the night.")
    overnight_rmb: float = Field(150.0, ge=0, description="Bed, meals and parking per vehicle.")

    @model_validator(mode="after")
    def _hours(self) -> Self:
        if self.close_s <= self.open_s:
            raise ValueError("close must be after open; give e.g. open = '06:00', close = '20:00'")
        return self

    @property
    def location(self) -> tuple[float, float]:
        """``(lon, lat)``."""
        return (self.lon, self.lat)


class DriverHours(_Frozen):
    """Legal driving for one vehicle type (defaults: see the module docstring)."""

    max_continuous_drive_min: float = Field(240.0, gt=0, le=24 * 60)
    min_rest_min: float = Field(20.0, ge=0, le=24 * 60)
    max_drive_day_min: float = Field(480.0, gt=0, le=24 * 60)
    max_duty_day_min: float = Field(
        720.0, gt=0, le=24 * 60, description="Longest working day, leave to return."
    )

    @property
    def rest_factor(self) -> float:
        """Longest stretch plus its rest over the stretch: the bound on rest per drive."""
        return (self.max_continuous_drive_min + self.min_rest_min) / self.max_continuous_drive_min


class Transfer(_Frozen):
    """Produce handed from feeder runs to a trunk run at a station."""

    station_id: str
    parcels: int
    weight_kg: float
    delivery_parcels: int = Field(0, description="Outbound parcels dropped for the feeders.")
    from_runs: tuple[str, ...] = Field(description="Feeder runs as 'vehicle run n'.")
    to_run: str = Field(description="The trunk run as 'vehicle run n'.")
    pickup_ids: tuple[str, ...]
    ready: int = Field(description="Last feeder arrival plus handling, seconds.")
    ready_time: str
    loaded: int = Field(description="When the trunk leaves the station, seconds.")
    loaded_time: str
    handling_rmb: float
    pickup_cost_rmb: dict[str, float] = Field(
        default_factory=dict, description="Trunk share plus handling for each pickup."
    )


class OvernightStop(_Frozen):
    """Where a two-day run spends the night: a station, or the village it served last."""

    station_id: str = Field(description="A station id, or the pickup id of a village stay.")
    arrive: int
    arrive_time: str
    leave: int
    leave_time: str
    cost_rmb: float
