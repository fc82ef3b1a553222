"""A batch's results: per-problem outcomes, the summary and hub tables, progress events."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from routing.model import Plan

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ProblemResult:
    """One problem of a batch: its plan and output files, or why it failed."""

    row: int
    name: str
    hub_id: str
    hub_name: str
    status: Literal["done", "failed"]
    plan: Plan | None
    outputs: Mapping[str, Path] = field(default_factory=dict)
    error_code: str = ""
    error: str = ""
    worker: str = ""
    wall_s: float = 0.0
    attempts: int = 1


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: every problem's result in manifest order and the summaries."""

    name: str
    manifest: Path
    out_dir: Path
    problems: tuple[ProblemResult, ...]
    summary_csv: Path
    hubs_csv: Path
    wall_s: float
    scheduler: str
    """``tcp://...`` of the cluster, or ``"in-process"``."""
    workers: int
    dashboard_link: str | None = None

    @property
    def failed(self) -> tuple[ProblemResult, ...]:
        """The problems without a plan."""
        return tuple(p for p in self.problems if p.status != "done")

    def plans(self) -> dict[str, Plan]:
        """Plans by problem name (done problems only)."""
        return {p.name: p.plan for p in self.problems if p.plan is not None}


@dataclass(frozen=True)
class BatchEvent:
    """A progress report: the batch started, or one problem finished."""

    kind: Literal["started", "finished"]
    total: int
    done: int
    result: ProblemResult | None = None
    scheduler: str = ""
    dashboard_link: str | None = None


BatchProgress = Callable[[BatchEvent], None]

SUMMARY_COLUMNS = (
    "problem",
    "hub_id",
    "hub_name",
    "status",
    "pickups",
    "parcels",
    "delivery_parcels",
    "runs",
    "vehicles",
    "distance_km",
    "cost_rmb",
    "cost_per_parcel_rmb",
    "unassigned",
    "solve_s",
    "worker",
    "error",
)

HUB_COLUMNS = (
    "hub_id",
    "hub_name",
    "problems",
    "runs",
    "parcels",
    "delivery_parcels",
    "distance_km",
    "cost_rmb",
    "cost_per_parcel_rmb",
    "unassigned",
)


def summary_rows(problems: Sequence[ProblemResult]) -> list[dict[str, Any]]:
    """One row per problem: runs, km, RMB and RMB per parcel (None when failed)."""
    rows = []
    for r in problems:
        s = r.plan.summary if r.plan is not None else None
        rows.append(
            {
                "problem": r.name,
                "hub_id": r.hub_id,
                "hub_name": r.hub_name,
                "status": r.status,
                "pickups": s.pickups if s else None,
                "parcels": s.parcels if s else None,
                "delivery_parcels": s.delivery_parcels if s else None,
                "runs": s.runs if s else None,
                "vehicles": s.vehicles if s else None,
                "distance_km": round(s.distance_km, 1) if s else None,
                "cost_rmb": round(s.total_cost_rmb, 2) if s else None,
                "cost_per_parcel_rmb": (
                    round(s.cost_per_parcel_rmb, 2)
                    if s and s.cost_per_parcel_rmb is not None
                    else None
                ),
                "unassigned": s.unassigned if s else None,
                "solve_s": s.timings_s.get("solve") if s else None,
                "worker": r.worker,
                "error": r.error,
            }
        )
    return rows


def hub_rows(problems: Sequence[ProblemResult]) -> list[dict[str, Any]]:
    """One row per hub over its done problems: RMB per parcel across its days."""
    by_hub: dict[str, dict[str, Any]] = {}
    for r in problems:
        if r.plan is None:
            continue
        s = r.plan.summary
        row = by_hub.setdefault(
            r.hub_id,
            {
                "hub_id": r.hub_id,
                "hub_name": r.hub_name,
                "problems": 0,
                "runs": 0,
                "parcels": 0,
                "delivery_parcels": 0,
                "distance_km": 0.0,
                "cost_rmb": 0.0,
                "unassigned": 0,
            },
        )
        row["problems"] += 1
        row["runs"] += s.runs
        row["parcels"] += s.parcels
        row["delivery_parcels"] += s.delivery_parcels
        row["distance_km"] += s.distance_km
        row["cost_rmb"] += s.total_cost_rmb
        row["unassigned"] += s.unassigned
    out = []
    for row in by_hub.values():
        row["distance_km"] = round(row["distance_km"], 1)
        # Per parcel handled (collected or dropped), as each plan's own summary.
        handled = row["parcels"] + row["delivery_parcels"]
        row["cost_per_parcel_rmb"] = round(row["cost_rmb"] / handled, 2) if handled else None
        row["cost_rmb"] = round(row["cost_rmb"], 2)
        out.append(row)
    return sorted(out, key=lambda r: str(r["hub_id"]))


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if row.get(c) is None else row[c] for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def summary_table(result: BatchResult) -> Table:
    """A rich table of the batch: one row per problem, totals at the foot."""
    from rich.table import Table

    rows = summary_rows(result.problems)
    table = Table(
        title=f"{result.name}: {len(rows)} problems, {result.wall_s:.1f} s", show_footer=True
    )
    done = [r for r in rows if r["status"] == "done"]
    parcels = sum(r["parcels"] or 0 for r in done)
    handled = parcels + sum(r["delivery_parcels"] or 0 for r in done)
    cost = sum(r["cost_rmb"] or 0.0 for r in done)
    foot = {
        "problem": "total",
        "runs": str(sum(r["runs"] or 0 for r in done)),
        "distance_km": f"{sum(r['distance_km'] or 0.0 for r in done):,.1f}",
        "cost_rmb": f"{cost:,.2f}",
        "cost_per_parcel_rmb": f"{cost / handled:.2f}" if handled else "",
        "parcels": str(parcels),
    }
    heads = {
        "problem": "problem",
        "hub_id": "hub",
        "status": "status",
        "parcels": "parcels",
        "runs": "runs",
        "distance_km": "km",
        "cost_rmb": "RMB",
        "cost_per_parcel_rmb": "RMB/parcel",
        "unassigned": "unassigned",
        "solve_s": "solve s",
    }
    for key, head in heads.items():
        numeric = key not in ("problem", "hub_id", "status")
        table.add_column(head, footer=foot.get(key, ""), justify="right" if numeric else "left")
    for r in rows:
        cells = []
        for key in heads:
            value = r[key]
            if key == "status" and r["status"] != "done":
                value = f"[red]failed[/red]: {r['error'][:60]}"
            cells.append(
                "" if value is None else f"{value:,}" if isinstance(value, float) else str(value)
            )
        table.add_row(*cells)
    return table


def hub_table(result: BatchResult) -> Table:
    """A rich table per hub: runs, km, RMB and RMB per parcel over the hub's problems."""
    from rich.table import Table

    table = Table(title="per hub")
    for c in HUB_COLUMNS:
        table.add_column(c, justify="left" if c in ("hub_id", "hub_name") else "right")
    for r in hub_rows(result.problems):
        table.add_row(*("" if r[c] is None else str(r[c]) for c in HUB_COLUMNS))
    return table


@contextlib.contextmanager
def rich_progress(console: Console | None = None) -> Iterator[BatchProgress]:
    """A :data:`BatchProgress` that draws a rich progress bar and prints the dashboard link.

    Use as ``with rich_progress(console) as progress: plan_batch(..., progress=progress)``.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = console or Console()
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    )
    task_id: list[Any] = []

    def progress(event: BatchEvent) -> None:
        if event.kind == "started":
            console.print(f"scheduler: {event.scheduler}", highlight=False)
            if event.dashboard_link:
                console.print(f"Dask dashboard: {event.dashboard_link}", highlight=False)
            task_id.append(bar.add_task("planning", total=event.total, last=""))
            return
        r = event.result
        last = "" if r is None else f"{r.name} {'ok' if r.status == 'done' else 'FAILED'}"
        bar.update(task_id[0], completed=event.done, last=last)

    with bar:
        yield progress
