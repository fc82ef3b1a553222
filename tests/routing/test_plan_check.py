"""The independent plan check: a good plan passes; each broken constraint is named.

Each test starts from a plan the pipeline made and checked, then either tampers with
the plan as written (plan.json) or checks it against a tighter problem, and expects
the constraint concerned among the violations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from routing.cost_model import CostModel
from routing.costs import apply_cost_model
from routing.matrix import StraightLineMatrixProvider, TravelMatrix
from routing.model import (
    Break,
    Hub,
    LockedRun,
    Plan,
    Problem,
    Run,
    Unassigned,
    UnassignedReason,
)
from routing.pipeline import SolveOptions, matrices_for, plan_day
from routing.plan_check import check_plan
from tests.routing.factories import HUB, pickup, random_problem, van

FAST = SolveOptions(time_limit_s=2, iterations=20, baselines=False)
PROBLEM = random_problem(12, seed=7)
PLAN = plan_day(PROBLEM, options=FAST)
MATRICES = matrices_for(PROBLEM, StraightLineMatrixProvider())

# One van making two runs: for runs per day and the reload between runs.
TWO_RUNS = Problem(
    hubs=(HUB,),
    pickups=tuple(pickup(f"T{i}", 0.02 * i, 0.01, parcels=40) for i in range(1, 5)),
    vehicle_types=(van(count=1, capacity_parcels=80, max_runs_per_day=2, reload_min=20),),
)
TWO_RUNS_PLAN = plan_day(TWO_RUNS, options=FAST)
TWO_RUNS_MATRICES = matrices_for(TWO_RUNS, StraightLineMatrixProvider())


def kinds(problem: Problem, plan: Plan, matrices: Any = MATRICES, **kw: Any) -> set[str]:
    return {v.constraint for v in check_plan(problem, plan, matrices, **kw)}


def with_run(plan: Plan, i: int, run: Run) -> Plan:
    runs = list(plan.runs)
    runs[i] = run
    return plan.model_copy(update={"runs": tuple(runs)})


def tamper_first_stop(**update: object) -> Plan:
    run = PLAN.runs[0]
    stop = run.stops[0].model_copy(update=update)
    return with_run(PLAN, 0, run.model_copy(update={"stops": (stop, *run.stops[1:])}))


def tighter(**vehicle: object) -> Problem:
    """The problem with every vehicle type changed as given."""
    types = tuple(v.model_copy(update=vehicle) for v in PROBLEM.vehicle_types)
    return PROBLEM.model_copy(update={"vehicle_types": types})


def with_pickup(pid: str, **update: object) -> Problem:
    pickups = tuple(p.model_copy(update=update) if p.id == pid else p for p in PROBLEM.pickups)
    return PROBLEM.model_copy(update={"pickups": pickups})


def test_the_pipeline_plans_pass_and_say_so() -> None:
    assert check_plan(PROBLEM, PLAN, MATRICES) == []
    assert PLAN.summary.feasible
    assert PLAN.summary.violations == ()
    assert check_plan(TWO_RUNS, TWO_RUNS_PLAN, TWO_RUNS_MATRICES) == []
    assert {r.run for r in TWO_RUNS_PLAN.runs} == {1, 2}


def test_a_missing_pickup_breaks_coverage() -> None:
    run = PLAN.runs[0].model_copy(update={"stops": PLAN.runs[0].stops[1:]})
    assert "coverage" in kinds(PROBLEM, with_run(PLAN, 0, run))


def test_a_pickup_both_served_and_unassigned_breaks_coverage() -> None:
    first = PLAN.runs[0].stops[0]
    extra = Unassigned(pickup_id=first.pickup_id, reason=UnassignedReason.CAPACITY)
    bad = PLAN.model_copy(update={"unassigned": (*PLAN.unassigned, extra)})
    assert "coverage" in kinds(PROBLEM, bad)


def test_a_must_collect_pickup_left_out_as_not_worth_it_is_a_false_reason() -> None:
    run = PLAN.runs[0]
    left = run.stops[0]
    bad = with_run(PLAN, 0, run.model_copy(update={"stops": run.stops[1:]}))
    wrong = Unassigned(pickup_id=left.pickup_id, reason=UnassignedReason.NOT_WORTH_IT)
    bad = bad.model_copy(update={"unassigned": (*bad.unassigned, wrong)})
    assert "unassigned_reason" in kinds(PROBLEM, bad)


def test_a_load_over_the_vehicle_breaks_capacity_in_parcels_and_in_kg() -> None:
    biggest = max(r.parcels for r in PLAN.runs)
    assert "capacity" in kinds(tighter(capacity_parcels=biggest - 1), PLAN)
    heaviest = max(r.weight_kg for r in PLAN.runs)
    assert "capacity" in kinds(tighter(capacity_kg=heaviest - 1), PLAN)


def test_drops_count_on_board_when_leaving_the_hub() -> None:
    run = PLAN.runs[0]
    dropped = sum(s.delivery_parcels for s in run.stops)
    assert dropped > 0
    assert "capacity" in kinds(tighter(capacity_parcels=dropped - 1), PLAN)


def test_a_stated_load_that_is_not_the_recomputed_one_is_caught() -> None:
    assert "load" in kinds(PROBLEM, tamper_first_stop(load_parcels=10_000))
    assert "load" in kinds(PROBLEM, tamper_first_stop(parcels=1))


def test_service_outside_the_window_is_caught() -> None:
    assert "time_window" in kinds(PROBLEM, tamper_first_stop(arrival=3600, waiting_time=0))
    first = PLAN.runs[0].stops[0]
    early = first.arrival - 60
    assert "time_window" in kinds(with_pickup(first.pickup_id, close_s=early), PLAN)


def test_leaving_before_loading_is_done_is_caught() -> None:
    first = PLAN.runs[0].stops[0]
    assert "service" in kinds(PROBLEM, tamper_first_stop(departure=first.arrival))


def test_an_impossibly_early_arrival_is_caught() -> None:
    found = kinds(PROBLEM, tamper_first_stop(arrival=PLAN.runs[0].start + 1))
    assert "travel_time" in found


def test_a_slower_vehicle_makes_the_stated_times_too_fast() -> None:
    assert "travel_time" in kinds(tighter(speed_factor=0.5), PLAN)


def test_a_stated_distance_is_recomputed() -> None:
    run = PLAN.runs[0]
    assert "distance" in kinds(PROBLEM, with_run(PLAN, 0, run.model_copy(update={"distance": 1})))


def test_a_run_past_the_shift_or_the_hub_hours_is_caught() -> None:
    last_end = max(r.end for r in PLAN.runs)
    assert "shift" in kinds(tighter(shift_end_s=last_end - 600), PLAN)
    hub = PROBLEM.hubs[0].model_copy(update={"close_s": last_end - 600})
    assert "hub_hours" in kinds(PROBLEM.model_copy(update={"hubs": (hub,)}), PLAN)
    first_start = min(r.start for r in PLAN.runs)
    hub = PROBLEM.hubs[0].model_copy(update={"open_s": first_start + 600})
    assert "hub_hours" in kinds(PROBLEM.model_copy(update={"hubs": (hub,)}), PLAN)


def test_a_wrong_duration_is_caught() -> None:
    run = PLAN.runs[0]
    bad = with_run(PLAN, 0, run.model_copy(update={"duration": run.duration + 100}))
    assert "duration" in kinds(PROBLEM, bad)


def test_more_runs_than_a_vehicle_makes_is_caught() -> None:
    vt = TWO_RUNS.vehicle_types[0].model_copy(update={"max_runs_per_day": 1})
    one = TWO_RUNS.model_copy(update={"vehicle_types": (vt,)})
    assert "runs_per_day" in kinds(one, TWO_RUNS_PLAN, TWO_RUNS_MATRICES)


def test_a_second_run_leaving_before_the_reload_is_done_is_caught() -> None:
    vt = TWO_RUNS.vehicle_types[0].model_copy(update={"reload_min": 600})
    slow = TWO_RUNS.model_copy(update={"vehicle_types": (vt,)})
    assert "reload" in kinds(slow, TWO_RUNS_PLAN, TWO_RUNS_MATRICES)


def test_more_vehicles_than_exist_is_caught() -> None:
    used = {r.vehicle for r in PLAN.runs if r.vehicle_type == "van"}
    assert len(used) >= 2
    assert "vehicle_count" in kinds(tighter(count=1), PLAN)


def test_a_vehicle_type_the_pickup_does_not_allow_is_caught() -> None:
    run = PLAN.runs[0]
    other = next(v.name for v in PROBLEM.vehicle_types if v.name != run.vehicle_type)
    problem = with_pickup(run.stops[0].pickup_id, allowed_vehicle_types=(other,))
    assert "vehicle_type" in kinds(problem, PLAN)


def test_a_leg_on_roads_the_vehicle_may_not_use_is_caught() -> None:
    run = PLAN.runs[0]
    cut = {}
    for key, m in MATRICES.items():
        duration = np.array(m.duration_s)
        i, j = m.ids.index(run.hub_id), m.ids.index(run.stops[0].pickup_id)
        duration[i, j] = 10**12
        cut[key] = TravelMatrix(m.ids, m.distance_m, duration, m.profile)
    assert "road_profile" in kinds(PROBLEM, PLAN, cut)


def test_perishables_riding_too_long_are_caught() -> None:
    run = max(PLAN.runs, key=lambda r: r.end - r.stops[0].departure)
    first = run.stops[0]
    limit = (run.end - first.departure) / 60 - 5
    assert "time_on_board" in kinds(with_pickup(first.pickup_id, max_on_board_min=limit), PLAN)


def test_driving_further_than_the_vehicle_may_is_caught() -> None:
    assert "max_distance" in kinds(tighter(max_distance_km=1.0), PLAN)


def test_a_break_the_driver_cannot_take_is_caught() -> None:
    run = max(PLAN.runs, key=lambda r: r.duration)
    brk = Break(earliest_s=run.start + 60, latest_s=run.start + 120, duration_min=30)
    problem = PROBLEM.model_copy(
        update={
            "vehicle_types": tuple(
                v.model_copy(update={"driver_break": brk}) for v in PROBLEM.vehicle_types
            )
        }
    )
    assert "break" in kinds(problem, PLAN)
    # A break stated outside its window is caught too.
    taken = with_run(PLAN, PLAN.runs.index(run), run.model_copy(update={"break_start": run.end}))
    assert "break" in kinds(problem, taken)


def test_a_locked_run_that_does_not_start_as_locked_is_caught() -> None:
    run = PLAN.runs[0]
    wrong_order = tuple(reversed([s.pickup_id for s in run.stops]))
    assert len(wrong_order) >= 2
    lock = LockedRun(vehicle=run.vehicle, run=run.run, pickup_ids=wrong_order)
    assert "locked_run" in kinds(PROBLEM.model_copy(update={"locked_runs": (lock,)}), PLAN)
    kept = LockedRun(
        vehicle=run.vehicle, run=run.run, pickup_ids=tuple(s.pickup_id for s in run.stops)
    )
    assert "locked_run" not in kinds(PROBLEM.model_copy(update={"locked_runs": (kept,)}), PLAN)


def test_costs_are_recomputed_from_the_rates() -> None:
    run = PLAN.runs[0]
    more = run.model_copy(update={"fixed_cost_rmb": run.fixed_cost_rmb + 5})
    assert "cost" in kinds(PROBLEM, with_run(PLAN, 0, more))
    assert "cost" in kinds(tighter(rmb_per_km=9.0), PLAN)
    assert "cost" in kinds(tighter(rmb_per_hour=99.0), PLAN)
    assert "cost" in kinds(PROBLEM, tamper_first_stop(cost_rmb=run.stops[0].cost_rmb + 1))
    total = PLAN.summary.model_copy(update={"total_cost_rmb": PLAN.summary.total_cost_rmb + 1})
    assert "cost" in kinds(PROBLEM, PLAN.model_copy(update={"summary": total}))


def test_a_plan_priced_with_a_cost_model_is_checked_with_its_rates() -> None:
    model = CostModel(
        driver_rmb_per_hour=50.0, handling_rmb_per_parcel=0.3, overhead_rmb_per_day=200.0
    )
    priced = apply_cost_model(PLAN, model, matrices=MATRICES)
    assert check_plan(PROBLEM, priced, MATRICES, cost_model=model) == []
    assert "cost" in kinds(PROBLEM, priced)  # the fleet's rates give other figures
    cheaper = model.model_copy(update={"handling_rmb_per_parcel": 0.1})
    assert "cost" in kinds(PROBLEM, priced, cost_model=cheaper)


def test_every_violation_names_its_run_and_stop() -> None:
    first = PLAN.runs[0].stops[0]
    found = check_plan(with_pickup(first.pickup_id, close_s=first.arrival - 60), PLAN, MATRICES)
    window = next(v for v in found if v.constraint == "time_window")
    assert (window.vehicle, window.run, window.pickup_id) == (
        PLAN.runs[0].vehicle,
        PLAN.runs[0].run,
        first.pickup_id,
    )


def test_a_hub_the_vehicle_is_not_based_at_is_caught() -> None:
    other = Hub(id="other", lon=HUB.lon + 0.1, lat=HUB.lat)
    problem = PROBLEM.model_copy(update={"hubs": (*PROBLEM.hubs, other)})
    moved = tighter(hub_id="other").model_copy(update={"hubs": (*PROBLEM.hubs, other)})
    assert "vehicle_type" not in kinds(problem, PLAN, matrices_for(problem, _SL))
    assert "vehicle_type" in kinds(moved, PLAN, matrices_for(moved, _SL))


_SL = StraightLineMatrixProvider()


def test_a_break_over_loading_is_caught() -> None:
    run = PLAN.runs[0]
    first = run.stops[0]
    begin = first.arrival + first.waiting_time
    brk = Break(earliest_s=begin - 600, latest_s=begin + 600, duration_min=20)
    problem = PROBLEM.model_copy(
        update={
            "vehicle_types": tuple(
                v.model_copy(update={"driver_break": brk}) for v in PROBLEM.vehicle_types
            )
        }
    )
    resting = with_run(PLAN, 0, run.model_copy(update={"break_start": begin}))
    found = check_plan(problem, resting, MATRICES)
    assert any(v.constraint == "break" and v.pickup_id == first.pickup_id for v in found)
