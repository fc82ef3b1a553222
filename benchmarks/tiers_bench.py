"""Three tiers against one tier on the Xinping day, under the same driving rules.

Both plans take the same pickups, the same hub fleet, the same driver-hours rules
(``[driver_hours]`` of the scenario) and the same solve budget; the one-tier plan
uses no feeders (stations only as places to sleep on a two-day run). Each plan is
judged by the independent checker :func:`routing.tiers.check.check_tier_plan`.
With a clock budget each plan's wall time (matrices included) is held against the
product's rule: time limit + max(5 %, 1 s).

Reported per plan: RMB in all and per parcel handled, km, working hours (driving,
stops, rests, waiting; nights excluded), driving hours, runs by tier, vehicles,
overnight runs, unassigned pickups, the longest driving day of any vehicle, the
villages more than 7 h from the hub and how each is served, and checker findings.

Run: ``python benchmarks/tiers_bench.py [--time-limit S] [--iterations N] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from routing.model import Plan  # noqa: E402
from routing.pipeline import SolveOptions  # noqa: E402
from routing.road_file import network_from_file  # noqa: E402
from routing.tiers.check import check_tier_plan  # noqa: E402
from routing.tiers.flow import plan_tiers  # noqa: E402
from routing.tiers.hours import driving_by_vehicle  # noqa: E402
from routing.tiers.io import read_tier_scenario  # noqa: E402
from routing.tiers.overnight import duty_s  # noqa: E402
from routing.tiers.roads import tier_matrices  # noqa: E402

SCENARIO = REPO / "fixtures" / "xinping" / "scenario_tiers.toml"
FAR_H = 7.0


def within(wall_s: float, limit_s: float, iterations: int | None) -> str:
    """Whether ``wall_s`` keeps to the clock rule (iteration budgets have none)."""
    if iterations is not None:
        return f"{wall_s:.1f} s (iteration budget: no clock rule)"
    allowed = limit_s + max(0.05 * limit_s, 1.0)
    verdict = "within" if wall_s <= allowed else "OVER"
    return f"{wall_s:.1f} s ({verdict} {limit_s:g} s + max(5%, 1 s) = {allowed:.1f} s)"


def describe(name: str, plan: Plan, far: list[str], problems: list[str], wall: str) -> str:
    """One block of text per plan."""
    s = plan.summary
    tiers = Counter(r.tier or "direct" for r in plan.runs)
    drive = driving_by_vehicle([r for r in plan.runs if r.overnight is None])
    longest = max(drive.values(), default=0)
    two_day = [f"{(r.drive_s or 0) / 3600:.2f}" for r in plan.runs if r.overnight]
    served = {s_.pickup_id: r for r in plan.runs for s_ in r.stops}
    lines = [
        f"== {name}",
        f"cost           RMB {s.total_cost_rmb:,.2f}  (RMB {s.cost_per_parcel_rmb} per parcel "
        f"handled; {s.parcels} collected + {s.delivery_parcels} dropped)",
        f"distance       {s.distance_km:,.1f} km",
        f"working hours  {sum(duty_s(r) for r in plan.runs) / 3600:,.1f} h",
        f"driving hours  {sum(r.drive_s or 0 for r in plan.runs) / 3600:,.1f} h",
        f"runs           {s.runs} ({', '.join(f'{k} {v}' for k, v in sorted(tiers.items()))}); "
        f"{sum(1 for r in plan.runs if r.overnight)} two-day",
        f"vehicles       {s.vehicles}",
        f"transfers      {len(plan.transfers)} at "
        f"{len({t.station_id for t in plan.transfers})} stations",
        f"unassigned     {s.unassigned} {[u.pickup_id for u in plan.unassigned]}",
        f"longest drive  {longest / 3600:.2f} h in a one-day vehicle; two-day runs drive "
        f"{two_day} h over both days (each day checked against the limit)",
        f"checker        {problems if problems else 'ok'}",
        f"wall time      {wall}",
        f"villages > {FAR_H:g} h from the hub:",
    ]
    for pid in far:
        r = served.get(pid)
        how = (
            "unassigned"
            if r is None
            else (
                f"{r.tier} {r.vehicle} {r.start_time}-{r.end_time}"
                + (f", night at {r.overnight.station_id}" if r.overnight else "")
            )
        )
        lines.append(f"  {pid}: {how}")
    return "\n".join(lines)


def main() -> None:
    """Plan both, check both, print and save the comparison."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sc = read_tier_scenario(SCENARIO)
    network = network_from_file(sc.network_path) if sc.network_path else None
    limit = args.time_limit or sc.time_limit_s
    options = SolveOptions(time_limit_s=limit, iterations=args.iterations, baselines=False)
    matrices, _ = tier_matrices(sc.tiers, network)
    hub = sc.tiers.problem.hubs[0].id
    m = matrices[next(iter(matrices))]
    far = [
        p.id
        for p in sc.tiers.problem.pickups
        if m.duration_s[m.index(hub), m.index(p.id)] > FAR_H * 3600
    ]
    blocks = [
        f"tiers_bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, scenario {SCENARIO.name}, "
        f"budget {limit:g} s each, iterations {args.iterations}",
    ]
    for name, stations in (("one tier (hub runs only)", False), ("three tiers", True)):
        t0 = time.perf_counter()
        plan = plan_tiers(sc.tiers, network=network, options=options, use_stations=stations)
        wall = within(time.perf_counter() - t0, limit, args.iterations)
        blocks.append(describe(name, plan, far, check_tier_plan(sc.tiers, plan, matrices), wall))
    text = "\n\n".join(blocks)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
