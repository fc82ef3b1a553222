"""Read a three-tier scenario: the ordinary scenario plus ``[[station]]`` tables,
``[[feeder]]`` tables in the fleet file and ``[driver_hours]``.

A ``[[feeder]]`` table is a vehicle type plus ``stations`` (station ids, or
``["*"]`` for every station) and ``like`` (the hub type whose roads it may use);
it becomes one type per station, named ``NAME@STATION``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.io import ALIASES, _read_toml, fleet_from_records, read_scenario
from routing.model import Problem
from routing.tiers.model import DriverHours, Station
from routing.tiers.problem import Feeder, TierProblem


@dataclass(frozen=True)
class TierScenario:
    """A three-tier day, where its roads are and its solve budget."""

    tiers: TierProblem
    network_path: Path | None
    time_limit_s: float


def _problems(exc: ValidationError, record: str) -> list[InputProblem]:
    out = []
    for err in exc.errors():
        field = ".".join(str(x) for x in err["loc"]) or "table"
        field = {v: k for k, v in ALIASES.items()}.get(field, field)
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(InputProblem(record, field, f"{msg} (got {err.get('input')!r})"))
    return out


def stations_from_records(
    records: Sequence[Mapping[str, Any]], *, source: str = "stations"
) -> tuple[Station, ...]:
    """Validate ``[[station]]`` records, reporting every bad one at once."""
    out: list[Station] = []
    bad: list[InputProblem] = []
    for n, raw in enumerate(records, start=1):
        rec = {ALIASES.get(k, k): v for k, v in raw.items()}
        name = f"station {rec['id']!r}" if rec.get("id") else f"{source}: station #{n}"
        try:
            out.append(Station.model_validate(rec))
        except ValidationError as exc:
            bad += _problems(exc, name)
    if bad:
        raise InputError(bad)
    return tuple(out)


def feeders_from_records(
    records: Sequence[Mapping[str, Any]], stations: Sequence[Station], *, source: str = "fleet"
) -> tuple[Feeder, ...]:
    """Expand ``[[feeder]]`` records into one feeder type per station."""
    out: list[Feeder] = []
    bad: list[InputProblem] = []
    ids = [s.id for s in stations]
    for n, raw in enumerate(records, start=1):
        rec = dict(raw)
        name = str(rec.get("name") or f"#{n}")
        at = rec.pop("stations", None)
        like = rec.pop("like", None)
        if not isinstance(at, list) or not at:
            bad.append(
                InputProblem(f"{source}: feeder {name!r}", "stations", "give a list of station ids")
            )
            continue
        for sid in ids if at == ["*"] else [str(x) for x in at]:
            if sid not in ids:
                bad.append(
                    InputProblem(
                        f"{source}: feeder {name!r}",
                        "stations",
                        f"unknown station {sid!r}; use one of {ids} or ['*']",
                    )
                )
                continue
            try:
                (vt,) = fleet_from_records(
                    [{**rec, "name": f"{name}@{sid}", "count": rec.get("count")}], source=source
                )
                out.append(Feeder(station_id=sid, vehicle=vt, like=like))
            except InputError as exc:
                bad += exc.problems
    if bad:
        raise InputError(bad)
    return tuple(out)


def tier_problem(
    problem: Problem,
    stations: Sequence[Mapping[str, Any]],
    feeders: Sequence[Mapping[str, Any]],
    hours: Mapping[str, Any],
    *,
    source: str = "scenario",
) -> TierProblem:
    """Build and validate a :class:`TierProblem`, reporting every problem at once."""
    bad: list[InputProblem] = []
    built: tuple[Station, ...] = ()
    feeder_types: tuple[Feeder, ...] = ()
    try:
        built = stations_from_records(stations, source=source)
        feeder_types = feeders_from_records(feeders, built, source=source)
    except InputError as exc:
        bad += exc.problems
    rules: dict[str, DriverHours] = {}
    known = {v.name for v in problem.vehicle_types} | {str(f.get("name")) for f in feeders}
    for name, table in hours.items():
        if name != "*" and name not in known:
            bad.append(
                InputProblem(
                    f"{source}: driver_hours",
                    name,
                    f"unknown vehicle type; use '*' or one of {sorted(known)}",
                )
            )
        try:
            rules[name] = DriverHours.model_validate(table)
        except ValidationError as exc:
            bad += _problems(exc, f"{source}: driver_hours.{name}")
    if bad:
        raise InputError(bad)
    try:
        return TierProblem(problem=problem, stations=built, feeders=feeder_types, hours=rules)
    except ValidationError as exc:
        raise InputError(
            [
                InputProblem(source, "", str(e["msg"]).removeprefix("Value error, "))
                for e in exc.errors()
            ]
        ) from None


def read_tier_scenario(path: str | Path) -> TierScenario:
    """Read a scenario TOML with ``[[station]]`` tables (see the module docstring)."""
    path = Path(path)
    base = read_scenario(path)
    data = _read_toml(path)
    fleet_file = base.root / data.get("files", {}).get("fleet", "")
    feeders = _read_toml(fleet_file).get("feeder", []) if fleet_file.is_file() else []
    stations = data.get("station", [])
    if not isinstance(stations, list) or not stations:
        raise InputError([InputProblem(path.name, "station", "add [[station]] tables")])
    tiers = tier_problem(
        base.problem, stations, feeders, data.get("driver_hours", {}), source=path.name
    )
    return TierScenario(tiers, base.network_path, base.time_limit_s)
