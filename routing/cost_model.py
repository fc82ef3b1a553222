"""The cost model: the rates a hub prices its runs and parcels with, read from TOML.

:class:`CostModel` (read from a TOML file with :func:`read_cost_model`; see
``fixtures/costs/xinping.toml``) holds the fleet-wide rates, per-vehicle-type and
per-hub overrides and the mountain-road factors; :meth:`CostModel.rates_for` resolves
them into one vehicle type's :class:`RunRates`. How a run is priced with them, and how
its cost is shared, is :mod:`routing.costs`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.model import VehicleType
from routing.network import ROAD_CLASSES

FloatArray = npt.NDArray[np.float64]


#: Mountain-road factors used when a cost file gives none: km on village roads cost
#: 30 % more fuel and wear than on a county road, on tracks 50 % more.
DEFAULT_ROAD_CLASS_FACTOR: Final[Mapping[str, float]] = {"village": 1.3, "track": 1.5}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VehicleRates(_Frozen):
    """Rates for one vehicle type. A field left out keeps the fleet file's value."""

    fixed_rmb_per_run: float | None = Field(None, ge=0, description="Per run (trip).")
    fixed_rmb_per_day: float | None = Field(
        None, ge=0, description="Hire, insurance: charged on the vehicle's first run."
    )
    energy_rmb_per_km: float | None = Field(
        None, ge=0, description="Fuel or electricity and wear per km on a county road."
    )
    vehicle_rmb_per_hour: float = Field(0.0, ge=0, description="Time-based vehicle cost.")
    energy_rmb_per_100m_ascent: float | None = Field(
        None, ge=0, description="Fuel for each 100 m climbed; overrides the fleet's rate."
    )
    driver_rmb_per_hour: float | None = Field(
        None, ge=0, description="Driver (crew) wage; overrides the hub's rate."
    )


class HubCostOverrides(_Frozen):
    """Per-hub changes to the cost model's defaults (``[hubs.<hub id>]``)."""

    driver_rmb_per_hour: float | None = Field(None, ge=0)
    handling_rmb_per_parcel: float | None = Field(None, ge=0)
    overhead_rmb_per_day: float | None = Field(None, ge=0)
    road_class_factor: dict[str, float] | None = None
    unknown_road_factor: float | None = Field(None, ge=1)
    vehicles: dict[str, VehicleRates] = Field(default_factory=dict)


class CostModel(_Frozen):
    """How a hub prices its runs and parcels. Every amount is RMB.

    Read it with :func:`read_cost_model`; ``fixtures/costs/xinping.toml`` documents
    each key. Vehicle types not listed under ``vehicles`` keep the fleet's own rates.
    """

    name: str = "cost model"
    driver_rmb_per_hour: float | None = Field(
        None,
        ge=0,
        description="Driver wage per hour. None: the fleet's rmb_per_hour (which then "
        "stands for driver and vehicle time together).",
    )
    handling_rmb_per_parcel: float = Field(0.0, ge=0, description="Unload, sort, re-pack.")
    overhead_rmb_per_day: float = Field(
        0.0, ge=0, description="Hub overheads (dispatch, rent) spread over the day's parcels."
    )
    road_class_factor: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ROAD_CLASS_FACTOR),
        description="Energy-cost multiplier per road class; classes not listed: 1.0.",
    )
    unknown_road_factor: float = Field(
        1.0, ge=1, description="Factor on every km when the road classes are not known."
    )
    vehicles: dict[str, VehicleRates] = Field(default_factory=dict)
    hubs: dict[str, HubCostOverrides] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _classes(self) -> Self:
        bad = [
            c
            for table in [self.road_class_factor]
            + [h.road_class_factor or {} for h in self.hubs.values()]
            for c, f in table.items()
            if c not in ROAD_CLASSES or not (math.isfinite(f) and f > 0)
        ]
        if bad:
            raise ValueError(
                f"road_class_factor: bad entries {sorted(set(bad))}; use classes from "
                f"{list(ROAD_CLASSES)} with positive factors"
            )
        return self

    def for_hub(self, hub_id: str | None) -> CostModel:
        """This model with hub ``hub_id``'s overrides applied (and no ``hubs``)."""
        over = self.hubs.get(hub_id or "")
        base = self.model_copy(update={"hubs": {}})
        if over is None:
            return base
        update: dict[str, Any] = {
            k: v
            for k, v in over.model_dump(exclude={"vehicles"}).items()
            if v is not None and k in CostModel.model_fields
        }
        vehicles = dict(self.vehicles)
        for name, rates in over.vehicles.items():
            merged = vehicles[name].model_dump() if name in vehicles else {}
            merged.update(rates.model_dump(exclude_unset=True))
            vehicles[name] = VehicleRates.model_validate(merged)
        update["vehicles"] = vehicles
        return base.model_copy(update=update)

    def rates_for(self, vt: VehicleType) -> RunRates:
        """The resolved rates of a vehicle type under this (hub's) model."""
        r = self.vehicles.get(vt.name, VehicleRates())
        driver = (
            r.driver_rmb_per_hour
            if r.driver_rmb_per_hour is not None
            else self.driver_rmb_per_hour
            if self.driver_rmb_per_hour is not None
            else vt.rmb_per_hour
        )
        return RunRates(
            fixed_rmb_per_run=vt.fixed_rmb_per_run
            if r.fixed_rmb_per_run is None
            else r.fixed_rmb_per_run,
            fixed_rmb_per_day=vt.fixed_rmb_per_day
            if r.fixed_rmb_per_day is None
            else r.fixed_rmb_per_day,
            rmb_per_km=vt.rmb_per_km if r.energy_rmb_per_km is None else r.energy_rmb_per_km,
            rmb_per_hour=driver + r.vehicle_rmb_per_hour,
            rmb_per_100m_ascent=vt.rmb_per_100m_ascent
            if r.energy_rmb_per_100m_ascent is None
            else r.energy_rmb_per_100m_ascent,
        )

    def class_factors(self) -> FloatArray:
        """Factor per class of :data:`routing.network.ROAD_CLASSES`, in that order."""
        return np.array([self.road_class_factor.get(c, 1.0) for c in ROAD_CLASSES])


@dataclass(frozen=True)
class RunRates:
    """A vehicle type's resolved rates, RMB."""

    fixed_rmb_per_run: float
    fixed_rmb_per_day: float
    rmb_per_km: float
    rmb_per_hour: float
    rmb_per_100m_ascent: float = 0.0

    @classmethod
    def of(cls, vt: VehicleType) -> RunRates:
        """The fleet file's own rates."""
        return cls(
            vt.fixed_rmb_per_run,
            vt.fixed_rmb_per_day,
            vt.rmb_per_km,
            vt.rmb_per_hour,
            vt.rmb_per_100m_ascent,
        )


def fleet_cost_model() -> CostModel:
    """The cost model that reproduces the fleet file's rates (no road factors)."""
    return CostModel(name="fleet rates", road_class_factor={})


def read_cost_model(path: str | Path) -> CostModel:
    """Read a cost-model TOML file (see ``fixtures/costs/xinping.toml``).

    Raises
    ------
    InputError
        If the file is missing, not TOML, or any key is unknown or out of range; every
        problem is listed with its key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([InputProblem(str(path), "", "file not found; check the path")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(path.name, "", f"not valid TOML: {exc}")]) from None
    data.setdefault("name", path.stem)
    try:
        return CostModel.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                InputProblem(
                    path.name,
                    ".".join(str(x) for x in err["loc"]),
                    str(err["msg"]).removeprefix("Value error, "),
                )
                for err in exc.errors()
            ]
        ) from None
