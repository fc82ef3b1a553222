"""Request and public schemas of the HTTP API (storage schemas are in ``store``).

The plan itself is the library's :class:`routing.model.Plan`, i.e. plan.json's schema:
the API adds only envelopes (status, paging, errors). Request models mirror the
library's field names, so a problem reported by the library (``pickup 'P3':
parcels: ...``) names the same field the caller sent. Numbers are bounded so that no
input, however odd, can overflow the solver's integer arithmetic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from routing.model import Plan
from routing.tiers.model import DriverHours, Station
from routing.units import parse_clock


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer; strict pydantic would not. 3.5 and "3" stay
    # refused (the strict int check sees them unchanged).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeInt = Annotated[int, BeforeValidator(_whole_number)]
"""An integer field: takes ``3`` and ``3.0`` (both JSON Schema integers), not ``"3"``."""

PlanStatus = Literal["queued", "running", "done", "failed"]
Clock = Annotated[
    WholeInt | str,
    Field(description="Seconds since midnight, or 'HH:MM'.", examples=["07:30"]),
]
IdStr = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s,;]+$")]
AllocationMethod = Literal["proportional", "standalone"]
Engine = Literal["auto", "pyvrp", "ortools", "pyvrp-relaxed"]


class _In(BaseModel):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, str_strip_whitespace=True, strict=True
    )


#: Clock fields of the first API version, still accepted: old name -> field.
DEPRECATED_TIME_NAMES = {
    "ready_s": "ready",
    "close_s": "close",
    "shift_start_s": "shift_start",
    "shift_end_s": "shift_end",
    "earliest_s": "earliest",
    "latest_s": "latest",
}


def _take_deprecated_time_names(data: Any, fields: tuple[str, ...]) -> Any:
    """Accept ``ready_s`` for ``ready`` (and so on) for clients written against them.

    Only the current names are in the schema; a value under an old name is validated
    (and its errors reported) under the current name.
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for old, new in DEPRECATED_TIME_NAMES.items():
        if new not in fields or old not in out:
            continue
        if new in out:
            raise ValueError(
                f"{new} and {old} are both given; send only {new} ({old} is its old name)"
            )
        out[new] = out.pop(old)
    return out


class PickupIn(_In):
    """A village pickup point. Give ``lon``/``lat``, or a ``village`` the hub knows.

    ``ready_s``/``close_s`` are accepted as deprecated names of ``ready``/``close``.
    """

    id: IdStr
    village: str | None = Field(
        None, min_length=1, max_length=200, description="Looked up in the hub's gazetteer."
    )
    township: str = Field("", max_length=200)
    lon: float | None = Field(None, ge=-180, le=180, description="WGS84 longitude.")
    lat: float | None = Field(None, ge=-90, le=90, description="WGS84 latitude.")
    parcels: WholeInt = Field(0, ge=0, le=100_000, description="Parcels to collect.")
    weight_kg: float = Field(0.0, ge=0, le=1_000_000, description="Weight to collect, kg.")
    delivery_parcels: WholeInt = Field(0, ge=0, le=100_000, description="Parcels to drop.")
    delivery_weight_kg: float = Field(0.0, ge=0, le=1_000_000)
    ready: Clock | None = Field(None, description="When the produce is ready.")
    close: Clock | None = Field(None, description="When the station closes (last arrival).")
    service_min: float | None = Field(None, ge=0, le=1440, description="Minutes per stop.")
    service_min_per_parcel: float | None = Field(None, ge=0, le=60)
    prize_rmb: float | None = Field(
        None, ge=0, le=1_000_000, description="Makes the pickup optional, worth this."
    )
    priority: WholeInt = Field(0, ge=0, le=100)
    allowed_vehicle_types: list[IdStr] | None = Field(None, max_length=100)
    max_on_board_min: float | None = Field(None, gt=0, le=2880)
    contact: str = Field("", max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return _take_deprecated_time_names(data, ("ready", "close"))


class BreakIn(_In):
    """A driver break that must start inside ``[earliest, latest]``.

    ``earliest_s``/``latest_s`` are accepted as deprecated names.
    """

    earliest: Clock
    latest: Clock
    duration_min: float = Field(gt=0, le=480)

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return _take_deprecated_time_names(data, ("earliest", "latest"))

    @model_validator(mode="after")
    def _order(self) -> BreakIn:
        try:
            earliest, latest = parse_clock(self.earliest), parse_clock(self.latest)
        except ValueError:
            return self  # the library names a malformed clock time
        if earliest > latest:
            raise ValueError(
                f"earliest {self.earliest!r} is after latest {self.latest!r}; swap them"
            )
        return self


class VehicleTypeIn(_In):
    """A vehicle type of an inline fleet (fields as in fleet.toml).

    ``shift_start_s``/``shift_end_s`` are accepted as deprecated names.
    """

    name: IdStr
    count: Annotated[int, Field(ge=0, le=1000), BeforeValidator(_whole_number)] | None = Field(
        1, description="How many; null: unlimited."
    )
    capacity_parcels: WholeInt = Field(gt=0, le=1_000_000)
    capacity_kg: float = Field(gt=0, le=1_000_000)
    fixed_rmb_per_run: float = Field(0.0, ge=0, le=1_000_000)
    fixed_rmb_per_day: float = Field(0.0, ge=0, le=1_000_000)
    rmb_per_km: float = Field(0.0, ge=0, le=10_000)
    rmb_per_hour: float = Field(0.0, ge=0, le=100_000)
    shift_start: Clock | None = Field(None, description="Default '07:00'.")
    shift_end: Clock | None = Field(None, description="Default '19:00'.")
    speed_factor: float = Field(1.0, gt=0, le=3)
    max_runs_per_day: WholeInt = Field(1, ge=1, le=10)
    reload_min: float = Field(30.0, ge=0, le=1440)
    avoid_road_classes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=20
    )
    max_distance_km: float | None = Field(None, gt=0, le=10_000)
    driver_break: BreakIn | None = None

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return _take_deprecated_time_names(data, ("shift_start", "shift_end"))


class FeederIn(VehicleTypeIn):
    """A vehicle type based at stations (three-tier days); one per station listed."""

    stations: list[IdStr] = Field(min_length=1, description="Station ids, or ['*'] for all.")
    like: IdStr | None = Field(None, description="Hub vehicle type whose roads it may use.")


class PlanOptionsIn(_In):
    """How to solve and whether to wait for the answer."""

    time_limit_s: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="Solver seconds; at most the server's max_time_limit_s (422 above it).",
    )
    allocation: list[AllocationMethod] = Field(
        default_factory=lambda: list[AllocationMethod](["proportional"]),
        min_length=1,
        max_length=2,
        description="Cost allocation methods; the first fills each stop's cost_rmb.",
    )
    seed: WholeInt = Field(0, ge=0, le=2**31 - 1)
    iterations: WholeInt | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Stop after this many improving solutions (OR-Tools alone): the same "
        "request gives the same plan on any machine, as `hubroute plan --iterations`.",
    )
    engines: list[Engine] = Field(
        default_factory=lambda: list[Engine](["auto"]),
        min_length=1,
        max_length=4,
        description="Solver engines raced against the clock; 'auto' lets the portfolio choose.",
    )
    wait: bool | None = Field(
        None,
        description="Answer 200 with the plan (true) or 202 at once (false). Default: "
        "wait when the request has few pickups (a server setting).",
    )
    wait_max_s: float | None = Field(
        None,
        ge=0,
        le=3600,
        description="When waiting, hold the connection at most this long; then answer "
        "202 with Retry-After. Default: the time limit plus a grace period.",
    )


class LockedRunIn(_In):
    """A run already on the road: its pickups start the run, in this order."""

    vehicle: IdStr = Field(description="Vehicle name as in the plan, e.g. 'van-2'.")
    run: int = Field(1, ge=1, le=100)
    pickup_ids: list[IdStr] = Field(min_length=1, max_length=5000)


_PLAN_EXAMPLE: dict[str, Any] = {
    "name": "xinping-monday",
    "pickups": [
        {
            "id": "P1",
            "village": "Gasa",
            "lon": 101.8312,
            "lat": 23.9745,
            "parcels": 40,
            "weight_kg": 400,
            "ready": "08:00",
        },
        {
            "id": "P2",
            "village": "Mosha",
            "lon": 101.7951,
            "lat": 23.9281,
            "parcels": 25,
            "weight_kg": 250,
        },
    ],
    "fleet": [
        {
            "name": "van",
            "count": 2,
            "capacity_parcels": 120,
            "capacity_kg": 1500,
            "rmb_per_km": 1.6,
            "rmb_per_hour": 30,
            "fixed_rmb_per_run": 20,
        }
    ],
    "options": {"time_limit_s": 2, "allocation": ["proportional"], "wait": True},
}


class PlanRequest(_In):
    """A day to plan at the caller's hub."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PLAN_EXAMPLE]})

    hub: IdStr | None = Field(None, description="Hub id; default: the API key's hub.")
    name: str = Field("plan", min_length=1, max_length=200)
    pickups: list[PickupIn] = Field(min_length=1, max_length=5000)
    fleet: str | list[VehicleTypeIn] | None = Field(
        None,
        description="Inline vehicle types, or the name of a fleet configured for the hub; "
        "default: the hub's default fleet.",
    )
    closed_roads: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=1000, description="Road ids closed today."
    )
    split_oversize: bool = Field(
        False, description="Split pickups larger than any vehicle into several stops."
    )
    locked_runs: list[LockedRunIn] = Field(
        default_factory=list, max_length=1000, description="Runs already on the road."
    )
    stations: list[Station] = Field(
        default_factory=list,
        max_length=200,
        description="Township stations: given, the day is planned in three tiers.",
    )
    feeders: list[FeederIn] = Field(default_factory=list, max_length=200)
    driver_hours: dict[str, DriverHours] = Field(
        default_factory=dict, description="Per vehicle type name; '*' for the default."
    )
    options: PlanOptionsIn = Field(default_factory=PlanOptionsIn)


class ProblemOut(BaseModel):
    """One problem found in the input."""

    record: str = Field(description="Which record, e.g. \"pickup 'P3'\"; may be empty.")
    field: str = Field(description="Which field, e.g. 'pickups[3].parcels'.")
    message: str


class ErrorDetail(BaseModel):
    """What went wrong; ``code`` is stable and safe to match on."""

    code: str
    message: str
    problems: list[ProblemOut] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Every error response has this shape."""

    error: ErrorDetail
    request_id: str = ""


class PlanResult(Plan):
    """A finished plan (plan.json's schema) with the id it is stored under."""

    id: str = Field(description="The plan id, as in the Location header.")


class PlanAccepted(BaseModel):
    """The answer to a plan request that runs in the background (202)."""

    id: str
    status: PlanStatus
    href: str = Field(description="Where to poll, as in the Location header.")


class PlanInfo(BaseModel):
    """A plan's status, without the plan."""

    id: str
    hub_id: str
    name: str
    status: PlanStatus
    pickups: int
    attempts: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    cost_rmb: float | None = Field(None, description="Total cost once done.")
    runs: int | None = Field(None, description="Runs once done.")
    parcels: int | None = Field(None, description="Parcels collected once done.")
    unassigned: int | None = Field(None, description="Pickups left unassigned once done.")
    error: ErrorDetail | None = None
    links: dict[str, str] = Field(default_factory=dict)


class PlanOut(PlanInfo):
    """A plan's status, and the plan (plan.json's schema) once done."""

    plan: Plan | None = None


class PlanPage(BaseModel):
    """A page of the hub's plans, newest first."""

    items: list[PlanInfo]
    total: int
    limit: int
    offset: int


class HealthOut(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
    workers: int | None = None
    running: int | None = None
    queued: int | None = None


class QuotePickupIn(PickupIn):
    """The pickup to price (same fields as a plan's pickups)."""


class QuoteRequest(_In):
    """Price adding one pickup to a finished plan."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan_id": "0123456789abcdef0123456789abcdef",
                    "pickup": {"id": "NEW1", "village": "Gasa", "parcels": 10, "weight_kg": 80},
                }
            ]
        }
    )

    plan_id: str = Field(min_length=1, max_length=64)
    pickup: QuotePickupIn


class QuoteOut(BaseModel):
    """The marginal cost of adding the pickup to the plan."""

    model_config = ConfigDict(extra="allow")

    plan_id: str
    pickup_id: str
    feasible: bool
    marginal_cost_rmb: float | None = None
    cost_per_parcel_rmb: float | None = None
    vehicle: str | None = None
    run: int | None = None
    position: int | None = Field(None, description="Stop index the pickup would take.")
    detail: str = ""
