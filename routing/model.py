"""The planner's domain: hubs, village pickup points, vehicles, problems and plans.

Every object is an immutable pydantic model, validated once when it is built ("build,
freeze, solve"). Later layers trust it. Coordinates are ``(lon, lat)`` WGS84 as in
GeoJSON; clock times are seconds since midnight (input also accepts ``"HH:MM"``);
money is RMB as ``float`` and is rounded to fen once, at output.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.tiers.model import OvernightStop, Station, Transfer
from routing.units import format_clock, parse_clock

ClockS = Annotated[
    int,
    BeforeValidator(parse_clock),
    Field(ge=0, le=2 * 86_400, description="Seconds since midnight; input may be 'HH:MM'."),
]
"""A clock time in seconds since midnight; accepts ``"07:30"`` on input."""

Lon = Annotated[float, Field(ge=-180.0, le=180.0, description="Longitude, WGS84 degrees.")]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, description="Latitude, WGS84 degrees.")]
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s,;]+$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Hub(_Frozen):
    """A county logistics hub: where runs start and end and produce is unloaded."""

    id: Id = "hub"
    name: str = "hub"
    lon: Lon
    lat: Lat
    open_s: ClockS = Field(0, description="When the hub opens (runs may leave).")
    close_s: ClockS = Field(2 * 86_400, description="Latest return to the hub.")

    @property
    def location(self) -> tuple[float, float]:
        """``(lon, lat)``."""
        return (self.lon, self.lat)


class PickupPoint(_Frozen):
    """A village pickup point: produce to collect and, optionally, parcels to drop.

    ``parcels``/``weight_kg`` are collected and carried to the hub (the produce);
    ``delivery_parcels``/``delivery_weight_kg`` are e-commerce parcels loaded at the hub
    and dropped here on the same run (a backhaul run: both directions on one run).
    """

    id: Id
    village: str = Field(min_length=1, max_length=200)
    township: str = ""
    lon: Lon
    lat: Lat
    parcels: int = Field(0, ge=0, description="Parcels to collect.")
    weight_kg: float = Field(0.0, ge=0.0, description="Weight to collect, kg.")
    delivery_parcels: int = Field(0, ge=0, description="Parcels to drop (outbound).")
    delivery_weight_kg: float = Field(0.0, ge=0.0, description="Weight to drop, kg.")
    ready_s: ClockS = Field(0, description="When the produce is ready (window opens).")
    close_s: ClockS = Field(2 * 86_400, description="When the station closes (last arrival).")
    service_min: float = Field(10.0, ge=0.0, le=24 * 60, description="Fixed minutes per stop.")
    service_min_per_parcel: float = Field(
        0.0, ge=0.0, le=60, description="Extra loading minutes per parcel handled."
    )
    prize_rmb: float | None = Field(
        None,
        ge=0.0,
        description="Value of collecting this pickup. None: it must be collected "
        "(or reported unassigned); a number makes it optional and the solver collects "
        "it when its value exceeds the cost of fetching it.",
    )
    priority: int = Field(0, ge=0, le=100, description="Higher is collected first.")
    allowed_vehicle_types: tuple[str, ...] | None = Field(
        None, description="Vehicle type names that may serve it (narrow village roads)."
    )
    max_on_board_min: float | None = Field(
        None, gt=0, description="Perishables: longest minutes from pickup to the hub."
    )
    contact: str = ""

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.close_s < self.ready_s:
            raise ValueError(
                f"close_s {format_clock(self.close_s)} is before ready_s "
                f"{format_clock(self.ready_s)}; swap them or widen the window"
            )
        return self

    @property
    def service_s(self) -> int:
        """Service time at the stop in seconds: fixed part plus per parcel handled."""
        handled = self.parcels + self.delivery_parcels
        return round(60 * (self.service_min + self.service_min_per_parcel * handled))

    @property
    def location(self) -> tuple[float, float]:
        """``(lon, lat)``."""
        return (self.lon, self.lat)


class Break(_Frozen):
    """A driver break that must start inside ``[earliest_s, latest_s]``."""

    earliest_s: ClockS
    latest_s: ClockS
    duration_min: float = Field(gt=0, le=8 * 60)


class VehicleType(_Frozen):
    """A kind of vehicle at a hub, with its count, capacity, costs and shift."""

    name: Id
    count: int | None = Field(1, ge=0, description="How many; None for unlimited.")
    hub_id: str | None = Field(None, description="Home hub; None for the first hub.")
    capacity_parcels: int = Field(gt=0)
    capacity_kg: float = Field(gt=0)
    fixed_rmb_per_run: float = Field(0.0, ge=0)
    fixed_rmb_per_day: float = Field(0.0, ge=0, description="Charged once if it runs at all.")
    rmb_per_km: float = Field(0.0, ge=0)
    rmb_per_hour: float = Field(0.0, ge=0)
    shift_start_s: ClockS = Field(parse_clock("07:00"))
    shift_end_s: ClockS = Field(parse_clock("19:00"))
    speed_factor: float = Field(
        1.0, gt=0, le=3, description="Multiplies road speeds (0.8: a slow loaded truck)."
    )
    max_runs_per_day: int = Field(1, ge=1, le=10, description="Runs (trips) per vehicle.")
    reload_min: float = Field(30.0, ge=0, description="Unload/reload minutes between runs.")
    avoid_road_classes: tuple[str, ...] = Field(
        (), description="Road classes it may not use, e.g. ('track',) for a 5-t truck."
    )
    max_distance_km: float | None = Field(None, gt=0)
    driver_break: Break | None = None
    weight_t: float | None = Field(
        None, gt=0, le=100, description="Gross weight loaded, tonnes; checked against maxweight."
    )
    axle_load_t: float | None = Field(
        None, gt=0, le=30, description="Heaviest axle loaded, t; None: 0.6 x weight_t."
    )
    height_m: float | None = Field(None, gt=0, le=10, description="Checked against maxheight.")
    width_m: float | None = Field(None, gt=0, le=10, description="Checked against maxwidth.")
    length_m: float | None = Field(None, gt=0, le=40, description="Checked against maxlength.")
    avoid_unpaved: bool = Field(False, description="Never drive unpaved roads (OSM surface).")
    climb_s_per_100m: float | None = Field(
        None,
        ge=0,
        le=3600,
        description="Seconds added per 100 m climbed (elevation); None: 10 + 8 x weight_t.",
    )
    rmb_per_100m_ascent: float = Field(
        0.0, ge=0, description="Energy cost of climbing 100 m (fuel on the grade), RMB."
    )

    @model_validator(mode="after")
    def _shift(self) -> Self:
        if self.shift_end_s <= self.shift_start_s:
            raise ValueError("shift_end_s must be after shift_start_s")
        return self

    @property
    def profile(self) -> str:
        """Name of the road-access profile (one travel matrix per distinct profile).

        Dimensions, weight, unpaved avoidance and climbing rate are part of it, so two
        types that may use different roads, or climb at different rates, never share
        a matrix.
        """
        base = "+".join(sorted(self.avoid_road_classes)) or "all"
        limits = [
            f"{tag}{value:g}"
            for tag, value in (
                ("w", self.weight_t),
                ("a", self.axle_load_t),
                ("h", self.height_m),
                ("wd", self.width_m),
                ("l", self.length_m),
                ("c", self.climb_s_per_100m),
            )
            if value is not None
        ]
        if self.avoid_unpaved:
            limits.append("paved")
        return "|".join([base, *limits])


class LockedRun(_Frozen):
    """A run already on the road: its stops (done or promised) stay as they are."""

    vehicle: str = Field(description="Vehicle name as in the plan, e.g. 'van-2'.")
    run: int = Field(1, ge=1)
    pickup_ids: tuple[str, ...]


class Problem(_Frozen):
    """A day to plan: hubs, pickups and the fleet, plus planner-side constraints."""

    name: str = "plan"
    hubs: tuple[Hub, ...] = Field(min_length=1)
    pickups: tuple[PickupPoint, ...] = Field(min_length=1)
    vehicle_types: tuple[VehicleType, ...] = Field(min_length=1)
    closed_roads: tuple[str, ...] = Field(
        (), description="Ids of road segments closed today (a landslide); see the road file's id."
    )
    locked_runs: tuple[LockedRun, ...] = ()
    split_oversize: bool = Field(
        False,
        description="Split a pickup larger than every vehicle across several visits "
        "instead of rejecting it.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[InputProblem] = []
        for kind, ids in (
            ("pickup", [p.id for p in self.pickups]),
            ("hub", [h.id for h in self.hubs]),
            ("vehicle type", [v.name for v in self.vehicle_types]),
        ):
            for dup, n in Counter(ids).items():
                if n > 1:
                    problems.append(
                        InputProblem(
                            f"{kind} {dup!r}", "id", f"appears {n} times; ids must be unique"
                        )
                    )
        hub_ids = {h.id for h in self.hubs}
        type_names = {v.name for v in self.vehicle_types}
        for v in self.vehicle_types:
            if v.hub_id is not None and v.hub_id not in hub_ids:
                problems.append(
                    InputProblem(f"vehicle type {v.name!r}", "hub_id", f"unknown hub {v.hub_id!r}")
                )
        for p in self.pickups:
            for t in p.allowed_vehicle_types or ():
                if t not in type_names:
                    problems.append(
                        InputProblem(
                            f"pickup {p.id!r}",
                            "allowed_vehicle_types",
                            f"unknown vehicle type {t!r}; use one of {sorted(type_names)}",
                        )
                    )
        pickup_ids = {p.id for p in self.pickups}
        for lr in self.locked_runs:
            for pid in lr.pickup_ids:
                if pid not in pickup_ids:
                    problems.append(
                        InputProblem(
                            f"locked run {lr.vehicle!r}", "pickup_ids", f"unknown pickup {pid!r}"
                        )
                    )
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return self

    def hub_of(self, vehicle_type: VehicleType) -> Hub:
        """The home hub of a vehicle type."""
        if vehicle_type.hub_id is None:
            return self.hubs[0]
        return next(h for h in self.hubs if h.id == vehicle_type.hub_id)


class UnassignedReason(StrEnum):
    """Why a pickup is not in any run. The list is fixed so scripts can match on it."""

    UNREACHABLE = "unreachable"
    NO_VEHICLE_FITS = "no_vehicle_fits"
    TIME_WINDOW = "time_window"
    SHIFT_TOO_SHORT = "shift_too_short"
    CAPACITY = "capacity"
    NOT_WORTH_IT = "not_worth_it"
    MAX_DISTANCE = "max_distance"
    TIME_ON_BOARD = "time_on_board"


class Unassigned(_Frozen):
    """A pickup no run collects, with the reason."""

    pickup_id: str
    village: str = ""
    reason: UnassignedReason
    detail: str = ""
    location: tuple[float, float] | None = Field(None, description="(lon, lat)")


class Stop(_Frozen):
    """One visit on a run. VROOM-style integer fields sit beside the friendly ones."""

    pickup_id: str
    village: str
    lon: float
    lat: float
    location: tuple[float, float]
    arrival: int = Field(description="Arrival, seconds since midnight (VROOM name).")
    arrival_time: str = Field(description="Arrival as HH:MM.")
    departure: int
    departure_time: str
    waiting_time: int = Field(0, description="Seconds waiting for the window to open.")
    service: int = Field(0, description="Service seconds.")
    parcels: int = Field(description="Parcels collected here.")
    weight_kg: float
    delivery_parcels: int = 0
    delivery_weight_kg: float = 0.0
    load_parcels: int = Field(description="Parcels on board after the stop.")
    load_kg: float
    distance: int = Field(0, description="Metres driven on the run up to this stop.")
    cost_rmb: float = Field(description="This stop's share of the run cost.")
    cost_per_parcel_rmb: float | None = None
    cost_shares: dict[str, float] = Field(
        default_factory=dict, description="Share by each allocation method asked for."
    )
    contact: str = ""
    snap_distance_m: float | None = Field(
        None, description="Metres from the pickup to the road point it is served from."
    )


class Run(_Frozen):
    """One trip of one vehicle: leave the hub, visit stops, come back."""

    vehicle: str
    vehicle_type: str
    run: int = Field(1, description="1 for the vehicle's first trip of the day, 2 next...")
    hub_id: str
    start: int
    start_time: str
    end: int
    end_time: str
    distance: int = Field(description="Metres.")
    duration: int = Field(description="Seconds from leaving to returning.")
    distance_km: float
    duration_h: float
    parcels: int
    weight_kg: float
    delivery_parcels: int = 0
    cost_rmb: float
    fixed_cost_rmb: float = 0.0
    distance_cost_rmb: float = 0.0
    time_cost_rmb: float = 0.0
    break_start: int | None = Field(None, description="Driver break start, seconds.")
    stops: tuple[Stop, ...]
    path: tuple[tuple[float, float], ...] = Field(
        (), description="(lon, lat) vertices along the roads, hub to hub; empty if unknown."
    )
    ascent_m: int | None = Field(
        None, description="Metres climbed on the run; None without elevation data."
    )
    descent_m: int | None = Field(None, description="Metres descended on the run.")
    climb_cost_rmb: float = Field(0.0, description="Energy for the ascent (in cost_rmb).")
    tier: str | None = Field(None, description="direct, feeder or trunk; None: one-tier plan.")
    handover: str = Field("", description="Where the produce is handed over (station, hub).")
    rests: tuple[int, ...] = Field((), description="Starts of the driver's rests, seconds.")
    drive_s: int | None = Field(None, description="Seconds of driving (rests excluded).")
    overnight: OvernightStop | None = Field(None, description="Night stop of a two-day run.")


class Violation(_Frozen):
    """A constraint the plan breaks, as found by the independent plan check.

    A delivered plan should have none; one that slipped through is listed rather than
    hidden, and the plan is marked ``summary.feasible = false``.
    """

    constraint: str = Field(description="Which rule, e.g. 'capacity', 'time_window'.")
    where: str = Field(description="The run, stop or vehicle, e.g. 'van-1 run 2 stop P07'.")
    detail: str = ""
    vehicle: str = Field("", description="The vehicle concerned, if any.")
    run: int = Field(0, description="Its run number; 0 when the whole day is concerned.")
    pickup_id: str = Field("", description="The stop concerned, if any.")


class Summary(_Frozen):
    """Totals for the plan."""

    total_cost_rmb: float
    cost_per_parcel_rmb: float | None
    parcels: int
    delivery_parcels: int = 0
    weight_kg: float
    distance_km: float
    duration_h: float
    runs: int
    vehicles: int
    unassigned: int
    pickups: int
    solver: str = ""
    objective: int = 0
    objective_rmb: float | None = None
    """What the engines minimised, evaluated on this plan with the hub's cost model
    (prizes of unserved optional pickups left out): equals ``total_cost_rmb`` up to
    rounding. None in plans written before it was reported."""
    timings_s: dict[str, float] = Field(default_factory=dict)
    feasible: bool = Field(
        True, description="False when the plan check found a broken constraint (see violations)."
    )
    violations: tuple[Violation, ...] = Field(
        (), description="Every constraint the plan breaks; empty for a feasible plan."
    )


class VillageCost(_Frozen):
    """Per-village figures: what collecting one parcel from this village costs."""

    village: str
    township: str = ""
    pickups: int
    parcels: int
    cost_rmb: float
    cost_per_parcel_rmb: float | None
    baseline_direct_per_parcel_rmb: float | None = None
    saving_per_parcel_rmb: float | None = None


class Plan(_Frozen):
    """The answer: runs of ordered stops, the pickups left out and why, and costs."""

    name: str = "plan"
    hubs: tuple[Hub, ...] = ()
    vehicle_types: tuple[VehicleType, ...] = Field(
        (), description="The fleet the plan was made with (for quotes and re-plans)."
    )
    sources: dict[str, str] = Field(
        default_factory=dict, description="Input files the plan was made from (network, ...)."
    )
    summary: Summary
    runs: tuple[Run, ...]
    unassigned: tuple[Unassigned, ...]
    villages: tuple[VillageCost, ...] = ()
    baselines: dict[str, Any] = Field(default_factory=dict)
    allocation_method: str = "proportional"
    stations: tuple[Station, ...] = ()
    transfers: tuple[Transfer, ...] = Field((), description="Feeder-to-trunk handovers.")


def problem_from_dict(data: dict[str, Any]) -> Problem:
    """Build a :class:`Problem` from plain data, reporting every problem at once.

    Raises
    ------
    InputError
        Naming each record (pickup id where known), field and problem.
    """
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        raise input_error_from_validation(exc, data) from None


def input_error_from_validation(exc: ValidationError, data: Any = None) -> InputError:
    """Turn a pydantic error into an :class:`InputError` that names the records."""
    found: list[InputProblem] = []
    errors = exc.errors()
    # A list whose bad items were dropped also reports "too short": noise, skip it.
    item_lists = {e["loc"][0] for e in errors if len(e["loc"]) >= 2}
    for err in errors:
        loc = list(err["loc"])
        if err["type"] == "too_short" and len(loc) == 1 and loc[0] in item_lists:
            continue
        record = ""
        field = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            kind = {"pickups": "pickup", "hubs": "hub", "vehicle_types": "vehicle type"}.get(
                loc[0], loc[0]
            )
            record = f"{kind} #{loc[1] + 1}"
            try:
                item = data[loc[0]][loc[1]] if data is not None else None
                key = "name" if loc[0] == "vehicle_types" else "id"
                if isinstance(item, dict) and item.get(key):
                    record = f"{kind} {item[key]!r}"
                elif hasattr(item, key):
                    record = f"{kind} {getattr(item, key)!r}"
            except (KeyError, IndexError, TypeError):
                pass
            field = ".".join(str(x) for x in loc[2:])
        msg = str(err["msg"]).removeprefix("Value error, ")
        found.append(InputProblem(record, field, msg))
    return InputError(found)
