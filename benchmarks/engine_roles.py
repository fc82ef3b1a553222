"""Which engine wins where: the portfolio's candidates on the domain days, counted.

Usage (from the repository root, after ``benchmarks/domain_bench.py`` has written its
days under ``--work-dir``)::

    .venv/bin/python benchmarks/engine_roles.py --pickups 100 500 --time-limit 20

For each day (the Xinping demo day and the scaled days with their ``short`` and
``narrow`` variants) the hub's cost model is built into the instance and the default
portfolio solves it at ``--time-limit``. The portfolio's own statistics say what each
phase reached (our independent objective, cost units): the relaxed PyVRP rounds, and
in the polish round OR-Tools started from the best plan (with every constraint) beside
relaxed PyVRP from the same plan. A row per day; the summary counts, over the days,
which candidate the judge kept and how often OR-Tools' polish improved the plan it
started from.

Output: a markdown table on stdout and in ``--out`` (default
``benchmarks/runs/engine-roles-DATE.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def days(work: Path, sizes: Sequence[int]) -> list[tuple[str, Path]]:
    """The demo day and each scaled day's variants that exist under ``work``."""
    out = [("demo", REPO / "fixtures/xinping/scenario.toml")]
    for n in sizes:
        for suffix in ("", "-short", "-narrow"):
            path = work / f"xp{n}{suffix}" / "scenario.toml"
            if path.is_file():
                out.append((f"{n}{suffix or '-base'}", path))
    return out


def solve_day(path: Path, limit_s: float) -> dict[str, float | str]:
    """Solve one day with the default portfolio; its statistics and winner."""
    from routing.build import build_instance
    from routing.cost_model import read_cost_model
    from routing.io import read_scenario
    from routing.matrix import RoadMatrixProvider
    from routing.paths import snap_points
    from routing.pipeline import matrices_for
    from routing.road_cost import road_costing
    from routing.road_file import network_from_file
    from routing.solve.portfolio import solve

    sc = read_scenario(path)
    assert sc.network_path is not None
    net = network_from_file(sc.network_path)
    problem = sc.problem
    points = [(h.id, h.lon, h.lat) for h in problem.hubs] + [
        (p.id, p.lon, p.lat) for p in problem.pickups
    ]
    node_of = dict(zip([p[0] for p in points], snap_points(net, points).nodes, strict=True))
    matrices = matrices_for(problem, RoadMatrixProvider(net))
    model = read_cost_model(REPO / "fixtures/costs/xinping.toml")
    costing = road_costing(problem, matrices, model, network=net, node_of=node_of)
    instance = build_instance(problem, matrices, costing=costing).instance
    sol = solve(instance, time_limit_s=limit_s)
    row: dict[str, float | str] = {k: v for k, v in sol.stats.items()}
    row["winner"] = sol.engine.removeprefix("portfolio:")
    row["cost"] = float(sol.cost)
    row["clients"] = float(instance.num_clients)
    return row


def main(argv: Sequence[str] | None = None) -> None:
    """Run every day and write the table and the counts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pickups", type=int, nargs="+", default=[100, 500])
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--work-dir", default="/tmp/hubroute-domain-bench")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    ap.add_argument("--out", default=str(REPO / f"benchmarks/runs/engine-roles-{stamp}.md"))
    args = ap.parse_args(argv)
    lines = [
        f"# Engine roles {stamp} UTC, {args.time_limit:g} s per day, "
        f"{os.cpu_count()} cores (load {os.getloadavg()[0]:.1f} at the start)",
        "",
        "| day | clients | winner | best before polish | OR-Tools polish | relaxed PyVRP polish |",
        "|---|---|---|---|---|---|",
    ]
    winners: Counter[str] = Counter()
    improved = tried = 0
    for name, path in days(Path(args.work_dir), args.pickups):
        row = solve_day(path, args.time_limit)
        before = min(
            (float(v) for k, v in row.items() if k.startswith("cost_round_")),
            default=float("nan"),
        )
        ortools = row.get("cost_polish_ortools")
        relaxed = row.get("cost_polish_pyvrp-relaxed")
        if ortools is not None:
            tried += 1
            improved += float(ortools) < before
        winners[str(row["winner"])] += 1
        lines.append(
            f"| {name} | {int(float(row['clients']))} | {row['winner']} | {before / 1e5:.2f} "
            f"| {'' if ortools is None else f'{float(ortools) / 1e5:.2f}'} "
            f"| {'' if relaxed is None else f'{float(relaxed) / 1e5:.2f}'} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        "RMB (objective incl. prizes of unserved optional pickups).",
        f"Winners: {dict(winners)}. OR-Tools' polish improved the plan it started from on "
        f"{improved} of {tried} days.",
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
