"""Reading a plan-batch manifest: one planning problem per hub, every problem reported at once."""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routing.build import check_fits
from routing.errors import InputError, NetworkError
from routing.errors import Problem as InputProblem
from routing.io import make_problem, read_fleet, read_pickups
from routing.model import Hub, Problem
from routing.network import Node, RoadNetwork
from routing.paths import snap_points
from routing.pipeline import (
    SolveOptions,
)
from routing.road_file import network_from_file

#: Columns of a CSV manifest (``hub_lon``/``hub_lat`` WGS84 degrees).
MANIFEST_COLUMNS = (
    "name",
    "hub_id",
    "hub_name",
    "hub_lon",
    "hub_lat",
    "pickups",
    "network",
    "fleet",
    "time_limit_s",
    "seed",
    "iterations",
)

#: Keys of a ``[[problem]]`` table (besides ``[problem.hub]``) and of the manifest's
#: top level, where they are defaults for every problem.
PROBLEM_KEYS = ("name", "pickups", "network", "fleet", "time_limit_s", "seed", "iterations")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class BatchProblem:
    """One row of the manifest, validated: the problem and how to solve it."""

    row: int
    """1-based position in the manifest."""
    name: str
    """Unique; also the output folder name."""
    problem: Problem
    network_path: Path | None
    """Road file; None plans on straight-line estimates."""
    options: SolveOptions


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: its problems, with road networks read and points snapped."""

    name: str
    path: Path
    problems: tuple[BatchProblem, ...]
    networks: Mapping[Path, RoadNetwork] = field(default_factory=dict)
    """Each distinct road file, read once."""
    nodes: Mapping[str, tuple[Node, ...]] = field(default_factory=dict)
    """Problem name -> road node of each hub then each pickup (problems with a network)."""


def _record(manifest: str, row: int, name: object) -> str:
    label = f"problem #{row}" + (f" {name!r}" if isinstance(name, str) and name else "")
    return f"{manifest}: {label}"


def _raw_rows(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """Read the manifest file into plain per-problem dicts (defaults applied)."""
    if not path.is_file():
        raise InputError(InputProblem(str(path), "", "file not found; check the path"))
    if path.suffix.lower() == ".csv":
        return path.stem, _csv_rows(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(InputProblem(path.name, "", f"not valid TOML: {exc}")) from None
    problems = data.get("problem", data.get("problems"))
    if not isinstance(problems, list) or not problems:
        raise InputError(InputProblem(path.name, "problem", "no problems; add [[problem]] tables"))
    defaults = {k: data[k] for k in PROBLEM_KEYS if k in data and k != "name"}
    rows = []
    for raw in problems:
        if not isinstance(raw, dict):
            rows.append({"_bad": "expected a [[problem]] table"})
            continue
        rows.append({**defaults, **raw})
    name = data.get("name", path.stem)
    return (name if isinstance(name, str) else path.stem), rows


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(InputProblem(path.name, "", "not UTF-8 text; save as UTF-8 CSV")) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    problems = [
        InputProblem(path.name, col, f"unknown column {col!r}; columns are {MANIFEST_COLUMNS}")
        for col in header
        if col not in MANIFEST_COLUMNS
    ]
    problems += [
        InputProblem(path.name, col, f"missing column {col!r}; columns are {MANIFEST_COLUMNS}")
        for col in ("name", "hub_lon", "hub_lat", "pickups", "fleet")
        if col not in header
    ]
    if problems:
        raise InputError(problems)
    rows: list[dict[str, Any]] = []
    for raw in reader:
        rec = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(rec.values()):
            continue
        hub = {
            key: rec.pop(f"hub_{key}")
            for key in ("id", "name", "lon", "lat")
            if rec.get(f"hub_{key}")
        }
        rows.append({**{k: v for k, v in rec.items() if v != "" and k in PROBLEM_KEYS}, "hub": hub})
    if not rows:
        raise InputError(InputProblem(path.name, "", "no problems; add one row per problem"))
    return rows


def _number(
    value: str | int | float, *, kind: type[int] | type[float], low: float, field_name: str
) -> tuple[int | float | None, str | None]:
    """Parse a number from TOML or CSV text; return it or the reason it is wrong."""
    if isinstance(value, bool):
        return None, f"expected a number, got {value!r}"
    try:
        number = kind(value) if not isinstance(value, str) else kind(value.strip())
    except (TypeError, ValueError):
        return None, f"expected {'a whole' if kind is int else 'a'} number, got {value!r}"
    if not (math.isfinite(number) and number >= low):
        return None, f"{field_name} must be at least {low:g}, got {value!r}"
    return number, None


def read_manifest(path: str | Path, *, max_snap_m: float = 2000.0) -> Manifest:
    """Read and validate a batch manifest, its files and road networks.

    Each distinct road file is read once; every hub and pickup is snapped to it.

    Parameters
    ----------
    path
        A TOML manifest (``[[problem]]`` tables) or a CSV one (:data:`MANIFEST_COLUMNS`).
        Relative paths inside it are relative to its folder.
    max_snap_m
        Farthest a hub or pickup may be from the nearest road, metres (default 2000).

    Returns
    -------
    Manifest
        The problems in manifest order, the road networks and each problem's nodes.

    Raises
    ------
    InputError
        Listing every bad row, field, file and off-road point at once, each with its
        problem number and name and how to fix it.
    """
    path = Path(path)
    manifest_name, rows = _raw_rows(path)
    root = path.parent
    found: list[InputProblem] = []
    good: list[BatchProblem] = []
    seen: dict[str, int] = {}
    for row, raw in enumerate(rows, start=1):
        before = len(found)
        name = raw.get("name")
        where = _record(path.name, row, name)
        if "_bad" in raw:
            found.append(InputProblem(where, "", str(raw["_bad"])))
            continue
        unknown = sorted(set(raw) - {*PROBLEM_KEYS, "hub"})
        for key in unknown:
            found.append(InputProblem(where, key, f"unknown key; use one of {PROBLEM_KEYS}"))
        if not isinstance(name, str) or not _NAME.match(name):
            found.append(
                InputProblem(
                    where,
                    "name",
                    f"got {name!r}; give a name of letters, digits, '.', '_' or '-' "
                    "(it names the output folder)",
                )
            )
        elif name in seen:
            found.append(
                InputProblem(
                    where, "name", f"also used by problem #{seen[name]}; names must be unique"
                )
            )
        else:
            seen[name] = row
        # numbers
        limit, err = _number(
            raw.get("time_limit_s", 10.0), kind=float, low=0.01, field_name="time_limit_s"
        )
        if err:
            found.append(InputProblem(where, "time_limit_s", f"{err}; seconds of solver time"))
        seed, err = _number(raw.get("seed", 0), kind=int, low=0, field_name="seed")
        if err:
            found.append(InputProblem(where, "seed", f"{err}; a whole number from 0"))
        iterations: int | float | None = None
        if raw.get("iterations") not in (None, ""):
            iterations, err = _number(raw["iterations"], kind=int, low=1, field_name="iterations")
            if err:
                found.append(
                    InputProblem(where, "iterations", f"{err}; leave empty for the clock only")
                )
        # hub
        hub: Hub | None = None
        hub_raw = raw.get("hub")
        if not isinstance(hub_raw, dict) or "lon" not in hub_raw or "lat" not in hub_raw:
            found.append(
                InputProblem(
                    where,
                    "hub",
                    "missing hub position; give [problem.hub] lon and lat (CSV: hub_lon, hub_lat)",
                )
            )
        else:
            try:
                hub = Hub.model_validate(
                    {"id": f"hub-{name}" if isinstance(name, str) else "hub", **hub_raw}
                )
            except ValueError as exc:
                for e in getattr(exc, "errors", lambda: [])():
                    loc = ".".join(str(x) for x in e["loc"])
                    found.append(
                        InputProblem(where, f"hub.{loc}", f"{e['msg']} (got {e.get('input')!r})")
                    )
        # files
        files: dict[str, Path | None] = {}
        for key, required in (("pickups", True), ("fleet", True), ("network", False)):
            value = raw.get(key)
            if value in (None, ""):
                if required:
                    found.append(InputProblem(where, key, f"missing; give the {key} file's path"))
                files[key] = None
                continue
            file = root / str(value)
            if not file.is_file():
                found.append(
                    InputProblem(where, key, f"{file} not found; paths are relative to {root}")
                )
                files[key] = None
            else:
                files[key] = file
        pickups = fleet = None
        for key, reader in (("pickups", read_pickups), ("fleet", read_fleet)):
            source = files.get(key)
            if source is None:
                continue
            try:
                value = reader(source)
            except InputError as exc:
                found.extend(InputProblem(where, key, f"{source.name}: {p}") for p in exc.problems)
                continue
            if key == "pickups":
                pickups = value
            else:
                fleet = value
        if len(found) > before or hub is None or pickups is None or fleet is None:
            continue
        assert isinstance(name, str)
        assert limit is not None
        assert seed is not None
        try:
            problem = make_problem(hubs=[hub], pickups=pickups, fleet=fleet, name=name)  # type: ignore[arg-type]
            check_fits(problem)
        except InputError as exc:
            found.extend(
                InputProblem(
                    where,
                    p.field or "problem",
                    f"{p.record}: {p.message}" if p.record else p.message,
                )
                for p in exc.problems
            )
            continue
        options = SolveOptions(
            time_limit_s=float(limit),
            seed=int(seed),
            iterations=None if iterations is None else int(iterations),
            max_snap_m=max_snap_m,
            # One process per problem: Dask already runs one problem per core.
            workers=1,
        )
        good.append(BatchProblem(row, name, problem, files.get("network"), options))
    networks, nodes = _networks(path.name, good, found, max_snap_m=max_snap_m)
    if found:
        raise InputError(found)
    return Manifest(
        name=manifest_name, path=path, problems=tuple(good), networks=networks, nodes=nodes
    )


def _networks(
    manifest: str,
    problems: Sequence[BatchProblem],
    found: list[InputProblem],
    *,
    max_snap_m: float,
) -> tuple[dict[Path, RoadNetwork], dict[str, tuple[Node, ...]]]:
    """Read each road file once and snap every problem's hub and pickups to it."""
    networks: dict[Path, RoadNetwork] = {}
    nodes: dict[str, tuple[Node, ...]] = {}
    for net_path in sorted({p.network_path for p in problems if p.network_path is not None}):
        users = [p for p in problems if p.network_path == net_path]
        try:
            networks[net_path] = network_from_file(net_path)
        except InputError as exc:
            first = users[0]
            for p in exc.problems:
                found.append(
                    InputProblem(
                        _record(manifest, first.row, first.name),
                        "network",
                        f"{net_path.name} (used by {len(users)} problems): {p}",
                    )
                )
            continue
        for bp in users:
            pr = bp.problem
            points = [(h.id, h.lon, h.lat) for h in pr.hubs] + [
                (p.id, p.lon, p.lat) for p in pr.pickups
            ]
            try:
                snapped = snap_points(
                    networks[net_path], points, max_snap_m=max_snap_m, kind="point"
                )
            except NetworkError as exc:
                found.extend(
                    InputProblem(_record(manifest, bp.row, bp.name), "pickups", str(p))
                    for p in exc.problems
                )
                continue
            nodes[bp.name] = tuple(snapped.nodes)
    return networks, nodes
