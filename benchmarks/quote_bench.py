"""Quote latency on Xinping-like plans of 100, 500 and 2,000 pickups.

Usage (from the repository root)::

    .venv/bin/python benchmarks/quote_bench.py [--sizes 100 500 2000] [--quotes 200]

Each size is a scaled Xinping scenario from ``fixtures/make_xinping.py --pickups N``
(or, if that script is missing, the fixture's pickups resampled near themselves), planned
with the pipeline on its road network. Then 200 requests near random pickups (1-30
parcels, seeded) are quoted against the plan with one :class:`QuoteContext`, and the
latency of each quote is measured. Prints a table: median and p95 per quote, the
context's one-off build time and how many quotes were feasible.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.baselines import nearest_neighbour_baseline  # noqa: E402
from routing.build import build_instance, split_oversize  # noqa: E402
from routing.io import read_scenario  # noqa: E402
from routing.matrix import RoadMatrixProvider  # noqa: E402
from routing.model import Plan, Problem  # noqa: E402
from routing.network import RoadNetwork  # noqa: E402
from routing.pipeline import SolveOptions, matrices_for, plan_day  # noqa: E402
from routing.plan import assemble_plan  # noqa: E402
from routing.quote import PickupRequest, QuoteContext  # noqa: E402
from routing.road_file import network_from_file  # noqa: E402
from routing.solve.instance import Route, Solution, Trip  # noqa: E402


def scenario(n: int, tmp: Path) -> tuple[Problem, RoadNetwork]:
    """A scaled Xinping problem with ``n`` pickups and its road network."""
    script = REPO / "fixtures" / "make_xinping.py"
    out = tmp / f"xp{n}"
    if script.exists():
        subprocess.run(
            [sys.executable, str(script), "--pickups", str(n), "--out", str(out)],
            check=True,
            capture_output=True,
        )
        sc = read_scenario(out / "scenario.toml")
    else:  # resample the fixture's pickups near themselves
        sc = read_scenario(REPO / "fixtures" / "xinping" / "scenario.toml")
        rng = np.random.default_rng(n)
        base = sc.problem.pickups
        picks = [base[int(i)] for i in rng.integers(0, len(base), n)]
        pickups = tuple(
            p.model_copy(
                update={
                    "id": f"S{k:04d}",
                    "lon": p.lon + float(rng.normal(0, 0.004)),
                    "lat": p.lat + float(rng.normal(0, 0.004)),
                }
            )
            for k, p in enumerate(picks)
        )
        sc = sc.__class__(
            problem=sc.problem.model_copy(update={"pickups": pickups}),
            network_path=sc.network_path,
            time_limit_s=sc.time_limit_s,
            root=sc.root,
        )
    assert sc.network_path is not None
    # Scaled scenarios may hold a pickup bigger than the vehicles allowed there, and
    # the fleet grows with the pickups (the fixture's fleet is sized for ~100).
    scale = max(1.0, n / 98)
    fleet = tuple(
        v.model_copy(update={"count": math.ceil(v.count * scale)}) if v.count else v
        for v in sc.problem.vehicle_types
    )
    problem = split_oversize(sc.problem.model_copy(update={"vehicle_types": fleet}))
    return problem, network_from_file(sc.network_path)


def greedy_plan(problem: Problem, net: RoadNetwork) -> Plan:
    """A plan of nearest-neighbour runs, assembled and costed by the planner's code."""
    mats = matrices_for(problem, RoadMatrixProvider(net))
    built = build_instance(problem, mats)
    nn = nearest_neighbour_baseline(problem, mats, list(built.pickups))
    client = {p.id: i for i, p in enumerate(built.pickups)}
    type_index = {v.name: i for i, v in enumerate(problem.vehicle_types)}
    trips: dict[str, list[Trip]] = {}
    for r in nn.runs:
        trips.setdefault(r.vehicle, []).append(Trip(clients=tuple(client[i] for i in r.pickup_ids)))
    routes = tuple(
        Route(
            vehicle_type=type_index[name.rpartition("-")[0]],
            vehicle=int(name.rpartition("-")[2]) - 1,
            trips=tuple(ts),
        )
        for name, ts in trips.items()
    )
    served = {c for r in routes for t in r.trips for c in t.clients}
    solution = Solution(
        routes=routes,
        unassigned=tuple(c for c in range(len(built.pickups)) if c not in served),
        cost=0,
        engine="nearest_neighbour",
    )
    return assemble_plan(problem, built, solution, mats)


def bench(n: int, quotes: int, tmp: Path, max_pipeline: int) -> dict[str, object]:
    """Plan one size and time ``quotes`` quotes against it."""
    problem, net = scenario(n, tmp)
    t0 = time.perf_counter()
    source = "pipeline"
    if n <= max_pipeline:
        plan = plan_day(problem, network=net, options=SolveOptions(time_limit_s=max(5.0, n / 40)))
    if n > max_pipeline or plan.summary.pickups - plan.summary.unassigned < 0.8 * n:
        # The solver left most pickups out (or was not asked): quote against greedy runs.
        plan = greedy_plan(problem, net)
        source = "greedy"
    plan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctx = QuoteContext(plan, net, problem=problem)
    ctx_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    pickups = problem.pickups
    lat_ms: list[float] = []
    feasible = 0
    for _ in range(quotes):
        p = pickups[int(rng.integers(0, len(pickups)))]
        req = PickupRequest(
            lon=p.lon + float(rng.normal(0, 0.003)),
            lat=p.lat + float(rng.normal(0, 0.003)),
            parcels=int(rng.integers(1, 31)),
            weight_kg=float(rng.uniform(10, 400)),
        )
        t = time.perf_counter()
        q = ctx.quote(req)
        lat_ms.append((time.perf_counter() - t) * 1000)
        feasible += q.feasible
    lat_ms.sort()
    return {
        "pickups": n,
        "plan": source,
        "stops": sum(len(r.stops) for r in plan.runs),
        "runs": len(plan.runs),
        "nodes": net.graph.number_of_nodes(),
        "plan_s": plan_s,
        "context_s": ctx_s,
        "median_ms": statistics.median(lat_ms),
        "p95_ms": lat_ms[min(len(lat_ms) - 1, int(0.95 * len(lat_ms)))],
        "max_ms": lat_ms[-1],
        "feasible": feasible,
        "quotes": quotes,
    }


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    ap.add_argument("--quotes", type=int, default=200)
    ap.add_argument(
        "--max-pipeline",
        type=int,
        default=500,
        help="plan larger sizes with greedy runs instead of the solver (faster)",
    )
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rows.append(bench(n, args.quotes, Path(tmp), args.max_pipeline))
            print(f"  done {n} pickups: {rows[-1]}", file=sys.stderr, flush=True)
    head = (
        f"{'pickups':>7} {'plan':>8} {'in runs':>7} {'runs':>5} {'nodes':>6} {'plan s':>7} "
        f"{'ctx s':>6} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} {'feasible':>9}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['pickups']:>7} {r['plan']:>8} {r['stops']:>7} {r['runs']:>5} {r['nodes']:>6} "
            f"{r['plan_s']:>7.1f} {r['context_s']:>6.2f} {r['median_ms']:>9.2f} "
            f"{r['p95_ms']:>7.2f} {r['max_ms']:>7.2f} {r['feasible']:>4}/{r['quotes']}"
        )


if __name__ == "__main__":
    main()
