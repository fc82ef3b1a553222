"""Read pickups, fleets and scenarios; write plans as JSON, GeoJSON and CSV.

Readers validate every record and raise one :class:`InputError` that names each bad
record, its field and the fix, so a planner fixes the whole file in one go.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.model import (
    Hub,
    PickupPoint,
    Plan,
    Problem,
    VehicleType,
    input_error_from_validation,
    problem_from_dict,
)

#: Friendlier column / key names accepted in files, and the model field they fill.
ALIASES = {
    "ready": "ready_s",
    "close": "close_s",
    "shift_start": "shift_start_s",
    "shift_end": "shift_end_s",
    "earliest": "earliest_s",
    "latest": "latest_s",
    "open": "open_s",
}

_FILE_NAMES = {model: file for file, model in ALIASES.items()}
_MODEL_NAME = re.compile(r"\b(" + "|".join(_FILE_NAMES) + r")\b")


def to_file_names(text: str) -> str:
    """A field path or message in the names files and the API use (``ready_s`` -> ``ready``)."""
    return _MODEL_NAME.sub(lambda m: _FILE_NAMES[m.group(1)], text)


PICKUP_COLUMNS = (
    "id",
    "village",
    "township",
    "lon",
    "lat",
    "parcels",
    "weight_kg",
    "delivery_parcels",
    "delivery_weight_kg",
    "ready",
    "close",
    "service_min",
    "service_min_per_parcel",
    "prize_rmb",
    "priority",
    "allowed_vehicle_types",
    "max_on_board_min",
    "contact",
)


def _rename(data: Mapping[str, Any]) -> dict[str, Any]:
    return {ALIASES.get(k, k): v for k, v in data.items()}


def _pickup_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for key, value in _rename(raw).items():
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        if key == "allowed_vehicle_types" and isinstance(value, str):
            value = tuple(v.strip() for v in value.split(";") if v.strip())
        rec[key] = value
    if rec.get("id") and "village" not in rec:
        rec["village"] = rec["id"]  # as the API does: the README lists village as optional
    return rec


def pickups_from_records(
    records: Sequence[Mapping[str, Any]], *, source: str = "pickups"
) -> tuple[PickupPoint, ...]:
    """Validate pickup records (dicts), reporting every bad record at once."""
    if not records:
        raise InputError([InputProblem(source, "", "no pickups; add at least one row")])
    out: list[PickupPoint] = []
    problems: list[InputProblem] = []
    for n, raw in enumerate(records, start=1):
        rec = _pickup_record(raw)
        name = f"pickup {rec['id']!r}" if rec.get("id") else f"{source} row {n}"
        try:
            out.append(PickupPoint.model_validate(rec))
        except ValidationError as exc:
            for err in exc.errors():
                field = to_file_names(".".join(str(x) for x in err["loc"]) or "row")
                msg = to_file_names(str(err["msg"]).removeprefix("Value error, "))
                problems.append(InputProblem(name, field, f"{msg} (got {err.get('input')!r})"))
    if problems:
        raise InputError(problems)
    return tuple(out)


def read_pickups(path: str | Path) -> tuple[PickupPoint, ...]:
    """Read pickups from CSV (``lon``/``lat`` columns) or GeoJSON/GeoPackage points.

    Raises
    ------
    InputError
        Naming each bad row and field; for a missing or unreadable file, the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([InputProblem(str(path), "", "file not found; check the path")])
    if path.suffix.lower() == ".csv":
        return pickups_from_records(_read_csv(path), source=path.name)
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable data
        raise InputError(
            [InputProblem(str(path), "", f"cannot read as GeoJSON/GeoPackage points: {exc}")]
        ) from None
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    records = []
    for n, row in enumerate(gdf.itertuples(index=False), start=1):
        rec = {k: v for k, v in row._asdict().items() if k != "geometry"}
        geom = row.geometry
        if geom is None or geom.geom_type != "Point":
            raise InputError([InputProblem(f"{path.name} row {n}", "geometry", "expected a Point")])
        rec["lon"], rec["lat"] = geom.x, geom.y
        records.append({k: (None if v != v else v) for k, v in rec.items()})  # NaN -> None
    return pickups_from_records(records, source=path.name)


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            [InputProblem(path.name, "", "not UTF-8 text; save the file as UTF-8 CSV")]
        ) from None
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError([InputProblem(path.name, "", f"not valid CSV: {exc}")]) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError([InputProblem(path.name, "", "empty file; expected a header row")])
    header = [h.strip() for h in rows[0]]
    problems = []
    for col in ("id", "lon", "lat"):
        if col not in header:
            problems.append(
                InputProblem(
                    path.name, col, f"missing column {col!r}; columns are {PICKUP_COLUMNS}"
                )
            )
    unknown = [h for h in header if h not in PICKUP_COLUMNS and h not in ALIASES.values()]
    for col in unknown:
        problems.append(
            InputProblem(path.name, col, f"unknown column {col!r}; columns are {PICKUP_COLUMNS}")
        )
    records = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append(
                InputProblem(
                    f"{path.name} line {n}",
                    "row",
                    f"has {len(row)} cells but the header has {len(header)}; check commas",
                )
            )
            continue
        records.append(dict(zip(header, row, strict=True)))
    if problems:
        raise InputError(problems)
    return records


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError([InputProblem(str(path), "", "file not found; check the path")])
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(path.name, "", f"not valid TOML: {exc}")]) from None


def fleet_from_records(
    records: Sequence[Mapping[str, Any]], *, source: str = "fleet"
) -> tuple[VehicleType, ...]:
    """Validate vehicle type records, reporting every bad one at once."""
    if not records:
        raise InputError(
            [InputProblem(source, "vehicle_type", "no vehicle types; add a [[vehicle_type]] table")]
        )
    out: list[VehicleType] = []
    problems: list[InputProblem] = []
    for n, raw in enumerate(records, start=1):
        rec = _rename(raw)
        if isinstance(rec.get("driver_break"), Mapping):
            rec["driver_break"] = _rename(rec["driver_break"])
        if isinstance(rec.get("avoid_road_classes"), list):
            rec["avoid_road_classes"] = tuple(rec["avoid_road_classes"])
        name = f"vehicle type {rec['name']!r}" if rec.get("name") else f"vehicle type #{n}"
        try:
            out.append(VehicleType.model_validate(rec))
        except ValidationError as exc:
            for err in exc.errors():
                field = to_file_names(".".join(str(x) for x in err["loc"]) or "table")
                msg = to_file_names(str(err["msg"]).removeprefix("Value error, "))
                problems.append(InputProblem(f"{source}: {name}", field, msg))
    if problems:
        raise InputError(problems)
    return tuple(out)


def read_fleet(path: str | Path) -> tuple[VehicleType, ...]:
    """Read a fleet TOML file: one ``[[vehicle_type]]`` table per kind of vehicle."""
    path = Path(path)
    data = _read_toml(path)
    records = data.get("vehicle_type", data.get("vehicle_types", []))
    if not isinstance(records, list):
        raise InputError(
            [InputProblem(path.name, "vehicle_type", "expected [[vehicle_type]] tables")]
        )
    # TOML has no null: a vehicle type without ``count`` is an unlimited hire fleet.
    records = [{**r, "count": r.get("count")} if isinstance(r, Mapping) else r for r in records]
    return fleet_from_records(records, source=path.name)


def parse_lonlat(text: str, *, what: str = "hub") -> tuple[float, float]:
    """Parse ``"LON,LAT"``."""
    try:
        lon_s, lat_s = text.split(",")
        lon, lat = float(lon_s), float(lat_s)
    except ValueError:
        raise InputError(
            [
                InputProblem(
                    what, "lon,lat", f"expected 'LON,LAT' such as '101.99,24.07', got {text!r}"
                )
            ]
        ) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(
            [InputProblem(what, "lon,lat", f"({lon}, {lat}) is out of range; give longitude first")]
        )
    return lon, lat


@dataclass(frozen=True)
class Scenario:
    """A problem plus where its road network is and how long to solve."""

    problem: Problem
    network_path: Path | None
    time_limit_s: float
    root: Path


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML: ``[hub]`` (or ``[[hubs]]``), ``[files]``, ``[solve]``, the day's
    ``closed_roads`` and its ``[[locked_runs]]`` (runs already on the road)."""
    path = Path(path)
    data = _read_toml(path)
    root = path.parent
    files = data.get("files", {})
    hubs_raw = data.get("hubs") or ([data["hub"]] if "hub" in data else [])
    if not hubs_raw:
        raise InputError([InputProblem(path.name, "hub", "missing [hub] table")])
    for key in ("pickups", "fleet"):
        if key not in files:
            raise InputError([InputProblem(path.name, f"files.{key}", "missing; give a path")])
    time_limit_s = _scenario_time_limit(path.name, data.get("solve", {}))
    pickups = read_pickups(root / files["pickups"])
    fleet = read_fleet(root / files["fleet"])
    problem = problem_from_dict(
        {
            "name": data.get("name", path.stem),
            "hubs": [_rename(h) for h in hubs_raw],
            "pickups": list(pickups),
            "vehicle_types": list(fleet),
            "closed_roads": tuple(data.get("closed_roads", ())),
            "locked_runs": data.get("locked_runs", []),
            "split_oversize": bool(data.get("split_oversize", False)),
        }
    )
    net = files.get("roads")
    return Scenario(
        problem=problem,
        network_path=(root / net) if net else None,
        time_limit_s=time_limit_s,
        root=root,
    )


def _scenario_time_limit(source: str, solve: Any) -> float:
    """``[solve] time_limit_s``: a positive number of seconds (10 when left out)."""
    value = solve.get("time_limit_s", 10.0) if isinstance(solve, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(
            [
                InputProblem(
                    source,
                    "solve.time_limit_s",
                    f"{value!r} is not a positive number of seconds; give e.g. 10",
                )
            ]
        )
    return float(value)


def scenario_road_options(path: str | Path) -> tuple[Path | None, str]:
    """``[files] elevation`` (SRTM tiles) and ``road_profile`` of a scenario, for OSM roads."""
    path = Path(path)
    files = _read_toml(path).get("files", {})
    elevation = files.get("elevation")
    return (path.parent / elevation if elevation else None), str(
        files.get("road_profile", "rural_china")
    )


def make_problem(
    *,
    hubs: Sequence[Hub],
    pickups: Sequence[PickupPoint],
    fleet: Sequence[VehicleType],
    name: str = "plan",
    **extra: Any,
) -> Problem:
    """Assemble and validate a :class:`Problem`, reporting every problem at once."""
    data = {
        "name": name,
        "hubs": list(hubs),
        "pickups": list(pickups),
        "vehicle_types": list(fleet),
        **extra,
    }
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        raise input_error_from_validation(exc, data) from None


# --------------------------------------------------------------------------- writers


def plan_to_json(plan: Plan) -> str:
    """The plan as ``plan.json`` text (the schema the service also returns)."""
    return plan.model_dump_json(indent=2)


def plan_from_json(text: str) -> Plan:
    """Read a ``plan.json`` back."""
    try:
        return Plan.model_validate_json(text)
    except ValidationError as exc:
        raise InputError(
            [
                InputProblem(
                    "plan.json",
                    "",
                    f"not a hubroute plan: {exc.error_count()} problems, "
                    f"first: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}",
                )
            ]
        ) from None


def read_plan(path: str | Path) -> Plan:
    """Read a ``plan.json`` file."""
    path = Path(path)
    if not path.is_file():
        raise InputError([InputProblem(str(path), "", "file not found; check the path")])
    return plan_from_json(path.read_text(encoding="utf-8"))


def plan_to_geojson(plan: Plan, *, hubs: Sequence[Hub] = ()) -> dict[str, Any]:
    """One LineString per run along the roads, a Point per stop, hub and unassigned."""
    features: list[dict[str, Any]] = []
    for h in hubs:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
                "properties": {"kind": "hub", "id": h.id, "name": h.name},
            }
        )
    for r in plan.runs:
        coords = [list(c) for c in r.path] or [list(s.location) for s in r.stops]
        if len(coords) == 1:
            coords = coords * 2
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "kind": "run",
                    "vehicle": r.vehicle,
                    "vehicle_type": r.vehicle_type,
                    "run": r.run,
                    "distance_km": r.distance_km,
                    "duration_h": r.duration_h,
                    "parcels": r.parcels,
                    "cost_rmb": r.cost_rmb,
                    "start_time": r.start_time,
                    "end_time": r.end_time,
                    "stops": len(r.stops),
                },
            }
        )
        for n, s in enumerate(r.stops, start=1):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                    "properties": {
                        "kind": "stop",
                        "vehicle": r.vehicle,
                        "run": r.run,
                        "sequence": n,
                        "pickup_id": s.pickup_id,
                        "village": s.village,
                        "arrival_time": s.arrival_time,
                        "parcels": s.parcels,
                        "delivery_parcels": s.delivery_parcels,
                        "load_parcels": s.load_parcels,
                        "cost_rmb": s.cost_rmb,
                        "cost_per_parcel_rmb": s.cost_per_parcel_rmb,
                    },
                }
            )
    for u in plan.unassigned:
        if u.location is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(u.location)},
                "properties": {
                    "kind": "unassigned",
                    "pickup_id": u.pickup_id,
                    "village": u.village,
                    "reason": u.reason.value,
                    "detail": u.detail,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


RUNS_CSV_COLUMNS = (
    "vehicle",
    "vehicle_type",
    "run",
    "sequence",
    "pickup_id",
    "village",
    "lon",
    "lat",
    "arrival_time",
    "departure_time",
    "parcels",
    "weight_kg",
    "delivery_parcels",
    "load_parcels",
    "load_kg",
    "cost_rmb",
    "cost_per_parcel_rmb",
    "run_distance_km",
    "run_duration_h",
    "run_cost_rmb",
)


def plan_to_runs_csv(plan: Plan) -> str:
    """One row per stop, in driving order, with its run's totals."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # Three-tier plans say each run's tier and where its load is handed over.
    tiered = any(r.tier for r in plan.runs)
    w.writerow([*RUNS_CSV_COLUMNS, *(("tier", "handover") if tiered else ())])
    for r in plan.runs:
        for n, s in enumerate(r.stops, start=1):
            w.writerow(
                [
                    r.vehicle,
                    r.vehicle_type,
                    r.run,
                    n,
                    s.pickup_id,
                    s.village,
                    s.lon,
                    s.lat,
                    s.arrival_time,
                    s.departure_time,
                    s.parcels,
                    s.weight_kg,
                    s.delivery_parcels,
                    s.load_parcels,
                    s.load_kg,
                    f"{s.cost_rmb:.2f}",
                    "" if s.cost_per_parcel_rmb is None else f"{s.cost_per_parcel_rmb:.2f}",
                    r.distance_km,
                    r.duration_h,
                    f"{r.cost_rmb:.2f}",
                    *((r.tier or "", r.handover) if tiered else ()),
                ]
            )
    return buf.getvalue()


def plan_to_villages_csv(plan: Plan) -> str:
    """The per-village table: parcels, RMB, RMB per parcel and savings."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "village",
            "township",
            "pickups",
            "parcels",
            "cost_rmb",
            "cost_per_parcel_rmb",
            "baseline_direct_per_parcel_rmb",
            "saving_per_parcel_rmb",
        ]
    )
    for v in plan.villages:
        w.writerow(
            [
                v.village,
                v.township,
                v.pickups,
                v.parcels,
                f"{v.cost_rmb:.2f}",
                "" if v.cost_per_parcel_rmb is None else f"{v.cost_per_parcel_rmb:.2f}",
                ""
                if v.baseline_direct_per_parcel_rmb is None
                else f"{v.baseline_direct_per_parcel_rmb:.2f}",
                "" if v.saving_per_parcel_rmb is None else f"{v.saving_per_parcel_rmb:.2f}",
            ]
        )
    return buf.getvalue()


def write_outputs(plan: Plan, out_dir: str | Path, *, hubs: Sequence[Hub] = ()) -> dict[str, Path]:
    """Write plan.json, routes.geojson, runs.csv and villages.csv into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "plan": out / "plan.json",
        "routes": out / "routes.geojson",
        "runs": out / "runs.csv",
        "villages": out / "villages.csv",
    }
    paths["plan"].write_text(plan_to_json(plan), encoding="utf-8")
    paths["routes"].write_text(json.dumps(plan_to_geojson(plan, hubs=hubs)), encoding="utf-8")
    paths["runs"].write_text(plan_to_runs_csv(plan), encoding="utf-8")
    paths["villages"].write_text(plan_to_villages_csv(plan), encoding="utf-8")
    return paths
