"""The tier checker accepts real plans and catches each kind of broken one."""

from __future__ import annotations

import pytest

from routing.model import Plan
from routing.pipeline import SolveOptions
from routing.tiers.check import check_tier_plan
from routing.tiers.flow import plan_tiers
from routing.tiers.problem import TierProblem
from routing.tiers.roads import tier_matrices
from tests.routing.tiers.cases import beyond_a_day, far_cluster

OPTIONS = SolveOptions(time_limit_s=20, iterations=40, baselines=False)


@pytest.fixture(scope="module")
def far() -> tuple[TierProblem, Plan]:
    tp = far_cluster()
    return tp, plan_tiers(tp, options=OPTIONS)


def _check(tp: TierProblem, plan: Plan) -> list[str]:
    matrices, _ = tier_matrices(tp, None)
    return check_tier_plan(tp, plan, matrices)


def _replace_run(plan: Plan, index: int, **update: object) -> Plan:
    runs = list(plan.runs)
    runs[index] = runs[index].model_copy(update=update)
    return plan.model_copy(update={"runs": tuple(runs)})


def test_the_real_plan_passes(far: tuple[TierProblem, Plan]) -> None:
    tp, plan = far
    assert _check(tp, plan) == []


def test_a_trunk_loading_before_the_feeders_are_back_is_caught(
    far: tuple[TierProblem, Plan],
) -> None:
    tp, plan = far
    t = plan.transfers[0]
    n = next(i for i, r in enumerate(plan.runs) if f"{r.vehicle} run {r.run}" == t.to_run)
    early = tuple(
        s.model_copy(update={"arrival": t.ready - 3600, "waiting_time": 0})
        if s.pickup_id == t.station_id
        else s
        for s in plan.runs[n].stops
    )
    found = _check(tp, _replace_run(plan, n, stops=early))
    assert any("before the feeders' produce is ready" in f for f in found)


def test_a_full_station_is_caught(far: tuple[TierProblem, Plan]) -> None:
    tp, plan = far
    small = tp.model_copy(
        update={"stations": (tp.stations[0].model_copy(update={"capacity_parcels": 10}),)}
    )
    assert any("over its capacity" in f for f in _check(small, plan))


def test_a_lost_pickup_and_a_wrong_total_are_caught(far: tuple[TierProblem, Plan]) -> None:
    tp, plan = far
    n = next(i for i, r in enumerate(plan.runs) if r.tier == "feeder")
    dropped = _replace_run(plan, n, stops=plan.runs[n].stops[1:])
    lost = plan.runs[n].stops[0].pickup_id
    assert any(f"pickup {lost}: appears 0 times" in f for f in _check(tp, dropped))
    summary = plan.summary.model_copy(update={"total_cost_rmb": plan.summary.total_cost_rmb - 1})
    wrong = plan.model_copy(update={"summary": summary})
    assert any(f.startswith("summary: total") for f in _check(tp, wrong))


def test_driving_without_rests_is_caught() -> None:
    tp = beyond_a_day()
    plan = plan_tiers(tp, options=OPTIONS)
    assert _check(tp, plan) == []
    n = next(i for i, r in enumerate(plan.runs) if r.overnight is not None)
    assert plan.runs[n].rests
    found = _check(tp, _replace_run(plan, n, rests=()))
    assert any("without a rest" in f for f in found)


def test_a_feeder_away_from_its_station_is_caught(far: tuple[TierProblem, Plan]) -> None:
    tp, plan = far
    n = next(i for i, r in enumerate(plan.runs) if r.tier == "feeder")
    found = _check(tp, _replace_run(plan, n, hub_id="hub"))
    assert any("must run from it" in f for f in found)
