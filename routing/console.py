"""Printing for the command line: the consoles, clean error exits, steps and plan tables.

Shared by every ``hubroute`` command (``routing.cli`` and the commands it mounts), so
that a bad input ends the same way everywhere: one line per problem on stderr (record,
field, fix) and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from routing.errors import HubrouteError
from routing.model import Plan

# Piped output (CI logs, scripts) gets a width that fits the run table.
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

T = TypeVar("T")


def fail(exc: HubrouteError) -> None:
    """Print each problem of ``exc`` on one line and exit with code 2."""
    problems = getattr(exc, "problems", None) or [str(exc)]
    for p in problems:
        err_console.print(f"error: {p}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; turn hubroute errors into clean messages and exit code 2."""
    try:
        return fn()
    except HubrouteError as exc:
        fail(exc)
        raise  # unreachable: fail() exits


@contextmanager
def progress_display(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step (network, matrices, solve, plan)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda step: err_console.print(f"[dim]… {step}[/dim]", highlight=False)
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda step: bar.update(task, description=step)


def print_summary(plan: Plan) -> None:
    """The plan's summary and runs as rich tables."""
    s = plan.summary
    table = Table(title=f"Plan {plan.name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    per_parcel = "-" if s.cost_per_parcel_rmb is None else f"RMB {s.cost_per_parcel_rmb:.2f}"
    rows = [
        ("pickups", f"{s.pickups} ({s.pickups - s.unassigned} in runs, {s.unassigned} unassigned)"),
        ("parcels", f"{s.parcels} collected, {s.delivery_parcels} dropped, {s.weight_kg:,.0f} kg"),
        ("runs", f"{s.runs} on {s.vehicles} vehicles"),
        ("distance", f"{s.distance_km:,.1f} km"),
        ("driving + service", f"{s.duration_h:,.1f} h"),
        ("total cost", f"RMB {s.total_cost_rmb:,.2f}"),
        ("cost per parcel", per_parcel),
        ("solver", s.solver),
        ("time", ", ".join(f"{k} {v:.2f} s" for k, v in s.timings_s.items())),
    ]
    saving = plan.baselines.get("saving_per_parcel_rmb") if plan.baselines else None
    if isinstance(saving, dict):
        for name, value in saving.items():
            rows.append((f"saving vs {name}", f"RMB {value:.2f} per parcel"))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    runs = Table(title="Runs")
    for col in (
        "vehicle",
        "run",
        "out",
        "back",
        "stops",
        "parcels",
        "km",
        "h",
        "RMB",
        "RMB/parcel",
    ):
        runs.add_column(col, justify="right" if col not in ("vehicle",) else "left")
    for r in plan.runs:
        handled = r.parcels + r.delivery_parcels
        runs.add_row(
            r.vehicle if r.tier is None else f"{r.vehicle} ({r.tier})",
            str(r.run),
            r.start_time,
            r.end_time,
            str(len(r.stops)),
            str(r.parcels),
            f"{r.distance_km:.1f}",
            f"{r.duration_h:.1f}",
            f"{r.cost_rmb:.2f}",
            f"{r.cost_rmb / handled:.2f}" if handled else "-",
        )
    console.print(runs)
    if plan.unassigned:
        un = Table(title="Unassigned pickups")
        for col in ("pickup", "village", "reason", "detail"):
            un.add_column(col)
        for u in plan.unassigned:
            un.add_row(u.pickup_id, u.village, u.reason.value, u.detail)
        console.print(un)


#: Exit code of a command whose plan breaks a constraint (the plan is still written).
EXIT_INFEASIBLE = 3


def warn_if_infeasible(plan: Plan) -> None:
    """List each violation on stderr and exit with :data:`EXIT_INFEASIBLE`, if any."""
    if plan.summary.feasible:
        return
    err_console.print(
        f"warning: the plan breaks {len(plan.summary.violations)} constraint(s); "
        "it is written with summary.feasible = false",
        highlight=False,
    )
    for v in plan.summary.violations:
        err_console.print(f"  {v.constraint}: {v.where}: {v.detail}", highlight=False)
    raise typer.Exit(code=EXIT_INFEASIBLE)
