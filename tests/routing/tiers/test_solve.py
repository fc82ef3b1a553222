"""Real solves (OR-Tools, iteration budget) of small three-tier days with known answers."""

from __future__ import annotations

import pytest

from routing.model import Plan
from routing.pipeline import SolveOptions
from routing.tiers.check import check_tier_plan
from routing.tiers.flow import plan_tiers
from routing.tiers.problem import TierProblem
from routing.tiers.roads import tier_matrices
from tests.routing.tiers.cases import beyond_a_day, far_cluster, station_beside_hub

OPTIONS = SolveOptions(time_limit_s=20, iterations=40, baselines=False)


def _plan(tp: TierProblem, *, stations: bool) -> Plan:
    plan = plan_tiers(tp, options=OPTIONS, use_stations=stations)
    matrices, _ = tier_matrices(tp, None)
    assert check_tier_plan(tp, plan, matrices) == []
    return plan


@pytest.fixture(scope="module")
def far_plans() -> tuple[Plan, Plan]:
    tp = far_cluster()
    return _plan(tp, stations=True), _plan(tp, stations=False)


def test_a_station_beside_a_far_cluster_wins(far_plans: tuple[Plan, Plan]) -> None:
    three, one = far_plans
    fed = {s.pickup_id for r in three.runs if r.tier == "feeder" for s in r.stops}
    assert {f"F{k}" for k in range(8)} <= fed
    assert {"N1", "N2"}.isdisjoint(fed)
    assert three.summary.unassigned == 0
    assert three.summary.total_cost_rmb < one.summary.total_cost_rmb


def test_the_trunk_leaves_after_the_feeders_plus_handling(far_plans: tuple[Plan, Plan]) -> None:
    three, _ = far_plans
    (transfer,) = three.transfers
    feeders = [r for r in three.runs if r.tier == "feeder"]
    trunk = next(r for r in three.runs if f"{r.vehicle} run {r.run}" == transfer.to_run)
    stop = next(s for s in trunk.stops if s.pickup_id == "S-far")
    assert stop.arrival + stop.waiting_time >= max(r.end for r in feeders) + 20 * 60
    assert transfer.parcels == sum(s.parcels for r in feeders for s in r.stops)
    village_cost = sum(v.cost_rmb for v in three.villages)
    handling = sum(t.handling_rmb for t in three.transfers)
    assert village_cost == pytest.approx(three.summary.total_cost_rmb, abs=0.02)
    assert handling == pytest.approx(0.3 * (transfer.parcels + transfer.delivery_parcels))


def test_no_run_drives_past_the_legal_day(far_plans: tuple[Plan, Plan]) -> None:
    for plan in far_plans:
        for r in plan.runs:
            assert r.drive_s is not None
            assert r.overnight is not None or r.drive_s <= 8 * 3600


def test_a_station_beside_the_hub_is_not_used() -> None:
    tp = station_beside_hub()
    three = _plan(tp, stations=True)
    one = _plan(tp, stations=False)
    assert three.transfers == ()
    assert all(r.tier == "direct" for r in three.runs)
    assert three.summary.total_cost_rmb == pytest.approx(one.summary.total_cost_rmb)


def test_a_village_beyond_a_legal_day_gets_a_two_day_run() -> None:
    tp = beyond_a_day()
    plan = _plan(tp, stations=True)
    (night,) = [r for r in plan.runs if r.overnight is not None]
    assert [s.pickup_id for s in night.stops] == ["X1"]
    assert night.overnight is not None
    assert night.overnight.leave >= 86_400
    assert night.cost_rmb > night.overnight.cost_rmb > 0
    assert plan.summary.unassigned == 0
