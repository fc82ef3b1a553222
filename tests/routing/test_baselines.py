"""Tests for routing.baselines on a small straight-line problem (no road network)."""

from __future__ import annotations

import pytest

from routing.baselines import add_baselines, direct_baseline, nearest_neighbour_baseline
from routing.matrix import StraightLineMatrixProvider
from routing.model import Hub, PickupPoint, Plan, Problem, VehicleType
from routing.pipeline import SolveOptions, matrices_for, plan_with_matrices

HUB = Hub(id="hub", lon=101.99, lat=24.07)
VAN = VehicleType(
    name="van", count=3, capacity_parcels=60, capacity_kg=900, fixed_rmb_per_run=60,
    fixed_rmb_per_day=150, rmb_per_km=1.2, rmb_per_hour=35, max_runs_per_day=2,
)  # fmt: skip


def pickups() -> tuple[PickupPoint, ...]:
    spots = [(0.05, 0.02, 12), (0.06, 0.03, 8), (0.15, -0.05, 20), (0.16, -0.04, 15),
             (-0.10, 0.10, 25), (-0.12, 0.11, 5), (0.02, -0.15, 30), (0.25, 0.20, 9)]  # fmt: skip
    return tuple(
        PickupPoint(
            id=f"P{i}",
            village=f"V{i // 2}",
            lon=HUB.lon + dx,
            lat=HUB.lat + dy,
            parcels=n,
            weight_kg=n * 12.0,
        )
        for i, (dx, dy, n) in enumerate(spots)
    )


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, dict, Plan]:  # type: ignore[type-arg]
    problem = Problem(hubs=(HUB,), pickups=pickups(), vehicle_types=(VAN,))
    mats = matrices_for(problem, StraightLineMatrixProvider())
    plan = plan_with_matrices(problem, mats, options=SolveOptions(time_limit_s=1, iterations=50))
    return problem, mats, plan


def test_direct_baseline_prices_a_pickup_by_hand() -> None:
    problem = Problem(hubs=(HUB,), pickups=pickups()[:1], vehicle_types=(VAN,))
    mats = matrices_for(problem, StraightLineMatrixProvider())
    m = mats["all"]
    p = problem.pickups[0]
    res = direct_baseline(problem, mats, [p])
    metres = int(m.distance_m[0, 1]) + int(m.distance_m[1, 0])
    seconds = int(m.duration_s[0, 1]) + int(m.duration_s[1, 0]) + p.service_s
    expected = 60 + 150 / 2 + 1.2 * metres / 1000 + 35 * seconds / 3600
    assert res.total_fen == round(expected * 100)


def test_direct_baseline_splits_a_pickup_bigger_than_a_van_into_runs() -> None:
    big = pickups()[0].model_copy(update={"parcels": 130, "weight_kg": 500.0})
    problem = Problem(hubs=(HUB,), pickups=(big,), vehicle_types=(VAN,))
    mats = matrices_for(problem, StraightLineMatrixProvider())
    res = direct_baseline(problem, mats, [big])
    assert res.runs[0].run == 3  # 130 parcels in vans of 60


def test_nearest_neighbour_serves_everything_within_capacity(solved) -> None:  # type: ignore[no-untyped-def]
    problem, mats, _ = solved
    res = nearest_neighbour_baseline(problem, mats, list(problem.pickups))
    assert res.unserved == ()
    served = [pid for r in res.runs for pid in r.pickup_ids]
    assert sorted(served) == sorted(p.id for p in problem.pickups)
    by_id = {p.id: p for p in problem.pickups}
    for r in res.runs:
        assert sum(by_id[i].parcels for i in r.pickup_ids) <= VAN.capacity_parcels
        assert r.end_s <= VAN.shift_end_s
    assert sum(res.cost_fen_by_pickup.values()) == res.total_fen


def test_add_baselines_states_saving_per_parcel(solved) -> None:  # type: ignore[no-untyped-def]
    problem, mats, plan = solved
    out = add_baselines(plan, problem, mats)
    b = out.baselines
    assert set(b) == {"direct", "nearest_neighbour", "saving_per_parcel_rmb"}
    own = plan.summary.total_cost_rmb / plan.summary.parcels
    for name in ("direct", "nearest_neighbour"):
        assert b["saving_per_parcel_rmb"][name] == pytest.approx(
            b[name]["total_cost_rmb"] / b[name]["parcels"] - own, abs=0.01
        )
    assert b["saving_per_parcel_rmb"]["direct"] > 0  # pooling beats one run per village
    for v in out.villages:
        assert v.baseline_direct_per_parcel_rmb is not None
        assert v.saving_per_parcel_rmb == pytest.approx(
            v.baseline_direct_per_parcel_rmb - v.cost_rmb / v.parcels, abs=0.011
        )
