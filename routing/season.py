"""The season view: vehicles, runs, km and RMB per parcel for every day of a season.

Input is a CSV of expected produce per day and village (``date,village,parcels,
weight_kg``; see ``fixtures/season/xinping_2026.csv``, the navel-orange season). Each
day's problem is the scenario's pickups in those villages, sized to the day (a
village's parcels are shared over its pickups in proportion to their fixture-day
weight; pickups larger than every vehicle are split over several visits).

Planning all 89 days would take minutes, so only a sample is solved, each with a short
time limit: one day in ``sample_every_days``, spread evenly over the days ranked by
parcels (so the quietest and the busiest day are among them), plus the first and last
day. The other days are interpolated from the solved ones *by parcels* (a day with
the parcels of a solved day needs what it needed), piecewise-linearly, with vehicles
rounded up. Travel matrices are computed once for all the scenario's pickups and cut
down per day, so a sampled day costs one solve. Each day says whether it was solved.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import time
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.matrix import (
    MatrixProvider,
    RoadMatrixProvider,
    StraightLineMatrixProvider,
    TravelMatrix,
)
from routing.model import PickupPoint, Plan, Problem

if TYPE_CHECKING:
    from routing.cost_model import CostModel
    from routing.network import RoadNetwork


class SeasonDemand(BaseModel):
    """One row of a season file."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    village: str
    parcels: int = Field(ge=0)
    weight_kg: float = Field(ge=0)


class SeasonDay(BaseModel):
    """One day's estimate."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    parcels: int
    weight_kg: float
    solved: bool = Field(description="Planned (True) or interpolated from planned days.")
    vehicles: int
    runs: int
    distance_km: float
    cost_rmb: float
    cost_per_parcel_rmb: float | None
    unassigned_parcels: int = Field(0, description="Parcels the fleet could not collect.")
    vehicles_by_type: dict[str, int] = Field(default_factory=dict)


class SeasonReport(BaseModel):
    """Per-day estimates and the season's totals, to size the fleet."""

    model_config = ConfigDict(frozen=True)

    name: str
    days: tuple[SeasonDay, ...]
    parcels: int
    weight_t: float
    cost_rmb: float
    cost_per_parcel_rmb: float | None
    distance_km: float
    peak_date: dt.date | None
    peak_vehicles: int
    peak_vehicles_by_type: dict[str, int]
    fleet_vehicles: int = Field(description="Vehicles in the fleet (unlimited types: -1).")
    days_short: int = Field(description="Days (solved) where pickups were left uncollected.")
    solved_days: int
    solve_time_s: float


def read_season(path: str | Path) -> list[SeasonDemand]:
    """Read a season CSV (``date,village,parcels,weight_kg``), reporting every bad row.

    Raises
    ------
    InputError
        Missing file or columns, or rows that do not parse.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([InputProblem(str(path), "", "file not found; check the path")])
    rows: list[SeasonDemand] = []
    problems: list[InputProblem] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"date", "village", "parcels", "weight_kg"}
        missing = need - set(reader.fieldnames or ())
        if missing:
            raise InputError(
                [InputProblem(path.name, "header", f"missing columns {sorted(missing)}")]
            )
        for n, raw in enumerate(reader, start=2):
            try:
                rows.append(
                    SeasonDemand(
                        date=dt.date.fromisoformat(raw["date"].strip()),
                        village=raw["village"].strip(),
                        parcels=int(raw["parcels"]),
                        weight_kg=float(raw["weight_kg"]),
                    )
                )
            except (ValueError, TypeError) as exc:
                problems.append(InputProblem(f"{path.name} line {n}", "", str(exc)))
    if problems:
        raise InputError(problems)
    return rows


def day_problem(problem: Problem, demand: Mapping[str, tuple[int, float]], name: str) -> Problem:
    """The scenario sized to one day: each village's parcels shared over its pickups."""
    by_village: dict[str, list[PickupPoint]] = defaultdict(list)
    for p in problem.pickups:
        by_village[p.village].append(p)
    pickups: list[PickupPoint] = []
    for village in sorted(demand):
        parcels, kg = demand[village]
        ps = by_village[village]
        weights = [max(p.weight_kg, 1e-9) for p in ps]
        total = math.fsum(weights)
        left = parcels
        for k, p in enumerate(ps):
            share = weights[k] / total
            n = left if k == len(ps) - 1 else round(parcels * share)
            left -= n
            if n <= 0:
                continue
            pickups.append(p.model_copy(update={"parcels": n, "weight_kg": round(kg * share, 3)}))
    return problem.model_copy(
        update={"name": name, "pickups": tuple(pickups), "split_oversize": True, "locked_runs": ()}
    )


def _sub_matrix(m: TravelMatrix, ids: list[str]) -> TravelMatrix:
    ix = [m.index(i) for i in ids]
    sel = np.ix_(ix, ix)
    return TravelMatrix(
        ids=tuple(ids),
        distance_m=m.distance_m[sel],
        duration_s=m.duration_s[sel],
        profile=m.profile,
    )


def _sample(dates: list[dt.date], parcels: list[int], every: int) -> list[int]:
    """Days to solve: one in ``every``, spread evenly over the days ranked by parcels.

    Ranking by parcels (not by date) covers quiet Sundays and the peak alike, which is
    what interpolation by parcels needs; the first and last day are always solved.
    """
    n = len(dates)
    if n == 0:
        return []
    ranked = sorted(range(n), key=lambda i: (parcels[i], dates[i]))
    k = max(2, math.ceil(n / max(1, every)))
    picks = {ranked[round(j * (n - 1) / (k - 1))] for j in range(k)} if n > 1 else {0}
    picks |= {0, n - 1}
    return sorted(picks)


def season_estimate(
    demand: list[SeasonDemand],
    problem: Problem,
    *,
    provider: MatrixProvider,
    time_limit_s: float = 2.0,
    sample_every_days: int = 7,
    iterations: int | None = None,
    name: str = "season",
    cost_model: CostModel | None = None,
    network: RoadNetwork | None = None,
) -> SeasonReport:
    """Estimate every day of a season from a sample of planned days.

    Parameters
    ----------
    demand
        Rows of a season file.
    problem
        The scenario: hubs, fleet and the villages' pickup points.
    provider
        Travel matrices (a road network provider, or the straight-line fallback).
    time_limit_s
        Solver budget per sampled day, seconds.
    sample_every_days
        Solve one day in n (spread over the days ranked by parcels; the quietest,
        busiest, first and last day always).
    iterations
        Solution count per day for reproducible results (see ``SolveOptions``).
    name
        Report name.
    cost_model
        The hub's cost model: each sampled day is priced with it as
        :func:`routing.pipeline.plan_day` prices a day. None: the fleet's rates.
    network
        The road network behind ``provider`` (its road classes price the km under a
        cost model); None: every km at the model's ``unknown_road_factor``.

    Raises
    ------
    InputError
        Villages in the season file that the scenario has no pickup point for.
    """
    from routing.pipeline import SolveOptions, matrices_for, plan_with_matrices, price_plan

    _check_villages(demand, problem)
    per_day = _demand_by_day(demand)
    dates = sorted(per_day)
    parcels = [sum(v[0] for v in per_day[d].values()) for d in dates]
    weights = [sum(v[1] for v in per_day[d].values()) for d in dates]
    villages = {d.village for d in demand}
    base = problem.model_copy(
        update={"pickups": tuple(p for p in problem.pickups if p.village in villages)}
    )
    t0 = time.perf_counter()
    matrices = matrices_for(base, provider)
    options = SolveOptions(
        time_limit_s=time_limit_s, iterations=iterations, cost_model=cost_model, baselines=False
    )
    solved: dict[int, SeasonDay] = {}
    for i in _sample(dates, parcels, sample_every_days):
        day = day_problem(base, per_day[dates[i]], f"{name} {dates[i].isoformat()}")
        ids = [h.id for h in day.hubs] + [p.id for p in day.pickups]
        sub = {k: _sub_matrix(m, ids) for k, m in matrices.items()}
        plan = plan_with_matrices(day, sub, options=options)
        plan = price_plan(plan, day, sub, network=network, options=options)
        solved[i] = _day_from_plan(dates[i], parcels[i], weights[i], plan)
    days = _interpolate(dates, parcels, weights, solved)
    return _report(
        name, days, solved, weights, problem, solve_time_s=round(time.perf_counter() - t0, 2)
    )


def _check_villages(demand: list[SeasonDemand], problem: Problem) -> None:
    """Every village of the season file must have a pickup point in the scenario."""
    known = {p.village for p in problem.pickups}
    unknown = sorted({d.village for d in demand} - known)
    if unknown:
        raise InputError(
            [
                InputProblem(
                    "season", "village", f"{v!r} has no pickup point in the scenario; add one"
                )
                for v in unknown
            ]
        )


def _demand_by_day(demand: list[SeasonDemand]) -> dict[dt.date, dict[str, tuple[int, float]]]:
    """Parcels and kilograms per village, per day."""
    per_day: dict[dt.date, dict[str, tuple[int, float]]] = defaultdict(dict)
    for d in demand:
        p, kg = per_day[d.date].get(d.village, (0, 0.0))
        per_day[d.date][d.village] = (p + d.parcels, kg + d.weight_kg)
    return per_day


def _report(
    name: str,
    days: list[SeasonDay],
    solved: Mapping[int, SeasonDay],
    weights: list[float],
    problem: Problem,
    *,
    solve_time_s: float,
) -> SeasonReport:
    """The season's totals, peak and fleet needs from its estimated days."""
    total_fen = round(sum(d.cost_rmb for d in days) * 100)
    total_parcels = sum(d.parcels for d in days)
    peak = max(days, key=lambda d: (d.vehicles, d.parcels), default=None)
    by_type: dict[str, int] = {}
    for sd in solved.values():
        for k, v in sd.vehicles_by_type.items():
            by_type[k] = max(by_type.get(k, 0), v)
    fleet = (
        -1
        if any(v.count is None for v in problem.vehicle_types)
        else sum(v.count or 0 for v in problem.vehicle_types)
    )
    return SeasonReport(
        name=name,
        days=tuple(days),
        parcels=total_parcels,
        weight_t=round(sum(weights) / 1000, 1),
        cost_rmb=total_fen / 100,
        cost_per_parcel_rmb=round(total_fen / 100 / total_parcels, 2) if total_parcels else None,
        distance_km=round(sum(d.distance_km for d in days), 1),
        peak_date=peak.date if peak else None,
        peak_vehicles=peak.vehicles if peak else 0,
        peak_vehicles_by_type=by_type,
        fleet_vehicles=fleet,
        days_short=sum(1 for d in solved.values() if d.unassigned_parcels > 0),
        solved_days=len(solved),
        solve_time_s=solve_time_s,
    )


def _day_from_plan(date: dt.date, parcels: int, weight_kg: float, plan: Plan) -> SeasonDay:
    s = plan.summary
    by_type: dict[str, set[str]] = defaultdict(set)
    for r in plan.runs:
        by_type[r.vehicle_type].add(r.vehicle)
    served = s.parcels
    return SeasonDay(
        date=date,
        parcels=parcels,
        weight_kg=round(weight_kg, 1),
        solved=True,
        vehicles=s.vehicles,
        runs=s.runs,
        distance_km=s.distance_km,
        cost_rmb=s.total_cost_rmb,
        cost_per_parcel_rmb=s.cost_per_parcel_rmb,
        unassigned_parcels=max(0, parcels - served),
        vehicles_by_type={k: len(v) for k, v in sorted(by_type.items())},
    )


def _interpolate(
    dates: list[dt.date], parcels: list[int], weights: list[float], solved: dict[int, SeasonDay]
) -> list[SeasonDay]:
    xs = np.array([parcels[i] for i in sorted(solved)], dtype=float)
    order = np.argsort(xs, kind="stable")
    sample = [solved[i] for i in sorted(solved)]
    x = xs[order]

    def interp(values: list[float], at: float) -> float:
        y = np.asarray(values, dtype=float)[order]
        return float(np.interp(at, x, y))

    out: list[SeasonDay] = []
    for i, date in enumerate(dates):
        if i in solved:
            out.append(solved[i])
            continue
        p = float(parcels[i])
        cost = round(interp([d.cost_rmb for d in sample], p), 2)
        out.append(
            SeasonDay(
                date=date,
                parcels=parcels[i],
                weight_kg=round(weights[i], 1),
                solved=False,
                vehicles=math.ceil(interp([d.vehicles for d in sample], p) - 1e-9),
                runs=math.ceil(interp([d.runs for d in sample], p) - 1e-9),
                distance_km=round(interp([d.distance_km for d in sample], p), 1),
                cost_rmb=cost,
                cost_per_parcel_rmb=round(cost / parcels[i], 2) if parcels[i] else None,
                unassigned_parcels=round(interp([d.unassigned_parcels for d in sample], p)),
            )
        )
    return out


def season_from_file(
    path: str | Path,
    scenario_path: str | Path,
    *,
    time_limit_s: float = 2.0,
    sample_every_days: int = 7,
    iterations: int | None = None,
    cost_model_path: str | Path | None = None,
) -> SeasonReport:
    """Season estimate from a season CSV and a scenario TOML: ``hubroute season FILE``.

    Parameters
    ----------
    path
        Season CSV (``date,village,parcels,weight_kg``).
    scenario_path
        Scenario TOML giving the hub, fleet, pickup points and road network.
    time_limit_s, sample_every_days, iterations
        See :func:`season_estimate`.
    """
    from routing.cost_model import read_cost_model
    from routing.io import read_scenario
    from routing.network import without_roads
    from routing.road_file import network_from_file

    sc = read_scenario(scenario_path)
    model = read_cost_model(cost_model_path) if cost_model_path is not None else None
    network = network_from_file(sc.network_path) if sc.network_path is not None else None
    if network is not None and sc.problem.closed_roads:
        network = without_roads(network, sc.problem.closed_roads)
    provider: MatrixProvider = (
        RoadMatrixProvider(network) if network is not None else StraightLineMatrixProvider()
    )
    return season_estimate(
        read_season(path),
        sc.problem,
        provider=provider,
        time_limit_s=time_limit_s,
        sample_every_days=sample_every_days,
        iterations=iterations,
        name=Path(path).stem,
        cost_model=model,
        network=network,
    )


SEASON_COLUMNS = (
    "date",
    "parcels",
    "weight_kg",
    "solved",
    "vehicles",
    "runs",
    "distance_km",
    "cost_rmb",
    "cost_per_parcel_rmb",
    "unassigned_parcels",
)


def season_to_csv(report: SeasonReport) -> str:
    """The per-day table as CSV text (RMB with 2 decimals)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SEASON_COLUMNS)
    for d in report.days:
        w.writerow(
            [
                d.date.isoformat(),
                d.parcels,
                f"{d.weight_kg:.1f}",
                "yes" if d.solved else "no",
                d.vehicles,
                d.runs,
                f"{d.distance_km:.1f}",
                f"{d.cost_rmb:.2f}",
                "" if d.cost_per_parcel_rmb is None else f"{d.cost_per_parcel_rmb:.2f}",
                d.unassigned_parcels,
            ]
        )
    return buf.getvalue()


def write_season_csv(report: SeasonReport, path: str | Path) -> Path:
    """Write :func:`season_to_csv` to ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(season_to_csv(report), encoding="utf-8")
    return out
