"""The objective every engine minimises, evaluated on a solution.

Costs are charged on :attr:`Instance.cost_distance` (class-weighted metres) when the
instance has it; feasibility is checked on the metres driven (``distance``). The
:func:`cost_view` of an instance swaps the two, so that the one cost evaluator
(:func:`routing.solve.check.solution_cost`) prices what the engines priced.
"""

from __future__ import annotations

from dataclasses import replace

from routing.solve.check import solution_cost
from routing.solve.instance import Instance, Solution

_VIEWS: list[tuple[Instance, Instance]] = []


def cost_view(instance: Instance) -> Instance:
    """The instance with ``distance`` replaced by the metres costs are charged on.

    The same object for the same instance (the last one is kept), so that repeated
    evaluations do not copy matrices.
    """
    if instance.cost_distance is None:
        return instance
    entry = _VIEWS[0] if _VIEWS else None
    if entry is not None and entry[0] is instance:
        return entry[1]
    view = replace(instance, distance=instance.cost_distance, cost_distance=None)
    _VIEWS[:] = [(instance, view)]
    return view


def objective_cost(instance: Instance, solution: Solution) -> int:
    """Full objective in cost units: vehicle costs plus prizes of unserved clients."""
    return solution_cost(cost_view(instance), solution)


def route_costs(instance: Instance, solution: Solution) -> int:
    """Cost units of the vehicles alone (fixed, charged metres, hours): no prizes."""
    served = solution.served()
    prizes = sum(int(instance.prize[c]) for c in range(instance.num_clients) if c not in served)
    return objective_cost(instance, solution) - prizes
