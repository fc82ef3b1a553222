"""Batch planning: many hub problems from one manifest, each solved as one Dask task.

Data flows ``manifest (TOML or CSV) -> validated problems + road networks (once per
file) -> one shared node-to-node travel matrix per network and road profile -> one
Dask task per problem -> plan.json, routes.geojson, runs.csv, villages.csv per problem
-> summary.csv (per problem) and hubs.csv (per hub)``.

The manifest is checked completely before anything is solved: every bad row, file,
road network and off-road point is reported in one :class:`InputError`.

A road network is read once on the client, scattered to every worker
(``client.scatter(network, broadcast=True)``) and shared by all tasks that use it.
The travel matrix over every distinct road node of every problem on that network is
computed once, as a Dask task, and each problem takes its rows and columns from it:
the same integers a per-problem matrix would hold (Dijkstra from a node does not
depend on the other sources), so the plans are those of :func:`routing.pipeline.plan_day`.

Reproducibility: give each problem ``iterations`` (with a ``time_limit_s`` it does not
reach) and OR-Tools stops on a solution count, so the same manifest gives the same
plans on one process, on a :class:`distributed.LocalCluster` or on a remote cluster.

Manifest (TOML)::

    name = "xinping-20-hubs"
    network = "roads.geojson"        # defaults for every [[problem]]
    time_limit_s = 5
    iterations = 50

    [[problem]]
    name = "xinping-01-guishan"       # the output folder name
    pickups = "01-guishan/pickups.csv"
    fleet = "01-guishan/fleet.toml"
    seed = 0
    [problem.hub]
    id = "hub-guishan"
    name = "Guishan collection point"
    lon = 101.988745
    lat = 24.072919

Manifest (CSV): one row per problem with the columns :data:`MANIFEST_COLUMNS`.
Paths are relative to the manifest's folder.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import re
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from routing.build import check_fits
from routing.errors import HubrouteError, InputError, NetworkError
from routing.errors import Problem as InputProblem
from routing.io import make_problem, read_fleet, read_pickups, write_outputs
from routing.matrix import (
    MatrixProvider,
    RoadMatrixProvider,
    TravelMatrix,
    travel_matrix,
)
from routing.model import Hub, Plan, Problem
from routing.network import Node, RoadNetwork, network_from_file, path_lonlat, snap_points
from routing.pipeline import (
    SolveOptions,
    matrices_for,
    plan_day,
    plan_with_matrices,
    price_plan,
)

if TYPE_CHECKING:
    from distributed import Client
    from rich.console import Console
    from rich.table import Table

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

#: Above this many distinct road nodes on one network the shared matrix (``n x n``
#: int64 twice per profile: 2000 nodes is 64 MB) is not built; each task then routes
#: its own problem on the shared network instead.
SHARED_MATRIX_MAX_NODES = 2000

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


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class NodeMatrices:
    """Travel matrices between road nodes of one network, one per road profile."""

    nodes: tuple[Node, ...]
    by_profile: Mapping[str, TravelMatrix]

    def for_problem(self, problem: Problem, nodes: Sequence[Node]) -> dict[str, TravelMatrix]:
        """The problem's matrices (ids: hub ids then pickup ids), cut from these."""
        position = {n: i for i, n in enumerate(self.nodes)}
        take = [position[n] for n in nodes]
        grid = np.ix_(take, take)
        ids = tuple([h.id for h in problem.hubs] + [p.id for p in problem.pickups])
        return {
            key: TravelMatrix(
                ids=ids, distance_m=m.distance_m[grid], duration_s=m.duration_s[grid], profile=key
            )
            for key, m in self.by_profile.items()
        }


def node_matrices(
    network: RoadNetwork, nodes: Sequence[Node], profiles: Mapping[str, tuple[str, ...]]
) -> NodeMatrices:
    """Travel matrices between ``nodes`` (distinct road nodes) for each road profile.

    Parameters
    ----------
    network
        The road network.
    nodes
        Distinct graph nodes.
    profiles
        Profile name (``VehicleType.profile``) -> road classes it avoids.

    Returns
    -------
    NodeMatrices
        One :class:`TravelMatrix` per profile, rows and columns in ``nodes`` order.
    """
    ids = [str(n) for n in nodes]
    return NodeMatrices(
        nodes=tuple(nodes),
        by_profile={
            key: travel_matrix(network, nodes, ids, avoid_road_classes=avoid)
            for key, avoid in profiles.items()
        },
    )


def road_paths(
    network: RoadNetwork, problem: Problem, nodes: Sequence[Node]
) -> Callable[[Sequence[Sequence[str]], str], list[list[tuple[float, float]]]]:
    """The run-geometry function :func:`plan_with_matrices` takes, as in :func:`plan_day`."""
    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    node_of = dict(zip(ids, nodes, strict=True))
    avoid = {vt.profile: vt.avoid_road_classes for vt in problem.vehicle_types}

    def paths(sequences: Sequence[Sequence[str]], profile: str) -> list[list[tuple[float, float]]]:
        return path_lonlat(
            network,
            [[node_of[i] for i in seq] for seq in sequences],
            avoid_road_classes=avoid.get(profile, ()),
        )

    return paths


@dataclass(frozen=True)
class ProblemOutcome:
    """What a batch task returns (plain, picklable)."""

    name: str
    plan: Plan | None
    error_code: str = ""
    error: str = ""
    worker: str = ""
    wall_s: float = 0.0


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def solve_batch_problem(
    item: BatchProblem,
    nodes: tuple[Node, ...] | None,
    network: RoadNetwork | None,
    shared: NodeMatrices | None,
) -> ProblemOutcome:
    """Solve one manifest problem (the Dask task; module-level so it pickles by name).

    Parameters
    ----------
    item
        The problem and its options.
    nodes
        Road node of each hub then pickup (None without a network).
    network
        The shared road network, or None for straight-line estimates.
    shared
        The network's shared node matrices, or None to route this problem alone.

    Returns
    -------
    ProblemOutcome
        The plan, or the error code and message of a hubroute error (bad input or a
        failed solve) so that a bad problem does not fail the batch.
    """
    started = time.perf_counter()
    try:
        if network is None or nodes is None:
            plan = plan_day(item.problem, network=None, options=item.options)
        elif network.graph.graph.get("source") == "osm":
            # OSM roads: each vehicle type's own roads and snapping onto road segments.
            plan = plan_day(item.problem, network=network, options=item.options)
        else:
            t0 = time.perf_counter()
            if shared is not None:
                matrices = shared.for_problem(item.problem, nodes)
            else:
                provider: MatrixProvider = RoadMatrixProvider(
                    network, max_snap_m=item.options.max_snap_m
                )
                matrices = matrices_for(item.problem, provider)
            plan = plan_with_matrices(
                item.problem,
                matrices,
                options=item.options,
                paths=road_paths(network, item.problem, nodes),
                timings_s={"matrices": round(time.perf_counter() - t0, 3)},
            )
            plan = price_plan(plan, item.problem, matrices, network=network, options=item.options)
    except HubrouteError as exc:
        return ProblemOutcome(
            item.name, None, exc.code, str(exc), _worker_address(), time.perf_counter() - started
        )
    return ProblemOutcome(
        item.name, plan, worker=_worker_address(), wall_s=time.perf_counter() - started
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ProblemResult:
    """One problem of a batch: its plan and output files, or why it failed."""

    row: int
    name: str
    hub_id: str
    hub_name: str
    status: Literal["done", "failed"]
    plan: Plan | None
    outputs: Mapping[str, Path] = field(default_factory=dict)
    error_code: str = ""
    error: str = ""
    worker: str = ""
    wall_s: float = 0.0
    attempts: int = 1


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: every problem's result in manifest order and the summaries."""

    name: str
    manifest: Path
    out_dir: Path
    problems: tuple[ProblemResult, ...]
    summary_csv: Path
    hubs_csv: Path
    wall_s: float
    scheduler: str
    """``tcp://...`` of the cluster, or ``"in-process"``."""
    workers: int
    dashboard_link: str | None = None

    @property
    def failed(self) -> tuple[ProblemResult, ...]:
        """The problems without a plan."""
        return tuple(p for p in self.problems if p.status != "done")

    def plans(self) -> dict[str, Plan]:
        """Plans by problem name (done problems only)."""
        return {p.name: p.plan for p in self.problems if p.plan is not None}


@dataclass(frozen=True)
class BatchEvent:
    """A progress report: the batch started, or one problem finished."""

    kind: Literal["started", "finished"]
    total: int
    done: int
    result: ProblemResult | None = None
    scheduler: str = ""
    dashboard_link: str | None = None


BatchProgress = Callable[[BatchEvent], None]

SUMMARY_COLUMNS = (
    "problem",
    "hub_id",
    "hub_name",
    "status",
    "pickups",
    "parcels",
    "delivery_parcels",
    "runs",
    "vehicles",
    "distance_km",
    "cost_rmb",
    "cost_per_parcel_rmb",
    "unassigned",
    "solve_s",
    "worker",
    "error",
)

HUB_COLUMNS = (
    "hub_id",
    "hub_name",
    "problems",
    "runs",
    "parcels",
    "delivery_parcels",
    "distance_km",
    "cost_rmb",
    "cost_per_parcel_rmb",
    "unassigned",
)


def summary_rows(problems: Sequence[ProblemResult]) -> list[dict[str, Any]]:
    """One row per problem: runs, km, RMB and RMB per parcel (None when failed)."""
    rows = []
    for r in problems:
        s = r.plan.summary if r.plan is not None else None
        rows.append(
            {
                "problem": r.name,
                "hub_id": r.hub_id,
                "hub_name": r.hub_name,
                "status": r.status,
                "pickups": s.pickups if s else None,
                "parcels": s.parcels if s else None,
                "delivery_parcels": s.delivery_parcels if s else None,
                "runs": s.runs if s else None,
                "vehicles": s.vehicles if s else None,
                "distance_km": round(s.distance_km, 1) if s else None,
                "cost_rmb": round(s.total_cost_rmb, 2) if s else None,
                "cost_per_parcel_rmb": (
                    round(s.cost_per_parcel_rmb, 2)
                    if s and s.cost_per_parcel_rmb is not None
                    else None
                ),
                "unassigned": s.unassigned if s else None,
                "solve_s": s.timings_s.get("solve") if s else None,
                "worker": r.worker,
                "error": r.error,
            }
        )
    return rows


def hub_rows(problems: Sequence[ProblemResult]) -> list[dict[str, Any]]:
    """One row per hub over its done problems: RMB per parcel across its days."""
    by_hub: dict[str, dict[str, Any]] = {}
    for r in problems:
        if r.plan is None:
            continue
        s = r.plan.summary
        row = by_hub.setdefault(
            r.hub_id,
            {
                "hub_id": r.hub_id,
                "hub_name": r.hub_name,
                "problems": 0,
                "runs": 0,
                "parcels": 0,
                "delivery_parcels": 0,
                "distance_km": 0.0,
                "cost_rmb": 0.0,
                "unassigned": 0,
            },
        )
        row["problems"] += 1
        row["runs"] += s.runs
        row["parcels"] += s.parcels
        row["delivery_parcels"] += s.delivery_parcels
        row["distance_km"] += s.distance_km
        row["cost_rmb"] += s.total_cost_rmb
        row["unassigned"] += s.unassigned
    out = []
    for row in by_hub.values():
        row["distance_km"] = round(row["distance_km"], 1)
        # Per parcel handled (collected or dropped), as each plan's own summary.
        handled = row["parcels"] + row["delivery_parcels"]
        row["cost_per_parcel_rmb"] = round(row["cost_rmb"] / handled, 2) if handled else None
        row["cost_rmb"] = round(row["cost_rmb"], 2)
        out.append(row)
    return sorted(out, key=lambda r: str(r["hub_id"]))


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if row.get(c) is None else row[c] for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def summary_table(result: BatchResult) -> Table:
    """A rich table of the batch: one row per problem, totals at the foot."""
    from rich.table import Table

    rows = summary_rows(result.problems)
    table = Table(
        title=f"{result.name}: {len(rows)} problems, {result.wall_s:.1f} s", show_footer=True
    )
    done = [r for r in rows if r["status"] == "done"]
    parcels = sum(r["parcels"] or 0 for r in done)
    handled = parcels + sum(r["delivery_parcels"] or 0 for r in done)
    cost = sum(r["cost_rmb"] or 0.0 for r in done)
    foot = {
        "problem": "total",
        "runs": str(sum(r["runs"] or 0 for r in done)),
        "distance_km": f"{sum(r['distance_km'] or 0.0 for r in done):,.1f}",
        "cost_rmb": f"{cost:,.2f}",
        "cost_per_parcel_rmb": f"{cost / handled:.2f}" if handled else "",
        "parcels": str(parcels),
    }
    heads = {
        "problem": "problem",
        "hub_id": "hub",
        "status": "status",
        "parcels": "parcels",
        "runs": "runs",
        "distance_km": "km",
        "cost_rmb": "RMB",
        "cost_per_parcel_rmb": "RMB/parcel",
        "unassigned": "unassigned",
        "solve_s": "solve s",
    }
    for key, head in heads.items():
        numeric = key not in ("problem", "hub_id", "status")
        table.add_column(head, footer=foot.get(key, ""), justify="right" if numeric else "left")
    for r in rows:
        cells = []
        for key in heads:
            value = r[key]
            if key == "status" and r["status"] != "done":
                value = f"[red]failed[/red]: {r['error'][:60]}"
            cells.append(
                "" if value is None else f"{value:,}" if isinstance(value, float) else str(value)
            )
        table.add_row(*cells)
    return table


def hub_table(result: BatchResult) -> Table:
    """A rich table per hub: runs, km, RMB and RMB per parcel over the hub's problems."""
    from rich.table import Table

    table = Table(title="per hub")
    for c in HUB_COLUMNS:
        table.add_column(c, justify="left" if c in ("hub_id", "hub_name") else "right")
    for r in hub_rows(result.problems):
        table.add_row(*("" if r[c] is None else str(r[c]) for c in HUB_COLUMNS))
    return table


@contextlib.contextmanager
def rich_progress(console: Console | None = None) -> Iterator[BatchProgress]:
    """A :data:`BatchProgress` that draws a rich progress bar and prints the dashboard link.

    Use as ``with rich_progress(console) as progress: plan_batch(..., progress=progress)``.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = console or Console()
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    )
    task_id: list[Any] = []

    def progress(event: BatchEvent) -> None:
        if event.kind == "started":
            console.print(f"scheduler: {event.scheduler}", highlight=False)
            if event.dashboard_link:
                console.print(f"Dask dashboard: {event.dashboard_link}", highlight=False)
            task_id.append(bar.add_task("planning", total=event.total, last=""))
            return
        r = event.result
        last = "" if r is None else f"{r.name} {'ok' if r.status == 'done' else 'FAILED'}"
        bar.update(task_id[0], completed=event.done, last=last)

    with bar:
        yield progress


# --------------------------------------------------------------------------- running


def _profiles(problems: Sequence[BatchProblem]) -> dict[str, tuple[str, ...]]:
    return {
        vt.profile: tuple(vt.avoid_road_classes)
        for bp in problems
        for vt in bp.problem.vehicle_types
    }


def _finish(
    item: BatchProblem,
    outcome: ProblemOutcome | None,
    out_dir: Path,
    *,
    error: str = "",
    code: str = "",
    attempts: int = 1,
) -> ProblemResult:
    hub = item.problem.hubs[0]
    base = ProblemResult(
        row=item.row,
        name=item.name,
        hub_id=hub.id,
        hub_name=hub.name,
        status="failed",
        plan=None,
        error_code=code,
        error=error,
        attempts=attempts,
    )
    if outcome is None:
        return base
    base = replace(base, worker=outcome.worker, wall_s=round(outcome.wall_s, 3))
    if outcome.plan is None:
        return replace(base, error_code=outcome.error_code, error=outcome.error)
    outputs = write_outputs(outcome.plan, out_dir / item.name, hubs=item.problem.hubs)
    return replace(base, status="done", plan=outcome.plan, outputs=outputs)


def _result(
    manifest: Manifest,
    results: Mapping[str, ProblemResult],
    out_dir: Path,
    *,
    wall_s: float,
    scheduler: str,
    workers: int,
    dashboard: str | None,
) -> BatchResult:
    ordered = tuple(results[bp.name] for bp in manifest.problems)
    return BatchResult(
        name=manifest.name,
        manifest=manifest.path,
        out_dir=out_dir,
        problems=ordered,
        summary_csv=_write_csv(out_dir / "summary.csv", SUMMARY_COLUMNS, summary_rows(ordered)),
        hubs_csv=_write_csv(out_dir / "hubs.csv", HUB_COLUMNS, hub_rows(ordered)),
        wall_s=round(wall_s, 3),
        scheduler=scheduler,
        workers=workers,
        dashboard_link=dashboard,
    )


def plan_batch_sequential(
    manifest: str | Path | Manifest, *, out_dir: str | Path, progress: BatchProgress | None = None
) -> BatchResult:
    """Plan every problem of a manifest one after another in this process, with plan_day.

    The reference a Dask run is compared with (same plans for the same seeds and
    ``iterations``) and the baseline of the scaling benchmark.

    Parameters
    ----------
    manifest
        A manifest path or an already read :class:`Manifest`.
    out_dir
        Where ``<name>/plan.json``... and ``summary.csv``/``hubs.csv`` go.
    progress
        Called when the batch starts and as each problem finishes.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        For a bad manifest, listing every problem.
    """
    started = time.perf_counter()
    m = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _e: None)
    report(BatchEvent("started", len(m.problems), 0, scheduler="in-process"))
    results: dict[str, ProblemResult] = {}
    for bp in m.problems:
        t0 = time.perf_counter()
        network = m.networks.get(bp.network_path) if bp.network_path else None
        try:
            plan = plan_day(bp.problem, network=network, options=bp.options)
            outcome = ProblemOutcome(bp.name, plan, worker="in-process")
        except HubrouteError as exc:
            outcome = ProblemOutcome(bp.name, None, exc.code, str(exc), "in-process")
        outcome = replace(outcome, wall_s=time.perf_counter() - t0)
        results[bp.name] = _finish(bp, outcome, out)
        report(BatchEvent("finished", len(m.problems), len(results), results[bp.name]))
    return _result(
        m,
        results,
        out,
        wall_s=time.perf_counter() - started,
        scheduler="in-process",
        workers=1,
        dashboard=None,
    )


def _dashboard(client: Client) -> str | None:
    try:
        services = client.scheduler_info().get("services", {})
    except (OSError, TimeoutError):
        return None
    return str(client.dashboard_link) if "dashboard" in services else None


def run_batch(
    client: Client,
    manifest: Manifest,
    *,
    out_dir: str | Path,
    progress: BatchProgress | None = None,
    timeout_s: float | None = None,
) -> BatchResult:
    """Plan a validated manifest on a connected Dask client, one task per problem.

    Parameters
    ----------
    client
        A connected :class:`distributed.Client`; its workers need ``hubroute``
        installed (the tasks are this package's functions).
    manifest
        From :func:`read_manifest`.
    out_dir
        Output folder, written by this process (workers need no shared disk).
    progress
        Called when the batch starts and as each problem finishes (in finishing order).
    timeout_s
        Give up on problems still unfinished after this many seconds (default: 120 s
        plus twice the sum of the time limits); they are reported as failed.

    Returns
    -------
    BatchResult
        Every problem: done, or failed with the reason (a solver error, a worker that
        died more often than the scheduler allows, or the timeout).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    report = progress or (lambda _e: None)
    timeout = timeout_s or 120.0 + 2 * sum(bp.options.time_limit_s for bp in manifest.problems)

    # One copy of each road network on every worker; one shared matrix per network.
    net_futures = {
        path: client.scatter(net, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        for path, net in manifest.networks.items()
    }
    matrix_futures: dict[Path, Any] = {}
    for path, fut in net_futures.items():
        users = [bp for bp in manifest.problems if bp.network_path == path]
        distinct = sorted({n for bp in users for n in manifest.nodes[bp.name]})
        if len(distinct) <= SHARED_MATRIX_MAX_NODES:
            matrix_futures[path] = client.submit(
                node_matrices,
                fut,
                tuple(distinct),
                _profiles(users),
                key=f"hubroute-matrices-{path.stem}-{token}",
                retries=1,
            )

    by_key: dict[str, BatchProblem] = {}
    attempts: dict[str, int] = {}

    def submit(bp: BatchProblem, attempt: int) -> Any:
        key = f"hubroute-plan-{bp.name}-{token}-{attempt}"
        path = bp.network_path
        fut = client.submit(
            solve_batch_problem,
            bp,
            manifest.nodes.get(bp.name),
            net_futures.get(path) if path else None,
            matrix_futures.get(path) if path else None,
            key=key,
            retries=1,
        )
        by_key[key] = bp
        attempts[bp.name] = attempt
        return fut

    futures = [submit(bp, 1) for bp in manifest.problems]
    dashboard = _dashboard(client)
    scheduler = str(client.scheduler.address) if client.scheduler else "?"
    workers = len(client.scheduler_info().get("workers", {}))
    report(BatchEvent("started", len(futures), 0, scheduler=scheduler, dashboard_link=dashboard))
    results: dict[str, ProblemResult] = {}
    pending = set(futures)
    ac = as_completed(futures, timeout=timeout)  # type: ignore[no-untyped-call]
    try:
        for fut in ac:
            pending.discard(fut)
            bp = by_key[fut.key]
            tries = attempts[bp.name]
            if fut.status == "finished":
                results[bp.name] = _finish(bp, fut.result(), out, attempts=tries)
            else:
                exc = fut.exception() if fut.status == "error" else None
                if isinstance(exc, KilledWorker):
                    reason = (
                        "the Dask workers running it died repeatedly (killed or out of "
                        "memory); re-run this problem alone or give the workers more memory"
                    )
                    code = "worker_crashed"
                elif exc is not None:
                    reason, code = f"{type(exc).__name__}: {exc}", "solve_failed"
                elif tries < 2:
                    # Cancelled or lost (e.g. a scattered network lost with its workers):
                    # send the networks again and re-run once.
                    for path, net in manifest.networks.items():
                        net_futures[path] = client.scatter(net, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
                        matrix_futures.pop(path, None)
                    new = submit(bp, tries + 1)
                    pending.add(new)
                    ac.add(new)  # type: ignore[no-untyped-call]
                    continue
                else:
                    reason, code = f"the task was {fut.status} twice", "worker_crashed"
                results[bp.name] = _finish(bp, None, out, error=reason, code=code, attempts=tries)
            report(BatchEvent("finished", len(futures), len(results), results[bp.name]))
    except TimeoutError:
        for fut in pending:
            bp = by_key[fut.key]
            if bp.name not in results:
                results[bp.name] = _finish(
                    bp,
                    None,
                    out,
                    code="timeout",
                    error=f"no result within {timeout:.0f} s; "
                    f"are workers connected to {scheduler}?",
                )
                report(BatchEvent("finished", len(futures), len(results), results[bp.name]))
        client.cancel(list(pending))  # type: ignore[no-untyped-call]
    finally:
        for fut in (*net_futures.values(), *matrix_futures.values()):
            fut.release()
    return _result(
        manifest,
        results,
        out,
        wall_s=time.perf_counter() - started,
        scheduler=scheduler,
        workers=workers,
        dashboard=dashboard,
    )


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[Client]:
    """A Dask client: to ``scheduler`` (``tcp://HOST:PORT``) or to an in-process cluster.

    Parameters
    ----------
    scheduler
        Address of a running ``dask scheduler``. None starts a
        ``LocalCluster(processes=True, threads_per_worker=1)`` for the duration.
    workers
        Worker processes of the local cluster (default: the machine's cores); with a
        scheduler, wait until at least this many workers are connected (60 s at most).

    Yields
    ------
    distributed.Client
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]
            if workers:
                client.wait_for_workers(workers, timeout=60)
            yield client
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def plan_batch(
    manifest_path: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    out_dir: str | Path,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Plan every problem of a manifest on Dask and write the plans and summaries.

    Parameters
    ----------
    manifest_path
        TOML or CSV manifest (see the module docstring).
    scheduler
        ``tcp://HOST:PORT`` of a running Dask scheduler; None runs an in-process
        ``LocalCluster`` (processes, one thread each) for this batch.
    workers
        Local cluster size (default: the machine's cores), or with ``scheduler`` the
        number of workers to wait for.
    out_dir
        ``<out_dir>/<problem name>/{plan.json, routes.geojson, runs.csv, villages.csv}``
        plus ``summary.csv`` (one row per problem) and ``hubs.csv`` (one per hub).
    progress
        Progress callback, e.g. from :func:`rich_progress`.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        Before anything is solved, listing every bad manifest row, file, road network
        and off-road point.
    """
    manifest = read_manifest(manifest_path)
    with dask_client(scheduler, workers=workers) as client:
        return run_batch(client, manifest, out_dir=out_dir, progress=progress)
