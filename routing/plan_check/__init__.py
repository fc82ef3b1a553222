"""An independent check of a delivered plan against the inputs it was made from.

:func:`check_plan` recomputes, from the :class:`~routing.model.Problem`, the travel
matrices and the plan as written (``plan.json``), every constraint the model has:

========================  ===========================================================
``coverage``              every pickup once: served (split parts adding up) or unassigned
``unassigned_reason``     reasons the inputs can confirm (not_worth_it, no_vehicle_fits,
                          unreachable)
``load``, ``capacity``    parcels and kg on board after every stop, drops included,
                          within the vehicle; stated loads as recomputed
``time_window``           service starts inside the pickup's window
``service``               loading as long as the pickup's minutes say
``travel_time``           no leg faster than the vehicle's roads (break on the road included)
``distance``              stated metres as the matrices give them
``shift``, ``hub_hours``  each run inside the driver's shift and the hub's opening hours
``duration``              stated duration = end - start
``runs_per_day``          runs numbered 1..n, at most the type's runs per day
``reload``                a run leaves only after the previous one is back and reloaded
``vehicle_count``         no more vehicles of a type than exist
``vehicle_type``          a known type, the one the pickup allows, from its home hub
``road_profile``          legs joined by roads the vehicle may use; no avoided class driven
``time_on_board``         perishables back at the hub in time
``max_distance``          the vehicle's km in the day within its limit
``break``                 the driver's break inside its window, on the road or off duty
``locked_run``            runs already on the road keep their first stops
``closed_road``           no run geometry along a road closed today
``cost``                  each run's fixed, distance, time and climb parts from the rates,
                          shares adding up to runs, handling and overheads per hub, total
========================  ===========================================================

It shares no code with the engines, their solution check, the plan builder or the
repair: a bug there cannot hide itself here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from routing.cost_model import CostModel
from routing.matrix import TravelMatrix
from routing.model import Plan, Problem, Run, Violation
from routing.network import RoadNetwork
from routing.plan_check.coverage import check_coverage, check_locked, check_reasons
from routing.plan_check.day import Day
from routing.plan_check.loads import check_capacity, check_stop_amounts
from routing.plan_check.money import check_run_cost, check_totals
from routing.plan_check.roads import check_roads
from routing.plan_check.schedule import check_hours, check_legs, check_stops
from routing.plan_check.vehicles import check_fleet, check_vehicle_day

__all__ = ["check_plan", "mark_plan"]


def check_plan(
    problem: Problem,
    plan: Plan,
    matrices: Mapping[str, TravelMatrix] | None = None,
    *,
    cost_model: CostModel | None = None,
    network: RoadNetwork | None = None,
) -> list[Violation]:
    """Return every constraint ``plan`` breaks (an empty list: the plan is feasible).

    Parameters
    ----------
    problem
        The problem the plan answers (before any splitting of oversize pickups).
    plan
        The plan as delivered.
    matrices
        Travel matrices per road profile over hub ids then pickup ids. Without them
        travel times and distances are not recomputed; everything else is checked.
    cost_model
        The hub cost model the plan was priced with; None: the fleet's own rates.
    network
        The road network with today's closed roads still in it; with it, each run's
        geometry is checked against closed roads and the classes its vehicle avoids.
    """
    day = Day(problem, matrices)
    check_coverage(day, plan)
    check_reasons(day, plan)
    check_locked(day, plan)
    check_fleet(day, plan.runs)
    by_vehicle: dict[str, list[tuple[int, Run]]] = defaultdict(list)
    for i, r in enumerate(plan.runs):
        by_vehicle[r.vehicle].append((i, r))
    vehicle_fen: dict[int, int] = {}
    for vehicle, runs in sorted(by_vehicle.items()):
        vt = day.types.get(runs[0][1].vehicle_type)
        if vt is None:
            day.bad("vehicle_type", vehicle, f"unknown vehicle type {runs[0][1].vehicle_type!r}")
            continue
        first = min(r.run for _, r in runs)
        metres = 0
        ends = {r.run: r.end for _, r in runs}
        for i, r in runs:
            # The driver is paid from the day's first departure on, so a later run also
            # pays the reload and wait at the hub since the run before it.
            earlier = [n for n in ends if n < r.run]
            gap_s = max(0, r.start - ends[max(earlier)]) if earlier else 0
            metres += _check_run(
                day, r, cost_model, first=r.run == first, fen=vehicle_fen, i=i, gap_s=gap_s
            )
        check_vehicle_day(day, vt, [r for _, r in runs], metres)
    check_totals(day, plan, vehicle_fen, cost_model)
    if network is not None:
        check_roads(day, plan.runs, network)
    return day.found


def _check_run(
    day: Day,
    run: Run,
    cost_model: CostModel | None,
    *,
    first: bool,
    fen: dict[int, int],
    i: int,
    gap_s: int,
) -> int:
    """One run on its own; returns the metres it drives (recomputed when possible)."""
    vt = day.types[run.vehicle_type]
    where = f"{run.vehicle} run {run.run}"
    hub = day.problem.hub_of(vt)
    if run.hub_id != hub.id:
        day.bad(
            "vehicle_type",
            where,
            f"leaves hub {run.hub_id}, {vt.name} is based at {hub.id}",
            run=run,
        )
    for s in run.stops:
        p = day.pickup_of(s.pickup_id)
        allowed = p.allowed_vehicle_types if p is not None else None
        if allowed is not None and vt.name not in allowed:
            day.bad(
                "vehicle_type",
                f"{where} stop {s.pickup_id}",
                f"{vt.name} may not serve it",
                run=run,
                stop=s.pickup_id,
            )
    check_stop_amounts(day, run, where)
    check_capacity(day, run, vt, where)
    check_stops(day, run, where)
    check_hours(day, run, vt, hub, where)
    metres = check_legs(day, run, vt, where)
    fen[i] = check_run_cost(day, run, vt, first, cost_model, where, gap_s=gap_s)
    return metres


def mark_plan(plan: Plan, violations: list[Violation]) -> Plan:
    """The plan with ``summary.feasible`` and ``summary.violations`` set from a check."""
    summary = plan.summary.model_copy(
        update={"feasible": not violations, "violations": tuple(violations)}
    )
    return plan.model_copy(update={"summary": summary})
