"""Reading a plan-batch manifest: one planning problem per hub, every problem reported at once."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routing.build import check_fits
from routing.cost_model import CostModel, read_cost_model
from routing.errors import InputError, NetworkError
from routing.errors import Problem as InputProblem
from routing.io import make_problem, read_fleet, read_pickups
from routing.model import Hub, Problem
from routing.network import MAX_SNAP_M, Node, RoadNetwork, without_roads
from routing.options import SolveOptions
from routing.paths import snap_points
from routing.road_file import network_from_file

#: Columns of a CSV manifest (``hub_lon``/``hub_lat`` WGS84 degrees; ``closed_roads``,
#: ``allocation`` and ``engines`` are lists separated by ``;`` or ``,``).
MANIFEST_COLUMNS = (
    "name",
    "hub_id",
    "hub_name",
    "hub_lon",
    "hub_lat",
    "pickups",
    "network",
    "fleet",
    "cost_model",
    "closed_roads",
    "time_limit_s",
    "seed",
    "iterations",
    "allocation",
    "engines",
)

#: Solver options a problem may set (:meth:`SolveOptions.from_mapping` reads them).
OPTION_KEYS = ("time_limit_s", "seed", "iterations", "allocation", "engines", "baselines")

#: Keys of a ``[[problem]]`` table (besides ``[problem.hub]`` and ``[[problem.locked_runs]]``)
#: and of the manifest's top level, where they are defaults for every problem.
PROBLEM_KEYS = ("name", "pickups", "network", "fleet", "cost_model", "closed_roads", *OPTION_KEYS)

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


def read_manifest(path: str | Path, *, max_snap_m: float = MAX_SNAP_M) -> Manifest:
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
    found: list[InputProblem] = []
    good: list[BatchProblem] = []
    seen: dict[str, int] = {}
    for row, raw in enumerate(rows, start=1):
        where = _record(path.name, row, raw.get("name"))
        if "_bad" in raw:
            found.append(InputProblem(where, "", str(raw["_bad"])))
            continue
        item = _read_problem(Row(row, where, path.parent, raw), seen, found, max_snap_m)
        if item is not None:
            good.append(item)
    networks, nodes = _networks(path.name, good, found, max_snap_m=max_snap_m)
    if found:
        raise InputError(found)
    return Manifest(
        name=manifest_name, path=path, problems=tuple(good), networks=networks, nodes=nodes
    )


@dataclass(frozen=True)
class Row:
    """One raw manifest problem and where it stands."""

    number: int
    where: str
    """The record name of its problems: ``"batch.toml: problem #2 'x'"``."""
    root: Path
    """The manifest's folder: relative paths start here."""
    raw: Mapping[str, Any]


def _read_problem(
    row: Row, seen: dict[str, int], found: list[InputProblem], max_snap_m: float
) -> BatchProblem | None:
    """Validate one manifest problem; add its problems to ``found``."""
    before = len(found)
    found.extend(
        InputProblem(row.where, key, f"unknown key; use one of {(*PROBLEM_KEYS, 'hub')}")
        for key in sorted(set(row.raw) - {*PROBLEM_KEYS, "hub", "locked_runs"})
    )
    name = _name(row, seen, found)
    options = _options(row, found, max_snap_m)
    hub = _hub(row, name, found)
    files = _files(row, found)
    pickups = _read_file(row, files, "pickups", read_pickups, found)
    fleet = _read_file(row, files, "fleet", read_fleet, found)
    closed_roads = _names(row.raw.get("closed_roads"))
    if closed_roads is None:
        found.append(
            InputProblem(
                row.where,
                "closed_roads",
                f"got {row.raw['closed_roads']!r}; give a list of road ids from the road file",
            )
        )
    if (
        len(found) > before
        or name is None
        or options is None
        or hub is None
        or closed_roads is None
    ):
        return None
    try:
        problem = make_problem(
            hubs=[hub],
            pickups=pickups,
            fleet=fleet,
            name=name,
            closed_roads=closed_roads,
            locked_runs=list(row.raw.get("locked_runs") or ()),
        )
        check_fits(problem)
    except InputError as exc:
        found.extend(
            InputProblem(
                row.where,
                p.field or "problem",
                f"{p.record}: {p.message}" if p.record else p.message,
            )
            for p in exc.problems
        )
        return None
    return BatchProblem(row.number, name, problem, files.get("network"), options)


def _names(raw: Any) -> tuple[str, ...] | None:
    """A list from TOML, or ``;``/``,``-separated text from a CSV cell; None if neither."""
    if isinstance(raw, str):
        return tuple(x.strip() for x in re.split(r"[;,]", raw) if x.strip())
    if raw is None:
        return ()
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(raw)
    return None


def _name(row: Row, seen: dict[str, int], found: list[InputProblem]) -> str | None:
    name = row.raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        found.append(
            InputProblem(
                row.where,
                "name",
                f"got {name!r}; give a name of letters, digits, '.', '_' or '-' "
                "(it names the output folder)",
            )
        )
        return None
    if name in seen:
        found.append(
            InputProblem(
                row.where, "name", f"also used by problem #{seen[name]}; names must be unique"
            )
        )
        return None
    seen[name] = row.number
    return name


def _options(row: Row, found: list[InputProblem], max_snap_m: float) -> SolveOptions | None:
    """The problem's solver options and cost model, through the one options contract."""
    cost_model: CostModel | None = None
    model_file = row.raw.get("cost_model")
    if model_file not in (None, ""):
        try:
            cost_model = read_cost_model(row.root / str(model_file))
        except InputError as exc:
            found.extend(InputProblem(row.where, "cost_model", str(p)) for p in exc.problems)
    given = {k: row.raw[k] for k in OPTION_KEYS if k in row.raw}
    for key in ("allocation", "engines"):
        if isinstance(given.get(key), str):
            given[key] = list(_names(given[key]) or ())
    try:
        return SolveOptions.from_mapping(
            # One process per problem: Dask already runs one problem per core.
            {**given, "max_snap_m": max_snap_m, "workers": 1},
            cost_model=cost_model,
            record=row.where,
        )
    except InputError as exc:
        found.extend(exc.problems)
        return None


def _hub(row: Row, name: str | None, found: list[InputProblem]) -> Hub | None:
    hub_raw = row.raw.get("hub")
    if not isinstance(hub_raw, dict) or "lon" not in hub_raw or "lat" not in hub_raw:
        found.append(
            InputProblem(
                row.where,
                "hub",
                "missing hub position; give [problem.hub] lon and lat (CSV: hub_lon, hub_lat)",
            )
        )
        return None
    try:
        return Hub.model_validate({"id": f"hub-{name}" if name else "hub", **hub_raw})
    except ValidationError as exc:
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"])
            found.append(
                InputProblem(row.where, f"hub.{loc}", f"{e['msg']} (got {e.get('input')!r})")
            )
        return None


def _files(row: Row, found: list[InputProblem]) -> dict[str, Path | None]:
    files: dict[str, Path | None] = {}
    for key, required in (("pickups", True), ("fleet", True), ("network", False)):
        value = row.raw.get(key)
        files[key] = None
        if value in (None, ""):
            if required:
                found.append(InputProblem(row.where, key, f"missing; give the {key} file's path"))
            continue
        file = row.root / str(value)
        if file.is_file():
            files[key] = file
        else:
            found.append(
                InputProblem(row.where, key, f"{file} not found; paths are relative to {row.root}")
            )
    return files


def _read_file(
    row: Row,
    files: Mapping[str, Path | None],
    key: str,
    reader: Callable[[Path], Any],
    found: list[InputProblem],
) -> Any:
    source = files.get(key)
    if source is None:
        return None
    try:
        return reader(source)
    except InputError as exc:
        found.extend(InputProblem(row.where, key, f"{source.name}: {p}") for p in exc.problems)
        return None


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
            field = "closed_roads"
            try:
                # Snapped as plan_day snaps: on the roads left open today.
                open_roads = networks[net_path]
                if pr.closed_roads:
                    open_roads = without_roads(open_roads, pr.closed_roads)
                field = "pickups"
                snapped = snap_points(open_roads, points, max_snap_m=max_snap_m, kind="point")
            except NetworkError as exc:
                found.extend(
                    InputProblem(_record(manifest, bp.row, bp.name), field, str(p))
                    for p in exc.problems
                )
                continue
            nodes[bp.name] = tuple(snapped.nodes)
    return networks, nodes
