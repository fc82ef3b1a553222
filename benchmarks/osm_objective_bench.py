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
between them, plus the ascent driven and its cost and the seconds spent on the
matrices, on the charged metres and on the whole plan.

To compare the plans of two versions of the code on the same prices, run the older
one with ``--save DIR`` (it writes ``DIR/<cost model>-<seed>.json``) and this one with
``--reprice DIR``: each saved plan is priced again as this version prices a plan
(class factors along each vehicle's own fastest paths, climbs included) next to the
plan this version makes with the same seed.

Map data © OpenStreetMap contributors, ODbL.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.cli import DEFAULT_COST_MODEL  # noqa: E402
from routing.cost_model import CostModel, read_cost_model  # noqa: E402
from routing.io import make_problem, read_fleet, read_pickups  # noqa: E402
from routing.model import Hub, Plan, Problem  # noqa: E402
from routing.network import RoadNetwork  # noqa: E402
from routing.pipeline import SolveOptions, plan_day  # noqa: E402
from routing.roads import read_roads  # noqa: E402

OSM = REPO / ".." / "shared" / "osm"
FIXTURE = REPO / "fixtures" / "andorra"
HUB = Hub(id="hub", lon=1.521247, lat=42.506939)


def main(argv: list[str] | None = None) -> None:
    """Plan the day with each cost model and print objective, priced total and gap."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument(
        "--time-limit",
        type=float,
        help="plan against the clock with the engine portfolio instead of --iterations",
    )
    parser.add_argument("--engines", default="auto", help="comma-separated, with --time-limit")
    parser.add_argument("--seeds", default="0", help="comma-separated solver seeds")
    parser.add_argument("--save", type=Path, help="write each plan here as JSON")
    parser.add_argument("--reprice", type=Path, help="price the plans saved here again")
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
        + (
            f", {args.time_limit:g} s per plan, engines {args.engines}"
            if args.time_limit
            else f", {args.iterations} iterations"
        )
    )
    print(
        f"{'model':<6} {'seed':>4} {'objective_rmb':>13} {'total_cost_rmb':>14} {'gap_rmb':>8} "
        f"{'gap_%':>7} {'runs':>4} {'km':>6} {'ascent_m':>8} {'climb_rmb':>9} "
        f"{'matrix_s':>8} {'costs_s':>7} {'plan_s':>6}"
    )
    models: dict[str, CostModel | None] = {
        "hub": read_cost_model(DEFAULT_COST_MODEL),
        "fleet": None,
    }
    plans: dict[str, Plan] = {}
    for name, model in models.items():
        for seed in (int(x) for x in args.seeds.split(",")):
            options = SolveOptions(
                iterations=None if args.time_limit else args.iterations,
                seed=seed,
                time_limit_s=args.time_limit or 120,
                engines=tuple(args.engines.split(",")),
                cost_model=model,
                baselines=False,
            )
            t1 = time.perf_counter()
            plan = plan_day(problem, network=network, options=options)
            plan_s = time.perf_counter() - t1
            plans[f"{name}-{seed}"] = plan
            _row(name, seed, plan, plan_s)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"{name}-{seed}.json").write_text(plan.model_dump_json())
    if args.reprice:
        _reprice(args.reprice, problem, network, models, plans)


def _row(name: str, seed: int, plan: Plan, plan_s: float) -> None:
    s = plan.summary
    objective = s.objective_rmb if s.objective_rmb is not None else float("nan")
    gap = s.total_cost_rmb - objective
    timings = s.timings_s
    print(
        f"{name:<6} {seed:>4} {objective:>13.2f} {s.total_cost_rmb:>14.2f} {gap:>8.2f} "
        f"{100 * gap / s.total_cost_rmb:>7.3f} {len(plan.runs):>4} "
        f"{sum(r.distance for r in plan.runs) / 1000:>6.1f} "
        f"{sum(r.ascent_m or 0 for r in plan.runs):>8} "
        f"{sum(r.climb_cost_rmb for r in plan.runs):>9.2f} "
        f"{timings.get('matrices', 0.0):>8.2f} {timings.get('road_costs', 0.0):>7.2f} "
        f"{plan_s:>6.1f}"
    )


def _reprice(
    folder: Path,
    problem: Problem,
    network: RoadNetwork,
    models: dict[str, CostModel | None],
    plans: dict[str, Plan],
) -> None:
    """Each saved plan priced as this version prices, next to this version's plan."""
    from routing.costs import apply_cost_model, fleet_cost_model
    from routing.roads.flow import add_climbs, day_costing, prepare_day

    day = prepare_day(problem, network, max_snap_m=SolveOptions().max_snap_m)
    print(f"saved plans from {folder}, priced on each vehicle's own fastest paths:")
    print(
        f"{'plan':<9} {'saved_rmb':>10} {'repriced_rmb':>12} {'this_rmb':>9} {'this-saved_%':>12}"
    )
    for key, plan in plans.items():
        path = folder / f"{key}.json"
        if not path.is_file():
            continue
        saved = Plan.model_validate(json.loads(path.read_text()))
        model = models[key.split("-")[0]] or fleet_cost_model()
        again = apply_cost_model(
            add_climbs(saved, day),
            model,
            network=day.cost_network,
            matrices=day.matrices,
            costing=day_costing(problem, day, model),
        )
        old, new = again.summary.total_cost_rmb, plan.summary.total_cost_rmb
        print(
            f"{key:<9} {saved.summary.total_cost_rmb:>10.2f} {old:>12.2f} {new:>9.2f} "
            f"{100 * (new - old) / old:>12.2f}"
        )


if __name__ == "__main__":
    main()
