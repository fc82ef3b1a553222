"""What ``hubroute demo --tiers`` does: read, plan, check, write (the CLI stays thin)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from routing.deadline import Deadline, after_solve_s, report_s
from routing.io import write_outputs
from routing.model import Plan
from routing.pipeline import SolveOptions
from routing.road_file import network_from_file
from routing.tiers.check import check_tier_plan
from routing.tiers.flow import plan_tiers
from routing.tiers.io import read_tier_scenario
from routing.tiers.roads import tier_matrices

DEFAULT_TIERS_SCENARIO = (
    Path(__file__).resolve().parents[2] / "fixtures" / "xinping" / "scenario_tiers.toml"
)


@dataclass(frozen=True)
class TierResult:
    """The plan, what the checker found and the files written."""

    plan: Plan
    problems: list[str]
    written: list[Path]


def plan_tier_scenario(
    scenario: Path,
    out: Path,
    *,
    time_limit_s: float | None,
    iterations: int | None,
    seed: int,
    progress: Callable[[str], None],
    report: bool = False,
    deadline_from: Callable[..., Deadline] = Deadline.after,
) -> TierResult:
    """Plan a three-tier scenario, check it independently and write the outputs.

    The time limit bounds the whole command: ``deadline_from(limit, reserve_s=...)``
    sets the moment (the CLI counts from process start), and the plan gets what
    the check, the files and the report leave.
    """
    progress("reading input")
    sc = read_tier_scenario(scenario)
    network = None
    if sc.network_path is not None:
        progress("road network")
        network = network_from_file(sc.network_path)
    options = SolveOptions(
        time_limit_s=time_limit_s if time_limit_s is not None else sc.time_limit_s,
        iterations=iterations,
        seed=seed,
        baselines=False,
    )
    pickups = len(sc.tiers.problem.pickups)
    # The independent check takes about what assembling a plan does.
    reserve_s = report_s(sc.tiers.problem, report) + after_solve_s(pickups)
    deadline = deadline_from(options.time_limit_s, reserve_s=reserve_s)
    progress("matrices")
    roads = tier_matrices(sc.tiers, network, max_snap_m=options.max_snap_m)
    plan = plan_tiers(
        sc.tiers,
        network=network,
        options=options,
        progress=progress,
        deadline=deadline,
        roads=roads,
    )
    progress("checking")
    matrices, _ = roads
    problems = check_tier_plan(sc.tiers, plan, matrices)
    sources = {"scenario": str(scenario.resolve())}
    if sc.network_path is not None:
        sources["network"] = str(sc.network_path.resolve())
    plan = plan.model_copy(update={"sources": sources})
    progress("writing outputs")
    written = list(write_outputs(plan, out, hubs=sc.tiers.problem.hubs).values())
    transfers = out / "transfers.csv"
    transfers.write_text(transfers_csv(plan), encoding="utf-8")
    written.append(transfers)
    if report:
        progress("report")
        from routing.report import write_map_png, write_report

        written.append(write_report(plan, out, network=network))
        written.append(write_map_png(plan, out / "map.png", network=network))
    return TierResult(plan, problems, written)


def transfers_csv(plan: Plan) -> str:
    """One row per transfer: where, what, from which runs to which run, when."""
    rows = ["station,parcels,weight_kg,delivery_parcels,from_runs,to_run,ready,loaded,handling_rmb"]
    for t in plan.transfers:
        rows.append(
            f"{t.station_id},{t.parcels},{t.weight_kg},{t.delivery_parcels},"
            f"{';'.join(t.from_runs)},{t.to_run},{t.ready_time},{t.loaded_time},"
            f"{t.handling_rmb:.2f}"
        )
    return "\n".join(rows) + "\n"
