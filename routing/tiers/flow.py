"""Plan a three-tier day end to end, and the one-tier day it is compared with.

Both run under the same driving rules and the same budget; the one-tier day uses
the hub's fleet alone (stations only as places to sleep on a two-day run).

A clock budget is a :class:`~routing.deadline.Deadline` for the whole plan: every
sub-solve gets at most its part of what is left, less an estimate of what follows;
a move that would not finish before the deadline is not started, and the best plan
so far is delivered. An iteration budget keeps its own caps and tries every move
once, so that its plans do not depend on the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from routing.deadline import Deadline, after_solve_s
from routing.matrix import TravelMatrix
from routing.model import Plan
from routing.network import RoadNetwork
from routing.pipeline import SolveOptions
from routing.plan import PathFn
from routing.tiers.problem import TierProblem
from routing.tiers.roads import draw_paths, tier_matrices
from routing.tiers.solve import Assignment, TierSolver, initial_assignment, station_choices

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def _key(plan: Plan) -> tuple[int, int]:
    return (plan.summary.unassigned, round(plan.summary.total_cost_rmb * 100))


Roads = tuple[dict[str, TravelMatrix], PathFn | None]
"""Travel matrices over hub, stations and pickups, and the road paths to draw."""


def plan_tiers(
    tp: TierProblem,
    *,
    network: RoadNetwork | None = None,
    options: SolveOptions | None = None,
    use_stations: bool = True,
    progress: Progress = _noop,
    deadline: Deadline | None = None,
    roads: Roads | None = None,
) -> Plan:
    """Plan ``tp``; with ``use_stations=False`` the one-tier day under the same rules.

    With ``options.iterations`` set the moves are tried once each in a fixed order
    (reproducible plans); otherwise rounds of moves go on until ``deadline``
    (``options.time_limit_s`` from now without one). ``roads`` saves computing the
    matrices again when the caller has them.

    Raises
    ------
    InputError, NetworkError
        For pickups, stations or hubs the roads or the fleet cannot take.
    """
    options = options or SolveOptions()
    deadline = deadline or Deadline.after(options.time_limit_s)
    t0 = time.perf_counter()
    progress("matrices")
    matrices, paths = roads or tier_matrices(tp, network, max_snap_m=options.max_snap_m)
    t_matrices = round(time.perf_counter() - t0, 3)
    clock = options.iterations is None
    solver = TierSolver(
        tp,
        matrices,
        options,
        deadline=deadline if clock else None,
        finish_s=after_solve_s(len(tp.problem.pickups)),
    )
    progress("solve")
    if not use_stations:
        plan = solver.evaluate({p.id: None for p in tp.problem.pickups})
        return _finish(plan, paths, t_matrices, t0)
    choices = station_choices(tp, matrices)
    assignment = initial_assignment(tp, choices)
    # The first day gets a good part of the clock; the moves share the rest.
    solver.evaluations = 2
    best = solver.evaluate(assignment)
    solver.evaluations = len(tp.stations) + 2
    longest_s = 0.0
    moves = 0
    while True:
        improved = False
        for candidate in _neighbours(tp, assignment, choices):
            # A move that would not finish in time is not started: the longest move
            # so far is the estimate.
            if clock and deadline.remaining_s() - solver.finish_s <= longest_s:
                return _finish(best, paths, t_matrices, t0)
            moves += 1
            progress(f"move {moves}")
            started = time.perf_counter()
            plan = solver.evaluate(candidate)
            longest_s = max(longest_s, time.perf_counter() - started)
            if _key(plan) < _key(best):
                best, assignment, improved = plan, candidate, True
        if not improved or not clock:
            return _finish(best, paths, t_matrices, t0)


def _neighbours(
    tp: TierProblem, assignment: Assignment, choices: dict[str, tuple[float, str]]
) -> list[Assignment]:
    """Close each open station (its pickups go direct); open each closed one."""
    out: list[Assignment] = []
    for s in tp.stations:
        mine = [pid for pid, sid in assignment.items() if sid == s.id]
        if mine:
            forced = {pid for pid in mine if choices[pid][0] == float("inf")}
            if len(forced) < len(mine):
                out.append({**assignment, **{pid: None for pid in mine if pid not in forced}})
        else:
            fit = [
                pid
                for pid, (_, sid) in choices.items()
                if sid == s.id and assignment.get(pid) is None
            ]
            if fit:
                out.append({**assignment, **dict.fromkeys(fit, s.id)})
    return out


def _finish(plan: Plan, paths: PathFn | None, t_matrices: float, t0: float) -> Plan:
    if paths is not None:
        plan = draw_paths(plan, paths)
    timings = {
        "matrices": t_matrices,
        "solve": round(time.perf_counter() - t0 - t_matrices, 3),
    }
    return plan.model_copy(
        update={"summary": plan.summary.model_copy(update={"timings_s": timings})}
    )
