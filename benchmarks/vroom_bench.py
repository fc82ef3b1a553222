"""hubroute's VROOM endpoint against VROOM itself (pyvroom) on random VROOM requests.

Each request (:func:`routing.vroom.samples.random_request`, seeds 0..N-1, 8 to 40 jobs,
1 to 5 vehicles, features drawn per request) is answered by both with the same time
budget: hubroute's default for the request's size (or ``--time-limit``), passed to
pyvroom (exploration level 5, one thread) as its timeout. Both answers are judged by
the independent referee :func:`routing.vroom.check.check_answer`, which also
recomputes every route's cost from the request, so costs compare like for like.

Reported: feasible answers, tasks served (more / equal / fewer than VROOM), the mean
and worst cost ratio where both serve the same tasks, wall and CPU time (both run one
after the other in this process, VROOM on one thread) and the machine's load average.

Run: ``python benchmarks/vroom_bench.py [--count 300] [--time-limit S] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from routing.vroom.api import answer_request  # noqa: E402
from routing.vroom.check import check_answer  # noqa: E402
from routing.vroom.request import parse_request  # noqa: E402
from routing.vroom.samples import random_request  # noqa: E402
from routing.vroom.solve import default_time_limit_s  # noqa: E402


def pyvroom_answer(request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """VROOM's answer (exploration level 5, one thread, ``timeout_s``)."""
    import vroom

    inp = vroom.Input()
    inp._from_json(json.dumps(request), False)
    solution = inp.solve(exploration_level=5, nb_threads=1, timeout=dt.timedelta(seconds=timeout_s))
    return dict(solution.to_dict())


def served_tasks(answer: dict[str, Any]) -> set[tuple[str, int]]:
    """(type, id) of every task on a route."""
    return {
        (s["type"], s["id"])
        for r in answer["routes"]
        for s in r["steps"]
        if s["type"] in ("job", "pickup", "delivery")
    }


def run_one(seed: int, time_limit: float | None) -> dict[str, Any]:
    """Both answers to request ``seed``, judged."""
    rng = np.random.default_rng(10_000 + seed)
    request = random_request(
        seed, n_jobs=int(rng.integers(8, 41)), n_vehicles=int(rng.integers(1, 6))
    )
    budget = time_limit or default_time_limit_s(parse_request(request))
    began, cpu = time.perf_counter(), time.process_time()
    ours = answer_request(request, time_limit_s=budget)
    ours_s, ours_cpu = time.perf_counter() - began, time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    theirs = pyvroom_answer(request, budget)
    theirs_s, theirs_cpu = time.perf_counter() - began, time.process_time() - cpu
    a, b = check_answer(request, ours), check_answer(request, theirs)
    return {
        "seed": seed,
        "tasks": len(request["jobs"]) + 2 * len(request.get("shipments", [])),
        "budget_s": round(budget, 3),
        "ours_feasible": not a.violations,
        "vroom_feasible": not b.violations,
        "ours_served": a.served,
        "vroom_served": b.served,
        "same_tasks": served_tasks(ours) == served_tasks(theirs),
        "speed_factor": any(v.get("speed_factor", 1.0) != 1.0 for v in request["vehicles"]),
        "ours_cost": a.cost,
        "vroom_cost": b.cost,
        "ours_s": round(ours_s, 3),
        "vroom_s": round(theirs_s, 3),
        "ours_cpu_s": round(ours_cpu, 3),
        "vroom_cpu_s": round(theirs_cpu, 3),
        "ours_violations": a.violations[:3],
        "vroom_violations": b.violations[:3],
    }


def _lower_equal_higher(rows: list[dict[str, Any]]) -> str:
    ratios = [r["ours_cost"] / r["vroom_cost"] for r in rows]
    return (
        f"lower on {sum(x < 1 - 1e-9 for x in ratios)}, equal on "
        f"{sum(abs(x - 1) <= 1e-9 for x in ratios)}, higher on {sum(x > 1 + 1e-9 for x in ratios)}"
    )


def summarise(rows: list[dict[str, Any]]) -> str:
    """The comparison table (markdown)."""
    n = len(rows)
    same = [r for r in rows if r["same_tasks"] and r["vroom_cost"] > 0]
    ratios = [r["ours_cost"] / r["vroom_cost"] for r in same]
    fewer = [r["seed"] for r in rows if r["ours_served"] < r["vroom_served"]]
    fewer_feasible = [
        r["seed"] for r in rows if r["ours_served"] < r["vroom_served"] and r["vroom_feasible"]
    ]
    lines = [
        "| measure | hubroute | VROOM |",
        "|---|---|---|",
        f"| requests | {n} | {n} |",
        f"| feasible (referee) | {sum(r['ours_feasible'] for r in rows)} | "
        f"{sum(r['vroom_feasible'] for r in rows)} |",
        f"| tasks served, total | {sum(r['ours_served'] for r in rows)} | "
        f"{sum(r['vroom_served'] for r in rows)} |",
        f"| requests serving more than the other | "
        f"{sum(r['ours_served'] > r['vroom_served'] for r in rows)} | "
        f"{sum(r['ours_served'] < r['vroom_served'] for r in rows)} |",
        f"| mean wall time, s | {statistics.mean(r['ours_s'] for r in rows):.3f} | "
        f"{statistics.mean(r['vroom_s'] for r in rows):.3f} |",
        f"| mean CPU time, s | {statistics.mean(r.get('ours_cpu_s', 0) for r in rows):.3f} | "
        f"{statistics.mean(r.get('vroom_cpu_s', 0) for r in rows):.3f} |",
        "",
        f"- same tasks served on {len(same)} requests: cost ratio hubroute/VROOM "
        f"mean {statistics.mean(ratios):.4f}, median {statistics.median(ratios):.4f}, "
        f"worst {max(ratios):.4f}, best {min(ratios):.4f}; {_lower_equal_higher(same)}"
        if ratios
        else "- no request with the same tasks served",
        "- of these, with a speed factor (times in hundredths of a second): "
        + _lower_equal_higher([r for r in same if r.get("speed_factor")])
        + "; without: "
        + _lower_equal_higher([r for r in same if not r.get("speed_factor")]),
        f"- time ratio hubroute/VROOM (mean of per-request ratios): "
        f"{statistics.mean(r['ours_s'] / max(r['vroom_s'], 1e-3) for r in rows):.1f}",
        f"- hubroute serves fewer tasks than VROOM on seeds {fewer} "
        f"(VROOM's answer feasible by the referee on {fewer_feasible})",
    ]
    return "\n".join(lines)


def _load() -> str:
    """The machine's load average: both sides share the cores with whatever else runs."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    """Run the comparison and write the rows and the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load_before = _load()
    rows = [run_one(seed, args.time_limit) for seed in range(args.first, args.first + args.count)]
    table = summarise(rows)
    budget = f"{args.time_limit} s" if args.time_limit else "hubroute's default by size"
    last = args.first + args.count - 1
    header = (
        f"# VROOM comparison, {dt.date.today()}: seeds {args.first}..{last}, "
        f"budget {budget}, pyvroom exploration 5, 1 thread\n"
    )
    header += f"# load average (1, 5, 15 min) at start {load_before}, at end {_load()}\n"
    print(header + table)
    if args.out is not None:
        args.out.write_text(
            header + table + "\n\n" + "\n".join(json.dumps(r) for r in rows) + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
