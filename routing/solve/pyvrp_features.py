"""What PyVRP can model of an :class:`Instance`, and the relaxation that drops the rest.

A feature PyVRP cannot model sends the instance to OR-Tools, or, where the feature
is relaxable, to PyVRP on :func:`relax` (instance) with the plan repaired after.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from routing.solve.instance import NO_LIMIT, Instance, VehicleTypeData


def departure_metres(vt: VehicleTypeData) -> int:
    """The type's fixed cost per run after the first as metres on the arcs leaving a
    depot (0 when it has none or they cannot carry it exactly)."""
    if not _pays_per_run(vt) or not _run_cost_on_arcs(vt):
        return 0
    return round(vt.trip_fixed_cost / vt.unit_distance_cost)


def _pays_per_run(vt: VehicleTypeData) -> bool:
    return vt.max_trips > 1 and vt.trip_fixed_cost > 0


def _run_cost_on_arcs(vt: VehicleTypeData) -> bool:
    """Whether the departure arcs carry the run cost exactly: a rate per metre to turn
    it into metres, no distance limit they would count against, and a fixed cost that
    already pays the first run."""
    return (
        vt.unit_distance_cost > 0
        and vt.max_distance >= NO_LIMIT
        and vt.fixed_cost >= vt.trip_fixed_cost
    )


def unsupported_features(instance: Instance) -> list[str]:
    """Return the instance's features this engine cannot model (empty if none)."""
    reasons: list[str] = []
    if instance.locked:
        reasons.append("locked runs")
    if instance.max_on_board.size and bool(np.any(instance.max_on_board > 0)):
        reasons.append("maximum time on board")
    if any(vt.break_duration > 0 for vt in instance.vehicle_types):
        reasons.append("driver breaks")
    if any(_pays_per_run(vt) and not _run_cost_on_arcs(vt) for vt in instance.vehicle_types):
        reasons.append("per-run fixed costs")
    for d in range(instance.num_depots):
        reload_times = {
            vt.reload_duration
            for vt in instance.vehicle_types
            if vt.start_depot == d and vt.max_trips > 1
        }
        if len(reload_times) > 1:
            reasons.append(f"different reload times at depot {d}")
    if any(vt.max_trips > 1 and vt.end_depot != vt.start_depot for vt in instance.vehicle_types):
        reasons.append("several runs with a different end depot")
    return reasons


#: Features :func:`relax` can drop: the independent check still enforces them on the
#: relaxed plan (time on board), or they only change the cost (per-run fixed costs
#: under a distance limit).
_RELAXABLE = {"maximum time on board", "per-run fixed costs"}


def relaxable(instance: Instance) -> bool:
    """True when dropping the relaxable features leaves a problem PyVRP can model."""
    return set(unsupported_features(instance)) <= _RELAXABLE


_RELAXED: list[tuple[Instance, Instance]] = []


def relax(instance: Instance) -> Instance:
    """The instance without time-on-board limits and per-run fixed costs.

    The same object for the same instance (the last one is kept), so that repeated
    solves in one process reuse its prepared PyVRP data.
    """
    entry = _RELAXED[0] if _RELAXED else None
    if entry is not None and entry[0] is instance:
        return entry[1]
    relaxed = replace(
        instance,
        max_on_board=np.zeros_like(instance.max_on_board),
        # Every per-run cost goes: the extra runs it would deter stand in for the time
        # on board dropped here (the repair splits rides that are too long).
        vehicle_types=tuple(replace(vt, trip_fixed_cost=0) for vt in instance.vehicle_types),
    )
    _RELAXED[:] = [(instance, relaxed)]
    return relaxed
