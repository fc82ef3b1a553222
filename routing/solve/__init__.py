"""Solvers: one frozen :class:`Instance` in, one :class:`Solution` out.

:func:`solve` is the entry point for domain plans and VRPLIB benchmarks alike; the
engine adapters (:mod:`.pyvrp_engine`, :mod:`.ortools_engine`) and the decomposition
(:mod:`.decompose`) sit behind it.
"""

from routing.solve.instance import Instance, Route, Solution, Trip, VehicleTypeData
from routing.solve.portfolio import solve

__all__ = ["Instance", "Route", "Solution", "Trip", "VehicleTypeData", "solve"]
