"""Benchmark hubroute's solver against PyVRP, VROOM and OR-Tools on VRPLIB sets.

Every solution, ours or a peer's, is scored by the one independent evaluator
(:func:`routing.bench.evaluate.evaluate_routes`, PyVRP's reader as referee) against the
best-known solution re-evaluated the same way, so gaps are comparable.

Peers (``--peers``):

``pyvrp``
    ``pyvrp.solve`` with default parameters, one process, ``MaxRuntime``.
``vroom``
    pyvroom, exploration level 5, 2 threads, the same time limit as a timeout
    (CVRP/VRPTW-like sets only: one vehicle type, one depot).
``ortools-docs``
    OR-Tools set up as its documentation does: Python transit callbacks,
    ``PATH_CHEAPEST_ARC`` then ``GUIDED_LOCAL_SEARCH`` (CVRP/VRPTW-like sets only).

Run: ``python benchmarks/vrplib_bench.py [--sets CVRP,VRPTW] [--max-clients 400]
[--sample K] [--time-limit 10] [--peers ortools-docs,pyvrp,vroom]``. Results go to
``benchmarks/results/`` (CSV and JSON) and one line is appended to
``benchmarks/history.jsonl``; a markdown summary is printed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from routing.bench.evaluate import (  # noqa: E402
    bks_cost_units,
    evaluate_routes,
    gap_percent,
    round_func_for,
)
from routing.bench.solutions import solution_routes  # noqa: E402
from routing.bench.vrplib import read_instance  # noqa: E402
from routing.solve import solve  # noqa: E402
from routing.solve.instance import Instance  # noqa: E402

INSTANCES_ROOT = REPO.parent / "shared" / "instances"
OURS = "hubroute"
PEERS = ("ortools-docs", "pyvrp", "vroom")

_DIMENSION = re.compile(r"^\s*DIMENSION\s*:\s*(\d+)", re.MULTILINE)


@dataclass
class Row:
    """One solver's result on one instance."""

    instance: str
    set: str
    clients: int
    solver: str
    cost: int | None
    bks: int
    gap_pct: float | None
    wall_s: float
    feasible: bool
    note: str = ""


def instance_size(path: Path) -> int:
    """Number of locations (``DIMENSION``) from the file header."""
    with open(path) as fh:
        match = _DIMENSION.search(fh.read(2048))
    return int(match.group(1)) if match else 0


def select_instances(
    dirs: Sequence[Path], *, max_clients: int | None, sample: int | None
) -> list[Path]:
    """Instances with a ``.sol`` next to them, filtered by size, evenly sampled per set."""
    chosen: list[Path] = []
    for d in dirs:
        files = sorted(
            (p for p in d.glob("*.vrp") if p.with_suffix(".sol").exists()),
            key=lambda p: (instance_size(p), p.name),
        )
        if max_clients is not None:
            files = [p for p in files if instance_size(p) - 1 <= max_clients]
        if sample is not None and 0 < sample < len(files):
            idx = np.unique(np.linspace(0, len(files) - 1, sample).round().astype(int))
            files = [files[i] for i in idx]
        chosen.extend(files)
    return chosen


def _simple(inst: Instance) -> bool:
    """CVRP/VRPTW-like: what the VROOM and OR-Tools docs peers are set up for."""
    return (
        len(inst.vehicle_types) == 1
        and inst.num_depots == 1
        and bool(inst.required.all())
        and not inst.backhaul_after_linehaul
        and not bool(inst.pickup.any())
        and not bool(inst.release.any())
        and inst.vehicle_types[0].max_trips == 1
    )


def run_ours(
    path: Path, inst: Instance, time_limit_s: float, seed: int, workers: int
) -> list[list[int]]:
    """Our portfolio (the same :func:`routing.solve.solve` domain plans use)."""
    sol = solve(inst, time_limit_s=time_limit_s, seed=seed, workers=workers)
    return solution_routes(sol, inst)


def run_pyvrp(
    path: Path, inst: Instance, time_limit_s: float, seed: int, workers: int
) -> list[list[int]]:
    """PyVRP with defaults, single process."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    data = pyvrp.read(str(path), round_func=round_func_for(path))
    res = pyvrp.solve(data, stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    slots = [[int(v) for v in vt.name.split(",")] for vt in data.vehicle_types()]
    single = data.num_vehicle_types == 1
    lines: list[list[int]] = [] if single else [[] for _ in range(data.num_vehicles)]
    used = [0] * data.num_vehicle_types
    for route in res.best.routes():
        # Reload depots between trips, as VRPLIB solution files write them.
        visits: list[int] = []
        trip = 0
        for act in route:
            if act.is_client():
                if act.trip != trip:
                    visits.append(route.start_depot())
                    trip = act.trip
                visits.append(data.client(act.idx).location)
        t = route.vehicle_type()
        if single:
            lines.append(visits)
        else:
            lines[slots[t][used[t]]] = visits
        used[t] += 1
    return lines


def run_vroom(
    path: Path, inst: Instance, time_limit_s: float, seed: int, workers: int
) -> list[list[int]]:
    """pyvroom, exploration level 5, 2 threads."""
    import vroom

    del seed, workers
    vt = inst.vehicle_types[0]
    inp = vroom.Input()
    matrix = np.asarray(inst.duration[0], dtype=np.uint32)
    inp.set_durations_matrix("car", matrix)
    timed = bool(np.any(inst.tw_late < 2**40))
    for v in range(vt.num_available):
        tw = vroom.TimeWindow(int(inst.depot_tw[0, 0]), int(min(inst.depot_tw[0, 1], 2**32 - 1)))
        inp.add_vehicle(
            vroom.Vehicle(
                v + 1,
                start=0,
                end=0,
                capacity=[int(vt.capacity[0])],
                time_window=tw if timed else None,
            )
        )
    jobs = []
    for c in range(inst.num_clients):
        kwargs: dict[str, Any] = {}
        if timed:
            kwargs["time_windows"] = [
                vroom.TimeWindow(int(inst.tw_early[c]), int(min(inst.tw_late[c], 2**32 - 1)))
            ]
        jobs.append(
            vroom.Job(
                c + 1,
                location=inst.client_node(c),
                delivery=[int(inst.delivery[c, 0])],
                default_service=int(inst.service[c]),
                **kwargs,
            )
        )
    inp.add_job(jobs)
    sol = inp.solve(exploration_level=5, nb_threads=2, timeout=dt.timedelta(seconds=time_limit_s))
    routes = sol.routes
    lines: list[list[int]] = []
    for _, group in routes.groupby("vehicle_id", sort=True):
        jobs_df = group[group["type"] == "job"]
        lines.append([int(i) for i in jobs_df["location_index"]])
    return lines


def run_ortools_docs(
    path: Path, inst: Instance, time_limit_s: float, seed: int, workers: int
) -> list[list[int]]:
    """OR-Tools as its docs' CVRP/VRPTW samples: Python callbacks, PCA + GLS."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed, workers
    vt = inst.vehicle_types[0]
    n = inst.num_nodes
    dist = inst.distance[0].tolist()
    dur = inst.duration[0].tolist()
    demand = [0] + [int(d) for d in inst.delivery[:, 0]]
    service = [0] + [int(s) for s in inst.service]
    manager = pywrapcp.RoutingIndexManager(n, vt.num_available, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance_callback(from_index: int, to_index: int) -> int:
        return int(dist[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)])

    transit = routing.RegisterTransitCallback(distance_callback)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)

    def demand_callback(from_index: int) -> int:
        return demand[manager.IndexToNode(from_index)]

    dem = routing.RegisterUnaryTransitCallback(demand_callback)
    routing.AddDimensionWithVehicleCapacity(
        dem, 0, [int(vt.capacity[0])] * vt.num_available, True, "Capacity"
    )
    if bool(np.any(inst.tw_late < 2**40)):

        def time_callback(from_index: int, to_index: int) -> int:
            i = manager.IndexToNode(from_index)
            return int(dur[i][manager.IndexToNode(to_index)] + service[i])

        tcb = routing.RegisterTransitCallback(time_callback)
        horizon = int(inst.depot_tw[0, 1])
        routing.AddDimension(tcb, horizon, horizon, False, "Time")
        time_dim = routing.GetDimensionOrDie("Time")
        for c in range(inst.num_clients):
            index = manager.NodeToIndex(c + 1)
            time_dim.CumulVar(index).SetRange(int(inst.tw_early[c]), int(inst.tw_late[c]))
        for v in range(vt.num_available):
            time_dim.CumulVar(routing.Start(v)).SetRange(int(inst.depot_tw[0, 0]), horizon)
            time_dim.CumulVar(routing.End(v)).SetRange(int(inst.depot_tw[0, 0]), horizon)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    assignment = routing.SolveWithParameters(params)
    if assignment is None:
        return []
    lines: list[list[int]] = []
    for v in range(vt.num_available):
        index = routing.Start(v)
        route: list[int] = []
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = assignment.Value(routing.NextVar(index))
        if route:
            lines.append(route)
    return lines


SOLVERS: dict[str, Callable[[Path, Instance, float, int, int], list[list[int]]]] = {
    OURS: run_ours,
    "pyvrp": run_pyvrp,
    "vroom": run_vroom,
    "ortools-docs": run_ortools_docs,
}


def run_instance(
    path: Path, solvers: Sequence[str], time_limit_s: float, seed: int, workers: int
) -> list[Row]:
    """Run each solver on one instance and score it with the independent evaluator."""
    inst = read_instance(path)
    bks = bks_cost_units(path, path.with_suffix(".sol"))
    rows: list[Row] = []
    for name in solvers:
        if name in ("vroom", "ortools-docs") and not _simple(inst):
            continue
        start = time.perf_counter()
        note = ""
        try:
            lines = SOLVERS[name](path, inst, time_limit_s, seed, workers)
        except Exception as exc:  # a peer's failure is a result, not a crash
            lines, note = [], f"{type(exc).__name__}: {exc}"[:200]
        wall = time.perf_counter() - start
        if lines:
            ev = evaluate_routes(path, lines)
            cost: int | None = ev.cost
            feasible = ev.feasible
            note = note or "; ".join(ev.violations)[:200]
        else:
            cost, feasible = None, False
            note = note or "no solution"
        gap = gap_percent(cost, bks) if cost is not None and feasible else None
        rows.append(
            Row(
                path.stem,
                path.parent.name,
                inst.num_clients,
                name,
                cost,
                bks,
                None if gap is None else round(gap, 4),
                round(wall, 3),
                feasible,
                note,
            )
        )
        print(
            f"  {path.parent.name}/{path.stem:<22} {name:<13} gap "
            f"{'-' if gap is None else f'{gap:6.2f}%'}  {wall:5.1f}s  {note}",
            flush=True,
        )
    return rows


def _git_commit() -> str:
    """HEAD commit read from ``.git`` directly (no git process)."""
    git = REPO / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            ref_file = git / ref
            if ref_file.exists():
                return ref_file.read_text().strip()
            packed = git / "packed-refs"
            for line in packed.read_text().splitlines() if packed.exists() else []:
                if line.endswith(" " + ref):
                    return line.split()[0]
            return "unknown"
        return head
    except OSError:
        return "unknown"


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory and package versions, for the record."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in ("pyvrp", "ortools", "pyvroom", "vrplib", "numpy"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def summarise(rows: Sequence[Row], solvers: Sequence[str]) -> tuple[str, str, dict[str, Any]]:
    """Markdown tables: per solver (mean/worst gap, ratio to ours), per set for ours."""
    by_solver: dict[str, list[Row]] = {s: [r for r in rows if r.solver == s] for s in solvers}
    # Compare on the instances every solver ran, so means are like for like.
    common = {r.instance for r in by_solver.get(OURS, rows)}
    for s in solvers:
        ran = {r.instance for r in by_solver[s]}
        if ran:
            common &= ran
    summary: dict[str, Any] = {}
    for s, rs in by_solver.items():
        gaps = [r.gap_pct for r in rs if r.instance in common and r.gap_pct is not None]
        n_common = sum(1 for r in rs if r.instance in common)
        summary[s] = {
            "instances": n_common,
            "feasible": sum(1 for r in rs if r.instance in common and r.feasible),
            "mean_gap": statistics.fmean(gaps) if gaps else math.nan,
            "worst_gap": max(gaps) if gaps else math.nan,
            "mean_wall_s": statistics.fmean(r.wall_s for r in rs) if rs else math.nan,
        }
    ours = summary.get(OURS, {}).get("mean_gap", math.nan)
    lines = [
        "| solver | instances | feasible | mean gap % | worst gap % | mean gap / ours "
        "| mean wall s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s, v in summary.items():
        ratio = v["mean_gap"] / ours if ours and not math.isnan(ours) else math.nan
        lines.append(
            f"| {s} | {v['instances']} | {v['feasible']} | {v['mean_gap']:.2f} | "
            f"{v['worst_gap']:.2f} | {ratio:.2f} | {v['mean_wall_s']:.1f} |"
        )
    solver_table = "\n".join(lines)

    set_lines = [
        "| set | solver | instances | feasible | mean gap % | worst gap % |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for set_name in sorted({r.set for r in rows}):
        for s in solvers:
            rs = [r for r in rows if r.set == set_name and r.solver == s]
            if not rs:
                continue
            gaps = [r.gap_pct for r in rs if r.gap_pct is not None]
            mean = statistics.fmean(gaps) if gaps else math.nan
            worst = max(gaps) if gaps else math.nan
            set_lines.append(
                f"| {set_name} | {s} | {len(rs)} | {sum(r.feasible for r in rs)} | "
                f"{mean:.2f} | {worst:.2f} |"
            )
    return solver_table, "\n".join(set_lines), summary


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (also called by ``hubroute bench``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="instance files or set directories")
    parser.add_argument("--root", type=Path, default=INSTANCES_ROOT, help="instances root")
    parser.add_argument("--sets", default="", help="comma-separated set folders, e.g. CVRP,VRPTW")
    parser.add_argument("--max-clients", type=int, default=None)
    parser.add_argument(
        "--sample", type=int, default=None, help="instances per set, spread by size"
    )
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--peers", default="", help=f"comma-separated from {','.join(PEERS)}")
    parser.add_argument("--no-ours", action="store_true", help="run only the peers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out-dir", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--history", type=Path, default=REPO / "benchmarks" / "history.jsonl")
    args = parser.parse_args(argv)

    peers = [p for p in args.peers.split(",") if p]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown peers {unknown}; choose from {PEERS}")
    solvers = ([] if args.no_ours else [OURS]) + peers

    dirs: list[Path] = []
    files: list[Path] = []
    for p in args.paths:
        (dirs if p.is_dir() else files).append(p)
    dirs += [args.root / s for s in args.sets.split(",") if s]
    if not dirs and not files:
        dirs = [args.root / "CVRP"]
    missing = [d for d in dirs if not d.is_dir()]
    if missing:
        parser.error(f"not found: {', '.join(map(str, missing))}")
    instances = files + select_instances(dirs, max_clients=args.max_clients, sample=args.sample)
    if not instances:
        parser.error("no instances selected")

    started = dt.datetime.now(dt.UTC)
    meta = {
        "date": started.isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "workers": args.workers,
        "solvers": solvers,
        "machine": machine_info(),
    }
    print(f"{len(instances)} instances x {len(solvers)} solvers, {args.time_limit:g} s each")
    rows: list[Row] = []
    for path in instances:
        rows.extend(run_instance(path, solvers, args.time_limit, args.seed, args.workers))

    solver_table, set_table, summary = summarise(rows, solvers)
    print("\n" + solver_table + "\n\n" + set_table)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"vrplib-{started:%Y%m%dT%H%M%S}-{meta['commit'][:8]}"
    with open(args.out_dir / f"{stem}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=list(asdict(rows[0]).keys()) if rows else ["instance"]
        )
        writer.writeheader()
        for r in rows:
            writer.writerow(asdict(r))
    payload = {**meta, "summary": summary, "rows": [asdict(r) for r in rows]}
    (args.out_dir / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=str))
    with open(args.history, "a") as fh:
        fh.write(
            json.dumps({**meta, "instances": len(instances), "summary": summary}, default=str)
            + "\n"
        )
    print(f"\nwrote {args.out_dir / stem}.csv/.json; appended {args.history}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
