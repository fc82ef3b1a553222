"""One OR-Tools routing model that states every VROOM constraint natively.

Nodes are the tasks, then a start and an end node per vehicle (no location for an open
end: zero travel). Integer matrices are registered once per vehicle group
(``RegisterTransitMatrix``), so the search never calls back into Python per arc.

- time: per-vehicle transits ``service(i) + travel(i, j) + setup(j)`` (setup only when
  the location changes); the cumul is the start of service; windows by ``SetRange``
  plus ``RemoveInterval`` for the gaps between several windows; vehicle windows on the
  start and end cumuls; breaks by ``SetBreakIntervalsOfVehicle`` (one optional
  interval per break window, exactly one performed);
- load: one dimension per amount component whose start cumul equals the route's job
  deliveries (a second dimension sums them), so the load after each step is VROOM's;
- skills by ``VehicleVar`` domains; shipments by ``AddPickupAndDelivery`` with the same
  vehicle and pickup first; ``max_tasks``/``max_travel_time``/``max_distance`` as
  vehicle capacities of count, travel and distance dimensions;
- cost: per-vehicle arc costs (``per_hour``/``per_km`` or the ``costs`` matrix) and
  fixed costs, scaled by their common divisor to small exact integers; unserved tasks
  cost a penalty above any insertion, so the search serves as many tasks as it can
  and, among equal counts, the higher priorities.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.vroom.prices import Prices
from routing.vroom.request import OPEN_END_S, Task, Vehicle, VroomProblem
from routing.vroom.timeline import COST_SCALE, Item

HORIZON = 4 * OPEN_END_S


@dataclass(frozen=True)
class ModelRoutes:
    """The search's routes: for each vehicle rank its items, breaks in place."""

    routes: dict[int, list[Item]]
    objective: int


def can_serve(problem: VroomProblem, v: Vehicle, t: Task) -> bool:
    """Skills, amounts and reachability within the vehicle's window allow ``t`` on ``v``."""
    if not t.skills <= v.skills:
        return False
    partner = problem.tasks[t.partner] if t.partner is not None else None
    for d in range(problem.dims):
        need = max(t.initial[d], t.initial[d] + t.change[d], abs(t.change[d]))
        if partner is not None:
            need = max(need, abs(partner.change[d]))
        if need > v.capacity[d]:
            return False
    if v.max_tasks is not None and v.max_tasks < (2 if partner else 1):
        return False
    return not t.time_windows or t.time_windows[-1][1] >= v.time_window[0]


class _Builder:
    """Builds the model for one problem; :meth:`solve` reads the routes back."""

    def __init__(
        self, problem: VroomProblem, *, with_breaks: bool, prices: Prices | None = None
    ) -> None:
        self.p = problem
        self.n = len(problem.tasks)
        self.vehicles = problem.vehicles
        k = len(self.vehicles)
        starts = [self.n + 2 * i for i in range(k)]
        ends = [self.n + 2 * i + 1 for i in range(k)]
        self.loc: list[int | None] = [t.location for t in problem.tasks]
        for v in self.vehicles:
            self.loc += [v.start, v.end]
        self.manager = pywrapcp.RoutingIndexManager(self.n + 2 * k, k, starts, ends)
        self.model = pywrapcp.RoutingModel(self.manager)
        self.with_breaks = with_breaks
        self.intervals: dict[int, list[tuple[int, Any]]] = {}
        self.prices = prices or Prices(problem)
        n_open = self.prices.open
        self.node_loc = np.array([n_open if x is None else x for x in self.loc], dtype=np.int64)
        self.located = np.array([x is not None for x in self.loc])
        tail = [0] * (2 * k)
        self.service = np.array([t.service_s for t in problem.tasks] + tail, dtype=np.int64)
        self.setup = np.array([t.setup_s for t in problem.tasks] + tail, dtype=np.int64)
        self._cache: dict[tuple[Any, ...], int] = {}
        self._largest: dict[int, int] = {}  # callback index -> largest value

    # --- matrices ---------------------------------------------------------------
    def _register(self, key: tuple[Any, ...], values: Any) -> int:
        if key not in self._cache:
            rows = values().tolist()
            self._cache[key] = self.model.RegisterTransitMatrix(rows)
            self._largest[self._cache[key]] = max((max(r) for r in rows), default=0)
        return self._cache[key]

    def _nodes(self, what: str, v: Vehicle) -> Any:
        """``what`` (see :class:`Prices`) of ``v`` between the model's nodes."""
        a = self.prices.array(what, v)
        return a[np.ix_(self.node_loc, self.node_loc)]

    def time_cb(self, v: Vehicle) -> int:
        def values() -> Any:
            # service at the node left + travel + setup at the node reached (none on
            # arriving at a vehicle's start or end, or without a change of location)
            cells = self._nodes("travel", v) + self.service[:, None] + self.setup[None, :]
            same = self.node_loc[:, None] == self.node_loc[None, :]
            cells -= np.where(same & self.located[:, None], self.setup[None, :], 0)
            np.fill_diagonal(cells, 0)
            return cells

        return self._register(("time", v.profile, v.speed_factor), values)

    def travel_cb(self, v: Vehicle) -> int:
        return self._register(
            ("travel", v.profile, v.speed_factor), lambda: self._nodes("travel", v)
        )

    def distance_cb(self, v: Vehicle) -> int:
        return self._register(("distance", v.profile), lambda: self._nodes("distance", v))

    def cost_scale(self) -> int:
        g = COST_SCALE
        for v in self.vehicles:
            if self.p.matrices[v.profile].costs is None:
                g = math.gcd(g, v.cost_per_matrix_s, v.per_km * 3600)
        return max(g, 1)

    def cost_cb(self, v: Vehicle, scale: int) -> int:
        key = ("cost", v.profile, v.speed_factor, v.per_hour, v.per_km, scale)
        return self._register(key, lambda: self._nodes("cost", v) // scale)

    # --- constraints ------------------------------------------------------------
    def build(self, objective: str = "cost") -> None:
        """State the constraints; arcs cost VROOM's cost, or the ``distance`` or
        ``travel`` time that a vehicle limit bounds (to pack the most tasks)."""
        m, p = self.model, self.p
        scale = self.cost_scale()
        max_arc, max_fixed = 0, 0
        for v in self.vehicles:
            if objective == "distance":
                cb = self.distance_cb(v)
            elif objective == "travel":
                cb = self.travel_cb(v)
            else:
                cb = self.cost_cb(v, scale)
                fixed = v.fixed_cost * COST_SCALE // scale
                m.SetFixedCostOfVehicle(fixed, v.rank)
                max_fixed = max(max_fixed, fixed)
            m.SetArcCostEvaluatorOfVehicle(cb, v.rank)
            max_arc = max(max_arc, self._largest[cb])
        self._time()
        self._loads()
        self._limits()
        unit = 2 * max_arc + max_fixed + 1
        # Each task served outweighs every priority: the most tasks first, then priority.
        first = 100 * self.n + 1
        for t in p.tasks:
            index = self.manager.NodeToIndex(t.rank)
            allowed = [v.rank for v in self.vehicles if can_serve(p, v, t)]
            m.VehicleVar(index).SetValues([-1, *allowed])
            m.AddDisjunction([index], unit * (first + t.priority))
        for t in p.tasks:
            if t.kind == "pickup" and t.partner is not None:
                pi = self.manager.NodeToIndex(t.rank)
                di = self.manager.NodeToIndex(t.partner)
                m.AddPickupAndDelivery(pi, di)
                solver = m.solver()
                solver.Add(m.VehicleVar(pi) == m.VehicleVar(di))

    def _time(self) -> None:
        m, p = self.model, self.p
        transits = [self.time_cb(v) for v in self.vehicles]
        m.AddDimensionWithVehicleTransits(transits, HORIZON, HORIZON, False, "time")
        time = m.GetDimensionOrDie("time")
        counts = Counter(self.loc)
        shared = {loc for loc, k in counts.items() if k > 1}
        for t in p.tasks:
            if not t.time_windows:
                continue
            index = self.manager.NodeToIndex(t.rank)
            shift_end = 0 if t.location in shared else t.setup_s
            wins = [(a + t.setup_s, b + shift_end) for a, b in t.time_windows]
            wins = [(a, b) for a, b in wins if a <= b]
            if not wins:
                m.VehicleVar(index).SetValues([-1])
                continue
            time.CumulVar(index).SetRange(wins[0][0], wins[-1][1])
            for (_, gap_lo), (gap_hi, _) in itertools.pairwise(wins):
                if gap_hi - 1 >= gap_lo + 1:
                    time.CumulVar(index).RemoveInterval(gap_lo + 1, gap_hi - 1)
        for v in self.vehicles:
            for index in (m.Start(v.rank), m.End(v.rank)):
                time.CumulVar(index).SetRange(*v.time_window)
            m.AddVariableMinimizedByFinalizer(time.CumulVar(m.End(v.rank)))
            m.AddVariableMaximizedByFinalizer(time.CumulVar(m.Start(v.rank)))
            if self.with_breaks and v.breaks:
                self._breaks(v, time)

    def _breaks(self, v: Vehicle, time: Any) -> None:
        m = self.model
        solver = m.solver()
        visits = [int(x) for x in self.service]
        intervals: list[Any] = []
        for b, brk in enumerate(v.breaks):
            wins = [
                (max(lo, v.time_window[0]), min(hi, v.time_window[1]))
                for lo, hi in brk.time_windows
            ]
            wins = [(lo, hi) for lo, hi in wins if lo <= hi]
            if not wins:
                continue  # no window inside the vehicle's: the repair reports it
            # One mandatory interval whose start skips the gaps between windows: the
            # routing search fixes its start; optional intervals would stall it.
            iv = solver.FixedDurationIntervalVar(
                wins[0][0], wins[-1][1], brk.service_s, False, f"break {v.id}.{b}"
            )
            start = iv.StartExpr().Var()
            for (_, gap_lo), (gap_hi, _) in itertools.pairwise(wins):
                if gap_hi - 1 >= gap_lo + 1:
                    start.RemoveInterval(gap_lo + 1, gap_hi - 1)
            m.AddIntervalToAssignment(iv)
            self.intervals.setdefault(v.rank, []).append((b, iv))
            intervals.append(iv)
        if intervals:
            time.SetBreakIntervalsOfVehicle(intervals, v.rank, visits)

    def _loads(self) -> None:
        m, p = self.model, self.p
        size = len(self.loc)
        solver = m.solver()
        for d in range(p.dims):
            change = [p.tasks[i].change[d] if i < self.n else 0 for i in range(size)]
            initial = [p.tasks[i].initial[d] if i < self.n else 0 for i in range(size)]
            caps = [v.capacity[d] for v in self.vehicles]
            has_initial = any(initial)
            cb = m.RegisterUnaryTransitVector(change)
            m.AddDimensionWithVehicleCapacity(cb, 0, caps, not has_initial, f"load{d}")
            if not has_initial:
                continue
            load = m.GetDimensionOrDie(f"load{d}")
            cb0 = m.RegisterUnaryTransitVector(initial)
            m.AddDimensionWithVehicleCapacity(cb0, 0, caps, True, f"initial{d}")
            init = m.GetDimensionOrDie(f"initial{d}")
            for v in self.vehicles:
                solver.Add(load.CumulVar(m.Start(v.rank)) == init.CumulVar(m.End(v.rank)))

    def _limits(self) -> None:
        m = self.model
        if any(v.max_tasks is not None for v in self.vehicles):
            ones = [1 if i < self.n else 0 for i in range(len(self.loc))]
            caps = [self.n if v.max_tasks is None else v.max_tasks for v in self.vehicles]
            cb = m.RegisterUnaryTransitVector(ones)
            m.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "tasks")
        if any(v.max_travel_time_s is not None for v in self.vehicles):
            transits = [self.travel_cb(v) for v in self.vehicles]
            caps = [
                HORIZON if v.max_travel_time_s is None else v.max_travel_time_s
                for v in self.vehicles
            ]
            m.AddDimensionWithVehicleTransitAndCapacity(transits, 0, caps, True, "travel")
        if any(v.max_distance_m is not None for v in self.vehicles):
            transits = [self.distance_cb(v) for v in self.vehicles]
            caps = [
                HORIZON if v.max_distance_m is None else v.max_distance_m for v in self.vehicles
            ]
            m.AddDimensionWithVehicleTransitAndCapacity(transits, 0, caps, True, "distance")

    # --- search -----------------------------------------------------------------
    def solve(
        self, time_limit_s: float, initial: Sequence[Sequence[int]] | None, strategy: int
    ) -> ModelRoutes | None:
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = strategy
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(max(10, int(1000 * time_limit_s)))
        # Swaps of served and unserved tasks (pairs too): what a task, distance or
        # travel-time limit needs to serve more tasks (measured in vroom_bench).
        params.local_search_operators.use_extended_swap_active = pywrapcp.BOOL_TRUE
        params.local_search_operators.use_node_pair_swap_active = pywrapcp.BOOL_TRUE
        m = self.model
        solution = None
        if initial is not None:
            routes = [[self.manager.NodeToIndex(node) for node in r] for r in initial]
            start = m.ReadAssignmentFromRoutes(routes, True)
            if start is not None:
                solution = m.SolveFromAssignmentWithParameters(start, params)
        if solution is None:
            solution = m.SolveWithParameters(params)
        if solution is None:
            return None
        return ModelRoutes(self._read(solution), solution.ObjectiveValue())

    def _read(self, solution: Any) -> dict[int, list[Item]]:
        m = self.model
        time = m.GetDimensionOrDie("time")
        routes: dict[int, list[Item]] = {}
        for v in self.vehicles:
            index = m.Start(v.rank)
            stops: list[tuple[int, int]] = []
            while not m.IsEnd(index):
                index = solution.Value(m.NextVar(index))
                node = self.manager.IndexToNode(index)
                if node < self.n:
                    stops.append((node, solution.Value(time.CumulVar(index))))
            if not stops:
                continue
            items: list[Item] = [("task", node) for node, _ in stops]
            breaks = []
            for b, iv in self.intervals.get(v.rank, []):
                if solution.PerformedValue(iv):
                    breaks.append((solution.StartValue(iv), b))
            for start, b in sorted(breaks):
                before = sum(1 for node, at in stops if at + int(self.service[node]) <= start)
                items = insert_break(items, before, b)
            routes[v.rank] = items
        return routes


def insert_break(items: Sequence[Item], tasks_before: int, b: int) -> list[Item]:
    """``items`` with break ``b`` after the first ``tasks_before`` tasks (and their breaks)."""
    out = list(items)
    seen, position = 0, 0
    while position < len(out) and (seen < tasks_before or out[position][0] == "break"):
        seen += out[position][0] == "task"
        position += 1
    out.insert(position, ("break", b))
    return out


def search_routes(
    problem: VroomProblem,
    time_limit_s: float,
    *,
    strategy: str = "PATH_CHEAPEST_ARC",
    objective: str = "cost",
    with_breaks: bool = True,
    initial: Sequence[Sequence[int]] | None = None,
    prices: Prices | None = None,
) -> ModelRoutes | None:
    """Solve ``problem`` with OR-Tools; None when no assignment satisfies the model.

    ``strategy`` names OR-Tools' first-solution strategy, followed by guided local
    search; ``objective`` is ``cost``, ``distance`` or ``travel`` (see ``build``);
    ``initial`` (task ranks per vehicle rank) seeds the search when feasible.
    """
    builder = _Builder(problem, with_breaks=with_breaks, prices=prices)
    builder.build(objective)
    first = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    return builder.solve(time_limit_s, initial, first)
