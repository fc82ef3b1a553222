"""Does the engines' objective equal the priced cost on a real-roads (OSM) day?

Usage (from the repository root)::

    .venv/bin/python benchmarks/osm_objective_bench.py
    .venv/bin/python benchmarks/osm_objective_bench.py --iterations 50 --seed 3

Plans the Andorra collection day (``fixtures/andorra``: the OpenStreetMap extract in
``../shared/osm`` with SRTM elevation, 57 pickups, vans and a 12-t truck that pay for
each 100 m climbed) through :func:`routing.pipeline.plan_day`, deterministically (an
iteration budget), once with each cost model:

- ``hub``: the hub's cost model (``fixtures/costs/xinping.toml``: road-class factors
  county 1.1, village 1.3, track 1.5; energy, driver and fixed rates per vehicle);
- ``fleet``: the fleet file's own rates (no class factors).

For each it prints what the engines minimised (``summary.objective_rmb``), what the
plan is charged (``summary.total_cost_rmb``, climbing energy included) and the gap
between them, plus the ascent driven and its cost. Map data © OpenStreetMap
contributors, ODbL.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.cli import DEFAULT_COST_MODEL  # noqa: E402
from routing.cost_model import read_cost_model  # noqa: E402
from routing.io import make_problem, read_fleet, read_pickups  # noqa: E402
from routing.model import Hub  # noqa: E402
from routing.pipeline import SolveOptions, plan_day  # noqa: E402
from routing.roads import read_roads  # noqa: E402

OSM = REPO / ".." / "shared" / "osm"
FIXTURE = REPO / "fixtures" / "andorra"
HUB = Hub(id="hub", lon=1.521247, lat=42.506939)


def main(argv: list[str] | None = None) -> None:
    """Plan the day with each cost model and print objective, priced total and gap."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    network = read_roads(OSM / "andorra.osm.pbf", elevation=OSM, profile="europe")
    problem = make_problem(
        hubs=[HUB],
        pickups=read_pickups(FIXTURE / "pickups.csv"),
        fleet=read_fleet(FIXTURE / "fleet.toml"),
    )
    print(
        f"andorra: {len(problem.pickups)} pickups, roads read in {time.perf_counter() - t0:.1f} s"
    )
    print(
        f"{'cost model':<10} {'objective_rmb':>13} {'total_cost_rmb':>14} {'gap_rmb':>8} "
        f"{'gap_%':>7} {'runs':>4} {'km':>7} {'ascent_m':>8} {'climb_rmb':>9} {'plan_s':>6}"
    )
    for name, model in (("hub", read_cost_model(DEFAULT_COST_MODEL)), ("fleet", None)):
        options = SolveOptions(
            iterations=args.iterations,
            seed=args.seed,
            time_limit_s=120,
            cost_model=model,
            baselines=False,
        )
        t1 = time.perf_counter()
        plan = plan_day(problem, network=network, options=options)
        s = plan.summary
        gap = s.total_cost_rmb - s.objective_rmb
        ascent = sum(r.ascent_m or 0 for r in plan.runs)
        climb = sum(r.climb_cost_rmb or 0.0 for r in plan.runs)
        print(
            f"{name:<10} {s.objective_rmb:>13.2f} {s.total_cost_rmb:>14.2f} {gap:>8.2f} "
            f"{100 * gap / s.total_cost_rmb:>7.3f} {len(plan.runs):>4} "
            f"{sum(r.distance for r in plan.runs) / 1000:>7.1f} {ascent:>8} {climb:>9.2f} "
            f"{time.perf_counter() - t1:>6.1f}"
        )


if __name__ == "__main__":
    main()
