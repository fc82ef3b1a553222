"""Independent evaluation of VRPLIB solutions, with PyVRP's reader as the referee.

Nothing here trusts a solver: the instance file is read again by ``pyvrp.read`` with
the set's rounding convention, the routes are rebuilt as a ``pyvrp.Solution`` and its
feasibility and full objective (fixed + distance + duration costs + uncollected prizes)
are taken from PyVRP. Our own reader (:mod:`routing.bench.vrplib`) and our own checker
(:mod:`routing.solve.check`) are thereby tested against a second implementation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyvrp
import vrplib

from routing.bench.solutions import read_routes
from routing.bench.vrplib import FORBIDDEN_ARC, rounding_for

_TYPE_LINE = re.compile(r"^\s*TYPE\s*:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Evaluation:
    """The referee's verdict on one solution. Costs in the instance's integer units."""

    cost: int
    feasible: bool
    distance_cost: int = 0
    duration_cost: int = 0
    fixed_cost: int = 0
    uncollected_prizes: int = 0
    num_routes: int = 0
    violations: tuple[str, ...] = field(default_factory=tuple)


def instance_type(instance_path: str | Path) -> str:
    """Return the ``TYPE`` field of a VRPLIB instance file (``""`` when absent)."""
    with open(instance_path) as fh:
        head = fh.read(4096)
    match = _TYPE_LINE.search(head)
    return match.group(1).upper() if match else ""


def round_func_for(instance_path: str | Path) -> str:
    """Return the rounding convention of an instance file (see :mod:`routing.bench.vrplib`)."""
    with open(instance_path) as fh:
        head = fh.read()
    return rounding_for(instance_type(instance_path), has_time_windows="TIME_WINDOW" in head)


@functools.lru_cache(maxsize=4)
def _referee_data(instance_path: str, round_func: str) -> pyvrp.ProblemData:
    return pyvrp.read(instance_path, round_func=round_func)


def _vehicle_to_type(data: pyvrp.ProblemData) -> list[int]:
    # pyvrp.read names each vehicle type by its vehicles' positions ("0,1,2").
    veh2type = [0] * data.num_vehicles
    for idx, vt in enumerate(data.vehicle_types()):
        for veh in vt.name.split(","):
            veh2type[int(veh)] = idx
    return veh2type


def evaluate_routes(
    instance_path: str | Path,
    routes: Sequence[Sequence[int]],
    *,
    round_func: str = "auto",
) -> Evaluation:
    """Evaluate VRPLIB route lines (location numbers, depots between trips).

    Parameters
    ----------
    instance_path
        The ``.vrp`` file.
    routes
        One list per route line, as in a ``.sol`` file; with several vehicle types line
        ``k`` is vehicle ``k`` of the file, empty lines allowed.
    round_func
        Rounding convention for ``pyvrp.read``; ``"auto"`` (default) picks the set's.

    Returns
    -------
    Evaluation
        Cost and feasibility. Routes that cannot even be built (unknown locations,
        too many vehicles, a client twice) give ``feasible=False`` and the reason.
    """
    path = str(Path(instance_path).resolve())
    if round_func == "auto":
        round_func = round_func_for(path)
    data = _referee_data(path, round_func)
    pyvrp_routes, violations = _pyvrp_routes(data, routes)
    if violations:
        return Evaluation(cost=0, feasible=False, violations=tuple(violations))
    try:
        sol = pyvrp.Solution(data, pyvrp_routes)
    except (RuntimeError, ValueError, IndexError) as exc:
        return Evaluation(cost=0, feasible=False, violations=(f"rejected by PyVRP: {exc}",))
    return _verdict(sol)


def _pyvrp_routes(
    data: pyvrp.ProblemData, routes: Sequence[Sequence[int]]
) -> tuple[list[pyvrp.Route], list[str]]:
    """Route lines as PyVRP routes, and every reason they cannot be built."""
    violations: list[str] = []
    loc2act: list[pyvrp.Activity | None] = [None] * data.num_locations
    for idx, depot in enumerate(data.depots()):
        loc2act[depot.location] = pyvrp.Activity(pyvrp.ActivityType.DEPOT, idx)
    for idx, client in enumerate(data.clients()):
        loc2act[client.location] = pyvrp.Activity(pyvrp.ActivityType.CLIENT, idx)
    veh2type = _vehicle_to_type(data)
    single_type = data.num_vehicle_types == 1

    seen: set[int] = set()
    pyvrp_routes: list[pyvrp.Route] = []
    used = 0
    for k, line in enumerate(routes):
        if not line:
            continue
        if single_type:
            vtype = 0
        elif k < len(veh2type):
            vtype = veh2type[k]
        else:
            violations.append(f"route {k + 1}: no vehicle {k + 1} in the instance")
            continue
        used += 1
        acts: list[Any] = []
        for loc in line:
            if not 0 <= loc < data.num_locations:
                violations.append(f"route {k + 1}: unknown location {loc}")
                continue
            if loc >= data.num_depots:
                if loc in seen:
                    violations.append(f"route {k + 1}: location {loc} visited twice")
                seen.add(loc)
            acts.append(loc2act[loc])
        pyvrp_routes.append(pyvrp.Route(data, acts, vtype))
    if single_type and used > data.vehicle_type(0).num_available:
        violations.append(f"{used} routes for {data.vehicle_type(0).num_available} vehicles")
    return pyvrp_routes, violations


def _verdict(sol: pyvrp.Solution) -> Evaluation:
    """PyVRP's cost and feasibility of a built solution, with each violation named."""
    violations: list[str] = []
    if sol.has_excess_load():
        violations.append(f"excess load {list(sol.excess_load())}")
    if sol.has_time_warp():
        violations.append(f"time warp {sol.time_warp()}")
    if sol.has_excess_distance():
        violations.append(f"excess distance {sol.excess_distance()}")
    if not sol.is_complete():
        violations.append(f"{sol.num_missing_clients()} required clients not visited")
    if any(r.distance() >= FORBIDDEN_ARC for r in sol.routes()):
        violations.append("a forbidden arc is used (VRPB: backhaul before linehaul)")
    if not sol.is_feasible() and not violations:
        violations.append("infeasible according to PyVRP")
    dist = int(sol.distance_cost())
    dur = int(sol.duration_cost())
    fixed = int(sol.fixed_vehicle_cost())
    prizes = int(sol.uncollected_prizes())
    return Evaluation(
        cost=dist + dur + fixed + prizes,
        feasible=not violations,
        distance_cost=dist,
        duration_cost=dur,
        fixed_cost=fixed,
        uncollected_prizes=prizes,
        num_routes=sol.num_routes(),
        violations=tuple(violations),
    )


def evaluate(
    instance_path: str | Path, solution_path: str | Path, *, round_func: str = "auto"
) -> Evaluation:
    """Evaluate a VRPLIB ``.sol`` file against its instance (see :func:`evaluate_routes`)."""
    return evaluate_routes(instance_path, read_routes(solution_path), round_func=round_func)


def bks_cost(sol_path: str | Path) -> float:
    """Return the ``Cost`` stated in a best-known-solution file, as written.

    The sets state it in different units (HFVRP in the original currency with two
    decimals, VRPTW as a one-decimal distance, SDVRPTW already times 1000); for a gap
    use :func:`bks_cost_units`, which re-evaluates the routes.
    """
    sol: dict[str, Any] = vrplib.read_solution(str(sol_path))
    return float(sol["cost"])


def bks_cost_units(instance_path: str | Path, sol_path: str | Path) -> int:
    """Return the best-known solution's cost in the instance's integer units.

    The routes of ``sol_path`` are evaluated by the referee with the set's rounding
    convention, so the figure is directly comparable with :func:`evaluate` results.

    Raises
    ------
    ValueError
        If the referee finds the best-known solution infeasible.
    """
    result = evaluate(instance_path, sol_path)
    if not result.feasible:
        raise ValueError(f"{sol_path}: best-known solution infeasible: {result.violations}")
    return result.cost


def gap_percent(cost: float, bks: float) -> float:
    """Return ``100 * (cost - bks) / bks`` (``nan`` when ``bks`` is zero)."""
    return float(100.0 * (cost - bks) / bks) if bks else float(np.nan)
