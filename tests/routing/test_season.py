"""Tests for routing.season: sampling, interpolation by parcels and the CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from routing.errors import InputError
from routing.matrix import StraightLineMatrixProvider
from routing.model import Hub, PickupPoint, Problem, VehicleType
from routing.season import SeasonDemand, read_season, season_estimate, season_to_csv

REPO = Path(__file__).resolve().parents[2]
HUB = Hub(id="hub", lon=101.99, lat=24.07)
VAN = VehicleType(
    name="van", count=4, capacity_parcels=80, capacity_kg=1200, fixed_rmb_per_run=60,
    fixed_rmb_per_day=150, rmb_per_km=1.2, rmb_per_hour=35, max_runs_per_day=2,
)  # fmt: skip
PICKUPS = tuple(
    PickupPoint(
        id=f"P{i}", village=v, lon=HUB.lon + dx, lat=HUB.lat + dy, parcels=10, weight_kg=130
    )
    for i, (v, dx, dy) in enumerate(
        [("Gasa", 0.1, -0.1), ("Gasa", 0.12, -0.11), ("Mosha", 0.2, -0.2), ("Yani", -0.05, 0.0)]
    )
)


def demand(days: int) -> list[SeasonDemand]:
    start = dt.date(2026, 2, 1)
    rows = []
    for k in range(days):
        for v, base in (("Gasa", 20), ("Mosha", 12), ("Yani", 4)):
            n = base + 6 * min(k, days - 1 - k)
            rows.append(SeasonDemand(date=start + dt.timedelta(days=k), village=v,
                                     parcels=n, weight_kg=13.0 * n))  # fmt: skip
    return rows


def test_season_solves_a_sample_and_interpolates_the_rest_by_parcels() -> None:
    problem = Problem(hubs=(HUB,), pickups=PICKUPS, vehicle_types=(VAN,))
    report = season_estimate(
        demand(9), problem, provider=StraightLineMatrixProvider(), time_limit_s=1,
        sample_every_days=3, iterations=30,
    )  # fmt: skip
    assert len(report.days) == 9
    solved = [d for d in report.days if d.solved]
    assert report.days[0].solved
    assert report.days[-1].solved
    busiest = max(report.days, key=lambda d: d.parcels)
    assert busiest.solved
    assert 3 <= len(solved) < 9
    lo = min(d.cost_rmb for d in solved)
    hi = max(d.cost_rmb for d in solved)
    for d in report.days:
        assert lo - 0.01 <= d.cost_rmb <= hi + 0.01  # interpolation stays within the sample
    assert report.parcels == sum(d.parcels for d in report.days)
    assert report.peak_vehicles == max(d.vehicles for d in report.days)
    text = season_to_csv(report)
    assert text.splitlines()[0].startswith("date,parcels,weight_kg,solved")
    assert len(text.splitlines()) == 10


def test_unknown_village_is_reported() -> None:
    problem = Problem(hubs=(HUB,), pickups=PICKUPS, vehicle_types=(VAN,))
    rows = [SeasonDemand(date=dt.date(2026, 2, 1), village="Atlantis", parcels=3, weight_kg=30)]
    with pytest.raises(InputError, match="Atlantis"):
        season_estimate(rows, problem, provider=StraightLineMatrixProvider())


def test_xinping_season_file_totals_about_1800_tonnes() -> None:
    rows = read_season(REPO / "fixtures" / "season" / "xinping_2026.csv")
    total_t = sum(r.weight_kg for r in rows) / 1000
    assert 1780 <= total_t <= 1820
    dates = sorted({r.date for r in rows})
    assert dates[0] >= dt.date(2026, 2, 1)
    assert dates[-1] <= dt.date(2026, 4, 30)
    by_day: dict[dt.date, float] = {}
    for r in rows:
        by_day[r.date] = by_day.get(r.date, 0) + r.weight_kg
    peak = max(by_day, key=by_day.__getitem__)
    assert dt.date(2026, 2, 20) <= peak <= dt.date(2026, 3, 20)  # a harvest curve, not flat


def test_season_days_are_priced_with_the_hubs_cost_model() -> None:
    """With a cost model a sampled day costs what plan_day says; without, the fleet's rates."""
    from routing.cost_model import read_cost_model
    from routing.pipeline import SolveOptions, plan_day
    from routing.season import day_problem

    problem = Problem(hubs=(HUB,), pickups=PICKUPS, vehicle_types=(VAN,))
    rows = demand(5)
    model = read_cost_model(REPO / "fixtures" / "costs" / "xinping.toml")
    kwargs = {"provider": StraightLineMatrixProvider(), "iterations": 20, "sample_every_days": 1}
    fleet = season_estimate(rows, problem, **kwargs)  # type: ignore[arg-type]
    priced = season_estimate(rows, problem, cost_model=model, **kwargs)  # type: ignore[arg-type]
    assert all(d.solved for d in priced.days)
    assert priced.cost_rmb != fleet.cost_rmb
    first = priced.days[0]
    per_day = {r.village: (r.parcels, r.weight_kg) for r in rows if r.date == first.date}
    base = problem.model_copy(
        update={"pickups": tuple(p for p in problem.pickups if p.village in per_day)}
    )
    day = day_problem(base, per_day, "d")
    want = plan_day(
        day,
        options=SolveOptions(iterations=20, time_limit_s=2.0, cost_model=model, baselines=False),
    )
    assert first.cost_rmb == want.summary.total_cost_rmb
