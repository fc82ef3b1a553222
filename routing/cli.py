"""The ``hubroute`` command line: thin — parse, call one library function, print.

Bad input ends with one line per problem on stderr (record, field, fix) and exit
code 2, never a traceback. Commands of other installed packages (``hubroute serve``
from the service) are mounted from the ``hubroute.commands`` entry-point group, so the
library never imports them. A plan that breaks a constraint (``summary.feasible`` false)
is written, marked, warned about on stderr, and the command exits with code 3.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from routing.cli_files import read_network, write_report_files
from routing.console import (
    EXIT_INFEASIBLE,
    console,
    err_console,
    guarded,
    print_summary,
    progress_display,
    warn_if_infeasible,
)
from routing.errors import InputError as HubrouteInputError
from routing.model import Hub, Plan
from routing.roads.commands import network_app
from routing.vroom.cli import vroom as vroom_command

if TYPE_CHECKING:
    from routing.options import SolveOptions

app = typer.Typer(
    name="hubroute",
    help="Plan farm-to-hub collection runs over mountain roads, with per-parcel costs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO_ROOT / "fixtures" / "xinping" / "scenario.toml"
DEFAULT_COST_MODEL = REPO_ROOT / "fixtures" / "costs" / "xinping.toml"


def solve_options(
    *,
    time_limit_s: float,
    iterations: int | None,
    seed: int,
    allocation: str,
    engines: str,
    cost_model: Path | None,
) -> SolveOptions:
    """The command line's options, checked by the one options contract.

    Raises
    ------
    InputError
        Naming each bad option (``allocation``, ``engines``...) or cost-model key.
    """
    from routing.cost_model import read_cost_model
    from routing.options import SolveOptions

    return SolveOptions.from_mapping(
        {
            "time_limit_s": time_limit_s,
            "iterations": iterations,
            "seed": seed,
            "allocation": allocation,
            "engines": engines,
        },
        cost_model=read_cost_model(cost_model) if cost_model else None,
        record="command line",
    )


def _plan_and_write(
    problem_loader: Callable[[], tuple[object, Path | None, float]],
    out: Path,
    time_limit_s: float | None,
    iterations: int | None,
    seed: int,
    allocation: str,
    report: bool,
    cost_model: Path | None = None,
    scenario: Path | None = None,
    elevation: Path | None = None,
    road_profile: str = "rural_china",
    engines: str = "auto",
) -> Plan:
    from routing.deadline import Deadline, preload, report_s
    from routing.io import write_outputs
    from routing.model import Problem
    from routing.pipeline import plan_day

    with progress_display() as step:
        step("reading input")
        problem, network_path, default_limit = problem_loader()
        assert isinstance(problem, Problem)
        timings: dict[str, float] = {}
        network = read_network(network_path, elevation, road_profile, step, timings)
        options = solve_options(
            time_limit_s=time_limit_s if time_limit_s is not None else default_limit,
            iterations=iterations,
            seed=seed,
            allocation=allocation,
            engines=engines,
            cost_model=cost_model,
        )
        # The time limit bounds the whole command: the plan gets what reading, writing
        # and the report leave.
        limit_s = options.time_limit_s
        deadline = Deadline.since_process_start(limit_s, reserve_s=report_s(problem, report))
        if report:
            preload("matplotlib.figure", "matplotlib.backends.backend_agg", "routing.report")
        plan = plan_day(
            problem,
            network=network,
            options=options,
            progress=step,
            timings_s=timings,
            deadline=deadline,
        )
        # Where the plan came from, so `hubroute report` and `quote --plan` find the roads.
        found = {
            "network": network_path,
            "scenario": scenario,
            "cost_model": cost_model,
            "elevation": elevation,
        }
        sources = {k: str(Path(v).resolve()) for k, v in found.items() if v is not None}
        if network_path is not None:
            sources["road_profile"] = road_profile
        plan = plan.model_copy(update={"sources": {**plan.sources, **sources}})
        step("writing outputs")
        written = list(write_outputs(plan, out, hubs=problem.hubs).values())
        if report:
            step("report")
            written += write_report_files(plan, out, network)
    print_summary(plan)
    console.print(f"wrote {', '.join(str(p) for p in written)}", highlight=False)
    warn_if_infeasible(plan)
    return plan


TimeLimit = Annotated[
    float | None, typer.Option("--time-limit", help="Solver budget, seconds.", min=0.1)
]
Iterations = Annotated[
    int | None,
    typer.Option("--iterations", help="Stop after N improving solutions: reproducible plans."),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.")]
Out = Annotated[Path, typer.Option("--out", help="Output directory.")]
Allocation = Annotated[
    str,
    typer.Option("--allocation", help="Cost allocation methods, comma-separated; first is used."),
]
Engines = Annotated[
    str,
    typer.Option(
        "--engines", help="Solver engines, comma-separated: auto, ortools, pyvrp, pyvrp-relaxed."
    ),
]
Report = Annotated[
    bool, typer.Option("--report/--no-report", help="Write report.html and map.png.")
]
CostModelOpt = Annotated[
    Path | None,
    typer.Option("--cost-model", help="Hub cost model TOML (see fixtures/costs/xinping.toml)."),
]


@app.command()
def demo(
    out: Out = Path("out"),
    time_limit: TimeLimit = None,
    iterations: Iterations = None,
    seed: Seed = 0,
    allocation: Allocation = "proportional,standalone",
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario TOML.")] = DEFAULT_SCENARIO,
    report: Report = True,
    cost_model: CostModelOpt = DEFAULT_COST_MODEL,
    engines: Engines = "auto",
    tiers: Annotated[
        bool,
        typer.Option(
            "--tiers",
            help="Plan the three-tier day (village -> township station -> hub) instead.",
        ),
    ] = False,
) -> None:
    """Plan the Xinping navel-orange day and write plan.json, routes.geojson, runs.csv."""
    from routing.io import read_scenario

    if tiers:
        from routing.deadline import Deadline
        from routing.tiers.commands import DEFAULT_TIERS_SCENARIO, plan_tier_scenario

        path = DEFAULT_TIERS_SCENARIO if scenario == DEFAULT_SCENARIO else scenario
        with progress_display() as step:
            result = guarded(
                lambda: plan_tier_scenario(
                    path,
                    out,
                    time_limit_s=time_limit,
                    iterations=iterations,
                    seed=seed,
                    progress=step,
                    report=report,
                    deadline_from=Deadline.since_process_start,
                )
            )
        print_summary(result.plan)
        console.print(f"independent check: {'ok' if not result.problems else result.problems}")
        console.print(f"wrote {', '.join(str(p) for p in result.written)}", highlight=False)
        if result.problems:
            raise typer.Exit(code=EXIT_INFEASIBLE)
        return

    def load() -> tuple[object, Path | None, float]:
        sc = read_scenario(scenario)
        return sc.problem, sc.network_path, sc.time_limit_s

    def run() -> Plan:
        from routing.io import scenario_road_options

        elevation, road_profile = scenario_road_options(scenario)
        return _plan_and_write(
            load,
            out,
            time_limit,
            iterations,
            seed,
            allocation,
            report,
            cost_model,
            scenario,
            elevation=elevation,
            road_profile=road_profile,
            engines=engines,
        )

    guarded(run)


@app.command()
def plan(
    pickups: Annotated[
        Path, typer.Option("--pickups", help="Pickups: CSV, GeoJSON or GeoPackage.")
    ],
    fleet: Annotated[Path, typer.Option("--fleet", help="Fleet TOML.")],
    hub: Annotated[str, typer.Option("--hub", help="Hub position as LON,LAT.")],
    network: Annotated[
        Path | None,
        typer.Option(
            "--network",
            help="Roads: GeoPackage, GeoJSON, Shapefile, .osm.pbf, .osm(.bz2/.gz) or .graphml.",
        ),
    ] = None,
    elevation: Annotated[
        Path | None,
        typer.Option("--elevation", help="SRTM .hgt tiles (file, zip or folder) for OSM roads."),
    ] = None,
    road_profile: Annotated[
        str,
        typer.Option("--road-profile", help="OSM road profile: rural_china, europe or a TOML."),
    ] = "rural_china",
    out: Out = Path("out"),
    time_limit: TimeLimit = 10.0,
    iterations: Iterations = None,
    seed: Seed = 0,
    allocation: Allocation = "proportional,standalone",
    report: Report = True,
    split_oversize: Annotated[
        bool, typer.Option("--split-oversize", help="Split pickups bigger than any vehicle.")
    ] = False,
    cost_model: CostModelOpt = None,
    engines: Engines = "auto",
    closed_roads: Annotated[
        str,
        typer.Option("--closed-roads", help="Road ids closed today, comma-separated."),
    ] = "",
) -> None:
    """Plan from your own files (pickups, road network, fleet)."""
    from routing.io import make_problem, parse_lonlat, read_fleet, read_pickups

    def load() -> tuple[object, Path | None, float]:
        lon, lat = parse_lonlat(hub)
        problem = make_problem(
            hubs=[Hub(id="hub", name="hub", lon=lon, lat=lat)],
            pickups=read_pickups(pickups),
            fleet=read_fleet(fleet),
            name=pickups.stem,
            split_oversize=split_oversize,
            closed_roads=tuple(r.strip() for r in closed_roads.split(",") if r.strip()),
        )
        return problem, network, time_limit or 10.0

    guarded(
        lambda: _plan_and_write(
            load,
            out,
            time_limit,
            iterations,
            seed,
            allocation,
            report,
            cost_model,
            elevation=elevation,
            road_profile=road_profile,
            engines=engines,
        )
    )


def main() -> None:
    """Entry point for ``python -m routing``."""
    app()


def _plan_source(plan: Plan, plan_file: Path, key: str) -> Path | None:
    """A file named in ``plan.sources``: absolute, or relative to the plan's folder."""
    raw = plan.sources.get(key)
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_absolute() or path.exists() else plan_file.parent / path


@app.command()
def report(
    plan_file: Annotated[Path, typer.Argument(help="A plan.json written by hubroute.")],
    network: Annotated[
        Path | None,
        typer.Option("--network", help="Road network for the map (default: the plan's own)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory (default: beside plan.json).")
    ] = None,
) -> None:
    """Re-render report.html and map.png from a saved plan."""
    from routing.io import read_plan
    from routing.road_file import network_from_file

    def run() -> list[Path]:
        plan = read_plan(plan_file)
        net_path = network or _plan_source(plan, plan_file, "network")
        net = (
            network_from_file(
                net_path,
                elevation=_plan_source(plan, plan_file, "elevation"),
                road_profile=plan.sources.get("road_profile", "rural_china"),
            )
            if net_path is not None
            else None
        )
        return write_report_files(plan, out or plan_file.parent, net)

    written = guarded(run)
    console.print(f"wrote {', '.join(str(p) for p in written)}", highlight=False)


@app.command()
def vrplib(
    instance: Annotated[Path, typer.Argument(help="A VRPLIB instance file (.vrp).")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds.", min=0.1)] = 10.0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the solution (.sol) here.")
    ] = None,
    seed: Seed = 0,
    workers: Annotated[int, typer.Option("--workers", help="Processes to use.", min=1)] = 2,
) -> None:
    """Solve a VRPLIB benchmark instance with the same solver the plans use."""
    from routing.bench.solve import solve_vrplib_file

    def run() -> tuple[int, bool]:
        if not instance.is_file():
            raise HubrouteInputError(f"{instance}: file not found; check the path")
        _, cost, feasible = solve_vrplib_file(
            instance, time_limit_s=time_limit, seed=seed, out=out, workers=workers
        )
        return cost, feasible

    cost, feasible = guarded(run)
    console.print(
        f"{instance.name}: cost {cost}, {'feasible' if feasible else 'INFEASIBLE'}"
        + (f", wrote {out}" if out else ""),
        highlight=False,
    )
    if not feasible:
        raise typer.Exit(code=1)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def bench(ctx: typer.Context) -> None:
    """Benchmark on VRPLIB sets against best-known solutions and peer solvers.

    Options go to benchmarks/vrplib_bench.py (``hubroute bench --help`` lists them).
    """
    import runpy

    script = REPO_ROOT / "benchmarks" / "vrplib_bench.py"
    if not script.is_file():
        err_console.print("error: benchmarks/vrplib_bench.py not found; run from a checkout")
        raise typer.Exit(code=2)
    main = runpy.run_path(str(script))["main"]
    raise typer.Exit(code=int(main(list(ctx.args)) or 0))


@app.command()
def quote(
    plan_file: Annotated[Path, typer.Option("--plan", help="A plan.json written by hubroute.")],
    parcels: Annotated[int, typer.Option("--parcels", help="Parcels to collect.", min=1)],
    village: Annotated[
        str | None, typer.Option("--village", help="A village of the plan or its pickups.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="Position as LON,LAT.")] = None,
    weight_kg: Annotated[
        float | None, typer.Option("--weight-kg", help="Weight (default from parcels).", min=0)
    ] = None,
    network: Annotated[
        Path | None, typer.Option("--network", help="Road network (default: the plan's).")
    ] = None,
    cost_model: CostModelOpt = None,
) -> None:
    """Marginal cost of collecting one more pickup, against a saved plan."""
    from routing.io import parse_lonlat
    from routing.quote_request import quote_from_files

    def run() -> object:
        if (village is None) == (at is None):
            raise HubrouteInputError("give exactly one of --village NAME or --at LON,LAT")
        return quote_from_files(
            plan_file,
            village=village,
            at=parse_lonlat(at, what="--at") if at else None,
            parcels=parcels,
            weight_kg=weight_kg,
            network_path=network,
            cost_model_path=cost_model,
        )

    q = guarded(run)
    from routing.quote import Quote

    assert isinstance(q, Quote)
    if not q.feasible or q.cost_rmb is None:
        console.print(f"no vehicle can take it: {q.detail}", highlight=False)
        raise typer.Exit(code=1)
    where = (
        "a new vehicle"
        if q.new_vehicle
        else (
            f"a new run of {q.vehicle}"
            if q.new_run
            else f"{q.vehicle} run {q.run}, stop {(q.position or 0) + 1}"
        )
    )
    per = "-" if q.cost_per_parcel_rmb is None else f"{q.cost_per_parcel_rmb:.2f}"
    console.print(
        f"RMB {q.cost_rmb:.2f} in all, RMB {per} per parcel, on {where} "
        f"(+{q.detour_km:.1f} km, +{q.extra_minutes:.0f} min)",
        highlight=False,
    )
    for note in q.notes:
        console.print(f"note: {note}", highlight=False)


@app.command()
def season(
    days_file: Annotated[Path, typer.Argument(help="CSV: date, village, parcels, weight_kg.")],
    scenario: Annotated[
        Path, typer.Option("--scenario", help="Scenario TOML (hub, roads, fleet).")
    ] = DEFAULT_SCENARIO,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds per solved day.", min=0.1)
    ] = 2.0,
    every: Annotated[int, typer.Option("--every", help="Solve one day in N.", min=1)] = 7,
    out: Annotated[Path, typer.Option("--out", help="CSV to write.")] = Path("out/season.csv"),
    cost_model: CostModelOpt = None,
) -> None:
    """Vehicles, runs, km and RMB per parcel for each day of a season, to size the fleet."""
    from routing.season import season_from_file, write_season_csv

    report_ = guarded(
        lambda: season_from_file(
            days_file,
            scenario,
            time_limit_s=time_limit,
            sample_every_days=every,
            cost_model_path=cost_model,
        )
    )
    table = Table(title=f"Season {report_.name}")
    for col in ("date", "parcels", "t", "vehicles", "runs", "km", "RMB/parcel", "solved"):
        table.add_column(col, justify="right")
    for d in report_.days:
        table.add_row(
            str(d.date),
            str(d.parcels),
            f"{d.weight_kg / 1000:.1f}",
            str(d.vehicles),
            str(d.runs),
            f"{d.distance_km:.0f}",
            "-" if d.cost_per_parcel_rmb is None else f"{d.cost_per_parcel_rmb:.2f}",
            "yes" if d.solved else "",
        )
    console.print(table)
    per = "-" if report_.cost_per_parcel_rmb is None else f"{report_.cost_per_parcel_rmb:.2f}"
    console.print(
        f"{report_.parcels} parcels, {report_.weight_t:,.0f} t, RMB {per} per parcel; "
        f"peak {report_.peak_vehicles} vehicles on {report_.peak_date} "
        f"(fleet {report_.fleet_vehicles}); {report_.days_short} solved days short",
        highlight=False,
    )
    console.print(f"wrote {write_season_csv(report_, out)}", highlight=False)


@app.command("plan-batch")
def plan_batch(
    manifest: Annotated[Path, typer.Argument(help="batch.toml or .csv listing problems.")],
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="tcp://HOST:PORT of a Dask scheduler.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local worker processes (default: cores).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("batch-out"),
) -> None:
    """Plan every problem of a manifest on Dask; write plans and summary.csv."""
    from routing.batch import plan_batch as run_batch
    from routing.batch_results import hub_table, rich_progress, summary_table

    def run() -> bool:
        with rich_progress(console) as progress:
            result = run_batch(
                manifest, scheduler=scheduler, workers=workers, out_dir=out, progress=progress
            )
        console.print(summary_table(result))
        console.print(hub_table(result))
        console.print(f"wrote {result.summary_csv} and {result.hubs_csv}", highlight=False)
        return bool(result.failed)

    if guarded(run):
        raise typer.Exit(code=1)


app.add_typer(network_app, name="network")
app.command("vroom")(vroom_command)


def _mount_commands() -> None:
    """Mount the commands other installed packages offer (``hubroute serve``...).

    Each entry point of the ``hubroute.commands`` group names a Typer command function;
    a package that is not installed simply adds no command.
    """
    for ep in entry_points(group="hubroute.commands"):
        app.command(ep.name)(ep.load())


_mount_commands()
