"""Domain-day benchmark: the Xinping day scaled up, tight variants, the whole command timed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/domain_bench.py
    .venv/bin/python benchmarks/domain_bench.py --pickups 100 500 --variants base short
    .venv/bin/python benchmarks/domain_bench.py --long-max-pickups 500   # 10x runs up to 500
    .venv/bin/python benchmarks/domain_bench.py --long-only --long-max-pickups 5000 --out L.md
    .venv/bin/python benchmarks/domain_bench.py --long-max-pickups 0 --reference L.csv

For each size N the day is generated with ``fixtures/make_xinping.py --pickups N`` (kept
under ``--work-dir`` and reused), and each variant is written beside it:

``base``
    the scaled day as generated;
``short``
    every vehicle type's ``count`` 20 % lower (rounded down, at least 1): the fleet
    cannot fetch everything;
``narrow``
    every pickup's window narrowed to two hours (a seeded slot between 08:00 and
    16:00; a pickup that had a window keeps the part of it inside the slot, or the slot).

Each (size, variant) runs ``hubroute demo --scenario ... --time-limit L`` in a fresh
process, exactly as a planner would (hub cost model, report and map included), at the
scenario's default limit ``L`` and, for sizes up to ``--long-max-pickups``, at ``10 x L``.
The wall time is the whole command, from process start to exit. The plan is then checked
by the independent plan checker (``routing.plan_check``) against the problem, the travel
matrices and the hub cost model, outside the timed part.

Reported per run: pickups, limit, wall, wall over limit, whether it is within
``L + max(5 %, 1 s)``, violations found, total cost, ``objective_rmb`` and its gap to the
total, unassigned pickups, the winning engine and the gap of the cost to the 10x plan of
the same day (where one was run). The machine's load average before each run is
recorded (2 cores shared with other work: wall times stretch under load).

Output: a markdown table on stdout and in ``--out`` (default
``benchmarks/runs/domain-DATE.md``), with a CSV beside it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SIZES = (100, 500, 1000, 2000, 5000)
VARIANTS = ("base", "short", "narrow")
FIELDS = (
    "pickups",
    "variant",
    "limit_s",
    "wall_s",
    "over_s",
    "within",
    "violations",
    "total_cost_rmb",
    "objective_rmb",
    "objective_gap_pct",
    "unassigned",
    "solver",
    "gap_to_10x_pct",
    "load_before",
)


def make_day(n: int, work: Path) -> Path:
    """The scaled day's folder (generated once)."""
    out = work / f"xp{n}"
    if not (out / "scenario.toml").is_file():
        subprocess.run(
            [
                sys.executable,
                str(REPO / "fixtures/make_xinping.py"),
                "--pickups",
                str(n),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
    return out


def make_variant(day: Path, variant: str) -> Path:
    """Write a variant of a day beside it (roads shared by symlink)."""
    if variant == "base":
        return day
    out = day.parent / f"{day.name}-{variant}"
    out.mkdir(exist_ok=True)
    for name in ("scenario.toml", "roads.geojson", "fleet.toml", "pickups.csv"):
        target = out / name
        if target.exists() or target.is_symlink():
            target.unlink()
        if name == "roads.geojson":
            target.symlink_to(day / name)
        else:
            shutil.copy(day / name, target)
    if variant == "short":
        lines = (out / "fleet.toml").read_text(encoding="utf-8").splitlines()
        fixed = []
        for line in lines:
            if line.strip().startswith("count") and "=" in line:
                count = int(line.split("=", 1)[1].split("#")[0])
                line = f"count = {max(1, int(count * 0.8))}"
            fixed.append(line)
        (out / "fleet.toml").write_text("\n".join(fixed) + "\n", encoding="utf-8")
    elif variant == "narrow":
        _narrow_windows(out / "pickups.csv")
    else:
        raise SystemExit(f"unknown variant {variant!r}; use {VARIANTS}")
    return out


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{(s % 3600) // 60:02d}"


def _seconds(text: str) -> int | None:
    if not text:
        return None
    h, m = text.split(":")[:2]
    return int(h) * 3600 + int(m) * 60


def _narrow_windows(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(15)
    for row in rows:
        start = 8 * 3600 + int(rng.integers(0, 17)) * 1800  # 08:00 .. 16:00
        end = start + 2 * 3600
        ready, close = _seconds(row["ready"]), _seconds(row["close"])
        if ready is not None and close is not None and max(ready, start) < min(close, end):
            start, end = max(ready, start), min(close, end)
        row["ready"], row["close"] = _clock(start), _clock(end)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def run_plan(day: Path, limit_s: float, out: Path) -> tuple[float, dict[str, Any]]:
    """Run the command; return its wall time and the plan."""
    cmd = [
        str(Path(sys.executable).with_name("hubroute")),
        "demo",
        "--scenario",
        str(day / "scenario.toml"),
        "--time-limit",
        f"{limit_s:g}",
        "--out",
        str(out),
    ]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    wall = time.monotonic() - t0
    if not (out / "plan.json").is_file():
        raise RuntimeError(f"{day.name}: no plan (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return wall, json.loads((out / "plan.json").read_text(encoding="utf-8"))


def check(day: Path, out: Path) -> int:
    """Violations found by the independent checker on the written plan."""
    from routing.io import read_scenario
    from routing.matrix import RoadMatrixProvider
    from routing.model import Plan
    from routing.pipeline import matrices_for
    from routing.road_file import network_from_file

    sc = read_scenario(day / "scenario.toml")
    plan = Plan.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    assert sc.network_path is not None
    matrices = matrices_for(sc.problem, RoadMatrixProvider(network_from_file(sc.network_path)))
    from routing.cli import DEFAULT_COST_MODEL
    from routing.cost_model import read_cost_model
    from routing.plan_check import check_plan

    # The priced plan is checked with the rates `hubroute demo` priced it with.
    found = check_plan(sc.problem, plan, matrices, cost_model=read_cost_model(DEFAULT_COST_MODEL))
    for v in found[:5]:
        print(f"    violation: {v}", flush=True)
    return len(found)


def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every run of the benchmark, in order: default limits first, then 10x."""
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    long_cost: dict[tuple[int, str], float] = {}
    plans: list[tuple[int, str, float]] = []
    for n in args.pickups:
        day = make_day(n, work)
        limit = float(args.time_limit or _default_limit(day))
        for variant in args.variants:
            plans.append((n, variant, limit))
    runs = [] if args.long_only else [(n, v, lim, False) for n, v, lim in plans]
    runs += [(n, v, lim * 10, True) for n, v, lim in plans if n <= args.long_max_pickups]
    for n, variant, limit, long in runs:
        day = make_variant(make_day(n, work), variant)
        out = work / "out" / f"{n}-{variant}-{limit:g}"
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()[0]
        print(f"{n} {variant} limit {limit:g} s (load {load:.1f}) ...", flush=True)
        wall, plan = run_plan(day, limit, out)
        s = plan["summary"]
        total, objective = float(s["total_cost_rmb"]), s.get("objective_rmb")
        row: dict[str, Any] = {
            "pickups": n,
            "variant": variant,
            "limit_s": limit,
            "wall_s": round(wall, 1),
            "over_s": round(wall - limit, 1),
            "within": wall <= limit + max(0.05 * limit, 1.0),
            "violations": check(day, out),
            "total_cost_rmb": total,
            "objective_rmb": objective,
            "objective_gap_pct": round(100 * (objective - total) / total, 3)
            if objective and total
            else None,
            "unassigned": len(plan["unassigned"]),
            "solver": s.get("solver", ""),
            "gap_to_10x_pct": None,
            "load_before": round(load, 1),
            "long": long,
        }
        if long:
            long_cost[(n, variant)] = total
        rows.append(row)
        print(f"    {row}", flush=True)
    if args.reference:
        for ref_csv in args.reference:
            long_cost = {**read_reference(Path(ref_csv)), **long_cost}
    for row in rows:
        ref = long_cost.get((row["pickups"], row["variant"]))
        if ref and not row["long"]:
            row["gap_to_10x_pct"] = round(100 * (row["total_cost_rmb"] - ref) / ref, 2)
    return rows


def read_reference(path: Path) -> dict[tuple[int, str], float]:
    """The 10x plans' costs from an earlier run's CSV, by (pickups, variant)."""
    with path.open(encoding="utf-8", newline="") as f:
        return {
            (int(r["pickups"]), r["variant"]): float(r["total_cost_rmb"])
            for r in csv.DictReader(f)
            if r.get("long") == "True"
        }


def _default_limit(day: Path) -> float:
    import tomllib

    data = tomllib.loads((day / "scenario.toml").read_text(encoding="utf-8"))
    return float(data.get("solve", {}).get("time_limit_s", 20))


def table(rows: Sequence[dict[str, Any]], fields: Sequence[str] = FIELDS) -> str:
    """Markdown table of the runs, one column per field."""
    lines = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    for r in rows:
        lines.append("| " + " | ".join("" if r[f] is None else str(r[f]) for f in fields) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pickups", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--time-limit", type=float, default=None, help="Default: the scenario's.")
    ap.add_argument("--long-max-pickups", type=int, default=500, help="10x runs up to N.")
    ap.add_argument("--long-only", action="store_true", help="Only the 10x runs.")
    ap.add_argument(
        "--reference",
        nargs="*",
        default=[],
        help="CSVs of earlier runs whose 10x plans give the gap.",
    )
    ap.add_argument("--work-dir", default="/tmp/hubroute-domain-bench")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    ap.add_argument("--out", default=str(REPO / f"benchmarks/runs/domain-{stamp}.md"))
    args = ap.parse_args(argv)
    started = time.monotonic()
    rows = bench(args)
    text = "\n".join(
        [
            f"# Domain-day benchmark {stamp} UTC",
            "",
            f"Machine: {os.cpu_count()} cores shared with other work; load average at "
            f"the start of each run in `load_before`. Whole command timed "
            f"(`hubroute demo --scenario ... --time-limit L`, report and map included).",
            f"10x runs: sizes up to {args.long_max_pickups} pickups"
            + (" (only the 10x runs)." if args.long_only else ".")
            + (f" 10x references: {', '.join(args.reference)}." if args.reference else ""),
            f"Benchmark wall time: {time.monotonic() - started:.0f} s.",
            "",
            table(rows),
            "",
        ]
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    with Path(args.out).with_suffix(".csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*FIELDS, "long"])
        writer.writeheader()
        writer.writerows(rows)
    print(text)


if __name__ == "__main__":
    main()
