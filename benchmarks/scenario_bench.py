"""Scenario benchmarks: the Xinping day scaled to N pickups, timed step by step.

Usage (from the repository root)::

    .venv/bin/python benchmarks/scenario_bench.py --pickups 100 500 1000 2000
    .venv/bin/python benchmarks/scenario_bench.py --pickups 100 500 --time-limit 5

For each size N the scenario is generated with ``fixtures/make_xinping.py --pickups N``
(kept under ``--work-dir`` and reused if already there), then planned in a fresh
interpreter of its own so that the peak memory reported is that size's alone. The child
times, with ``time.perf_counter``:

* reading the scenario (:func:`routing.io.read_scenario`);
* building the road network (:func:`routing.road_file.network_from_file`);
* the plan, through :func:`routing.pipeline.plan_day` as ``hubroute demo``/``plan`` call
  it (scenario's time limit unless ``--time-limit``), split by the plan's own
  ``summary.timings_s``: ``matrices`` (snapping, profile graphs and travel matrices, cold
  caches), ``solve`` (instance build and the portfolio), ``assemble`` (runs, costs), and
  ``price`` (the rest of the call: cost model and baselines);
* the matrix step again, :func:`routing.pipeline.matrices_for` with a
  :class:`routing.matrix.RoadMatrixProvider` on the same points, against networkx's own
  ``single_source_dijkstra_path_length`` on the same graph (``travel_time_s`` edge
  weights, the vehicle profile's road classes left out), from every distinct snapped
  node (the project also runs one Dijkstra per distinct node). Both runs find the graph
  already built, so the speed-up compares the searches alone. If there are more than
  ``--nx-max-sources`` distinct nodes, networkx runs from a seeded sample of them and its
  time is extrapolated linearly; the table says so. The durations are compared on every
  pair networkx computed: the largest difference in seconds (the project rounds to
  whole seconds, so 0.5 s is expected) and pairs one finds reachable and the other not.

Peak memory is the child's ``ru_maxrss`` read just after the plan (before the
comparison, whose extra matrices are not part of planning); the solver's worker
processes are reported apart (``RUSAGE_CHILDREN``: the largest of them).

Output: a markdown table on stdout, one CSV row per size in ``--out`` (default
``benchmarks/runs/scenario-DATE.csv``) and one line in ``benchmarks/history.jsonl``
(``"kind": "scenario"``). It is a script, not a test; the figures depend on the
machine's load.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.vrplib_bench import _git_commit, machine_info  # noqa: E402

PY = sys.executable
SIZES = (100, 500, 1000, 2000)
#: Above this many distinct source nodes networkx runs from a sample (see module doc).
NX_MAX_SOURCES = 1000

#: CSV columns, in order.
FIELDS = (
    "pickups",
    "time_limit_s",
    "split_oversize",
    "read_s",
    "network_s",
    "matrices_s",
    "project_matrix_s",
    "networkx_s",
    "networkx_extrapolated",
    "sources",
    "sources_timed",
    "speed_up",
    "max_abs_diff_s",
    "reach_mismatches",
    "pairs_compared",
    "solve_s",
    "assemble_s",
    "price_s",
    "plan_s",
    "peak_mb",
    "workers_peak_mb",
    "runs",
    "served",
    "unassigned",
    "partly_served",
    "unassigned_reasons",
    "parcels",
    "km",
    "cost_rmb",
    "rmb_per_parcel",
    "solver",
    "error",
)


def _peak_mb(who: int) -> float:
    # Linux reports ru_maxrss in KiB.
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _nx_weight(avoid_road_classes: Sequence[str]) -> str | Callable[..., float | None]:
    """networkx weight for a profile: the attribute itself, or a filter on road class.

    A callable on the frozen graph is much faster in networkx than a filtered
    ``subgraph_view`` (the view re-checks the filter on every adjacency lookup).
    """
    if not avoid_road_classes:
        return "travel_time_s"
    avoid = frozenset(avoid_road_classes)

    def weight(u: int, v: int, edges: dict[Any, dict[str, Any]]) -> float | None:
        # A MultiDiGraph hands over every parallel edge u -> v; None means no edge.
        times = [d["travel_time_s"] for d in edges.values() if d["road_class"] not in avoid]
        return min(times) if times else None

    return weight


def compare_matrices(
    network: Any, problem: Any, *, max_snap_m: float, nx_max_sources: int, seed: int = 0
) -> dict[str, Any]:
    """Time the project's matrix step and networkx on the same points; compare durations."""
    import networkx as nx

    from routing.matrix import RoadMatrixProvider
    from routing.pipeline import matrices_for
    from routing.units import UNREACHABLE

    provider = RoadMatrixProvider(network, max_snap_m=max_snap_m)
    t0 = time.perf_counter()
    matrices = matrices_for(problem, provider)
    project_s = time.perf_counter() - t0

    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    lonlats = [h.location for h in problem.hubs] + [p.location for p in problem.pickups]
    nodes = np.asarray(provider.snap(ids, lonlats).nodes)
    sources = np.unique(nodes)
    timed = sources
    if len(sources) > nx_max_sources:
        rng = np.random.default_rng(seed)
        timed = np.sort(rng.choice(sources, size=nx_max_sources, replace=False))
    avoid_by_profile = {vt.profile: vt.avoid_road_classes for vt in problem.vehicle_types}

    # One row per timed source: every location at that node has the same row.
    row_of = {int(node): i for i, node in enumerate(nodes)}
    nx_s = 0.0
    max_diff_s = 0.0
    mismatches = 0
    pairs = 0
    for profile, matrix in matrices.items():
        weight = _nx_weight(avoid_by_profile[profile])
        t1 = time.perf_counter()
        lengths = {
            int(s): nx.single_source_dijkstra_path_length(network.graph, int(s), weight=weight)
            for s in timed
        }
        nx_s += time.perf_counter() - t1
        for s, dist in lengths.items():
            ours = matrix.duration_s[row_of[s]]
            theirs = np.array([dist.get(int(n), np.inf) for n in nodes], dtype=np.float64)
            ours_reach = ours < UNREACHABLE
            theirs_reach = np.isfinite(theirs)
            mismatches += int(np.count_nonzero(ours_reach != theirs_reach))
            both = ours_reach & theirs_reach
            pairs += int(np.count_nonzero(both))
            if both.any():
                max_diff_s = max(max_diff_s, float(np.max(np.abs(ours[both] - theirs[both]))))
    extrapolated = len(timed) < len(sources)
    if extrapolated:
        nx_s *= len(sources) / len(timed)
    return {
        "project_matrix_s": round(project_s, 3),
        "networkx_s": round(nx_s, 3),
        "networkx_extrapolated": extrapolated,
        "sources": len(sources),
        "sources_timed": len(timed),
        "speed_up": round(nx_s / project_s, 1) if project_s > 0 else None,
        "max_abs_diff_s": round(max_diff_s, 3),
        "reach_mismatches": mismatches,
        "pairs_compared": pairs,
    }


def bench_size(
    scenario: Path,
    *,
    time_limit_s: float | None = None,
    nx_max_sources: int = NX_MAX_SOURCES,
    seed: int = 0,
    split_oversize: bool = False,
) -> dict[str, Any]:
    """Plan one generated scenario in this process and return its figures (one CSV row).

    Run it in a fresh process for a peak memory of this size alone (as :func:`run_size`
    does); in a process that has done other work the peak is that process's.
    ``split_oversize`` plans as if the scenario asked for it (pickups bigger than every
    vehicle they may use are split rather than refused; the plan then has no baselines).
    """
    from routing.io import read_scenario
    from routing.network import without_roads
    from routing.pipeline import SolveOptions, plan_day
    from routing.road_file import network_from_file

    t0 = time.perf_counter()
    sc = read_scenario(scenario)
    read_s = time.perf_counter() - t0
    if sc.network_path is None:
        raise ValueError(f"{scenario} names no road network")
    t0 = time.perf_counter()
    network = network_from_file(sc.network_path)
    network_s = time.perf_counter() - t0

    problem = sc.problem
    if split_oversize:
        problem = problem.model_copy(update={"split_oversize": True})
    limit_s = time_limit_s if time_limit_s is not None else sc.time_limit_s
    options = SolveOptions(time_limit_s=limit_s, seed=seed)
    t0 = time.perf_counter()
    plan = plan_day(problem, network=network, options=options, timings_s={"network": network_s})
    plan_s = time.perf_counter() - t0
    peak_mb = _peak_mb(resource.RUSAGE_SELF)
    workers_peak_mb = _peak_mb(resource.RUSAGE_CHILDREN)
    timings = plan.summary.timings_s
    steps_s = timings["matrices"] + timings["solve"] + timings["assemble"]

    # plan_day routes on the network with closed roads removed; compare on that one too.
    if problem.closed_roads:
        network = without_roads(network, problem.closed_roads)
    comparison = compare_matrices(
        network,
        problem,
        max_snap_m=options.max_snap_m,
        nx_max_sources=nx_max_sources,
        seed=seed,
    )

    return {
        "pickups": len(problem.pickups),
        "time_limit_s": limit_s,
        "split_oversize": problem.split_oversize,
        "read_s": round(read_s, 3),
        "network_s": round(network_s, 3),
        "matrices_s": timings["matrices"],
        **comparison,
        "solve_s": timings["solve"],
        "assemble_s": timings["assemble"],
        "price_s": round(max(plan_s - steps_s, 0.0), 3),
        "plan_s": round(plan_s, 3),
        "peak_mb": peak_mb,
        "workers_peak_mb": workers_peak_mb,
        **plan_figures(plan),
        "error": "",
    }


def plan_figures(plan: Any) -> dict[str, Any]:
    """Runs, pickups served and left out (with reasons), parcels, km and RMB of a plan.

    Parts of a split pickup ("V17#2") count as their pickup, which is served only if
    every part is; partly served ones are counted as unassigned and apart.
    """
    visited = {s.pickup_id.rsplit("#", 1)[0] for r in plan.runs for s in r.stops}
    unassigned = {u.pickup_id.rsplit("#", 1)[0] for u in plan.unassigned}
    served = visited - unassigned
    reasons = Counter(u.reason.value for u in plan.unassigned)
    summary = plan.summary
    return {
        "runs": summary.runs,
        "served": len(served),
        "unassigned": len(unassigned),
        "partly_served": len(visited & unassigned),
        "unassigned_reasons": "; ".join(f"{k} {v}" for k, v in reasons.most_common()),
        "parcels": summary.parcels,
        "km": summary.distance_km,
        "cost_rmb": summary.total_cost_rmb,
        "rmb_per_parcel": summary.cost_per_parcel_rmb,
        "solver": summary.solver,
    }


def generate(pickups: int, work_dir: Path) -> Path:
    """``fixtures/make_xinping.py --pickups N`` into ``work_dir`` (reused if present)."""
    out = work_dir / f"xinping-{pickups}"
    scenario = out / "scenario.toml"
    if not scenario.is_file():  # the generator is deterministic: same N, same files
        subprocess.run(
            [
                PY,
                str(REPO / "fixtures" / "make_xinping.py"),
                "--pickups",
                str(pickups),
                "--out",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return scenario


def run_size(
    scenario: Path,
    pickups: int,
    *,
    time_limit_s: float | None,
    nx_max_sources: int,
    seed: int,
    split_oversize: bool = False,
) -> dict[str, Any]:
    """:func:`bench_size` in a child interpreter; a failed child is a row with its error."""
    cmd = [
        PY,
        str(Path(__file__).resolve()),
        "--child",
        str(scenario),
        "--nx-max-sources",
        str(nx_max_sources),
        "--seed",
        str(seed),
    ]
    if time_limit_s is not None:
        cmd += ["--time-limit", str(time_limit_s)]
    if split_oversize:
        cmd.append("--split-oversize")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode == 0 and lines:
        row: dict[str, Any] = json.loads(lines[-1])
        return row
    tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
    return {"pickups": pickups, "error": f"exit {proc.returncode}: {tail}"[:300]}


def _fmt(value: Any, spec: str = "") -> str:
    if value is None or value == "":
        return "-"
    return format(value, spec)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The summary table: one line per size."""
    head = (
        "| pickups | build network s | matrices s | same-points matrix s | networkx s "
        "| speed-up | max diff s | solve s | assemble s | peak MB | runs "
        "| served/unassigned | km | RMB | RMB/parcel |"
    )
    lines = [head, "|" + "---:|" * (head.count("|") - 1)]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['pickups']} | failed: {r['error']} |" + " |" * 13)
            continue
        nx_cell = _fmt(r["networkx_s"], ".2f")
        if r["networkx_extrapolated"]:
            nx_cell += f" (extrapolated from {r['sources_timed']} of {r['sources']} sources)"
        lines.append(
            f"| {r['pickups']} | {r['network_s']:.2f} | {r['matrices_s']:.2f} "
            f"| {r['project_matrix_s']:.2f} | {nx_cell} | {_fmt(r['speed_up'], '.1f')}x "
            f"| {r['max_abs_diff_s']:.2f} | {r['solve_s']:.1f} | {r['assemble_s']:.2f} "
            f"| {r['peak_mb']:.0f} | {r['runs']} | {r['served']}/{r['unassigned']} "
            f"| {r['km']:,.1f} | {r['cost_rmb']:,.2f} | {_fmt(r['rmb_per_parcel'], '.2f')} |"
        )
    return "\n".join(lines)


def _child(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=Path, required=True)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--nx-max-sources", type=int, default=NX_MAX_SOURCES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-oversize", action="store_true")
    args = parser.parse_args(argv)
    row = bench_size(
        args.child,
        time_limit_s=args.time_limit,
        nx_max_sources=args.nx_max_sources,
        seed=args.seed,
        split_oversize=args.split_oversize,
    )
    print(json.dumps(row), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--child" in argv:
        return _child(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pickups", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--time-limit", type=float, default=None, help="solver seconds (default: the scenario's)"
    )
    parser.add_argument(
        "--nx-max-sources",
        type=int,
        default=NX_MAX_SOURCES,
        help="above this many distinct nodes, time networkx on a seeded sample",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--split-oversize",
        action="store_true",
        help="split pickups bigger than every allowed vehicle (default: refuse, as the CLI)",
    )
    parser.add_argument("--out", type=Path, default=None, help="CSV of the rows")
    parser.add_argument("--history", type=Path, default=REPO / "benchmarks" / "history.jsonl")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="generated scenarios (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    if args.nx_max_sources < 1:
        parser.error("--nx-max-sources must be at least 1")

    started = dt.datetime.now(dt.UTC)
    out = args.out or REPO / "benchmarks" / "runs" / f"scenario-{started:%Y-%m-%d}.csv"
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="scenario-bench-"))
    meta = {
        "kind": "scenario",
        "date": started.isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "nx_max_sources": args.nx_max_sources,
        "split_oversize": args.split_oversize,
        "machine": machine_info(),
    }
    rows: list[dict[str, Any]] = []
    for n in args.pickups:
        print(f"{n} pickups: generating ...", flush=True)
        scenario = generate(n, work_dir)
        print(f"{n} pickups: planning in a child process ...", flush=True)
        row = run_size(
            scenario,
            n,
            time_limit_s=args.time_limit,
            nx_max_sources=args.nx_max_sources,
            seed=args.seed,
            split_oversize=args.split_oversize,
        )
        rows.append(row)

    print("\n" + markdown_table(rows) + "\n")
    for r in rows:
        if r.get("unassigned"):
            print(f"{r['pickups']} pickups, unassigned by reason: {r['unassigned_reasons']}")
        if r.get("partly_served"):
            print(f"{r['pickups']} pickups: {r['partly_served']} split pickups partly served")
        if r.get("reach_mismatches"):
            print(f"{r['pickups']} pickups: {r['reach_mismatches']} pairs differ in reachability")

    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    with open(args.history, "a") as fh:
        fh.write(json.dumps({**meta, "pickups": args.pickups, "rows": rows}, default=str) + "\n")
    print(f"\nwrote {out}; appended {args.history}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
