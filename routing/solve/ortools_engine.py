"""OR-Tools adapter: an :class:`Instance` as a ``RoutingModel``, solved, mapped back.

Everything reaches OR-Tools as integer matrices and vectors registered with
``RegisterTransitMatrix`` / ``RegisterUnaryTransitVector``: no per-arc Python callback
runs during the search (those cost a Python call per arc evaluation and dominate the
run time), and integers avoid OR-Tools silently zeroing float costs.

Modelling choices, each because of a planner's need:

- one OR-Tools vehicle per (vehicle, run); consecutive runs of one vehicle are chained
  in time with the reload time between them (several runs a day);
- capacity: with no outbound parcels one "load" dimension per capacity; with outbound
  parcels a "delivered" dimension plus a "net" dimension whose start equals the total
  delivered on the run, so the load on board after every stop is exact;
- linehaul-before-backhaul (VRPB) as a counter dimension that must still be zero at
  every delivery stop;
- release times as a constant-along-the-route dimension bounded by the run's start;
- prizes and must-serve pickups as disjunction penalties, so a plan is always returned
  and what was left out is reported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.errors import SolveError
from routing.solve.instance import Instance, Route, Solution, Trip

_HORIZON_CAP = 2**40


class _VehicleMap:
    """OR-Tools vehicle index <-> (type, vehicle, trip)."""

    def __init__(self, instance: Instance) -> None:
        self.keys: list[tuple[int, int, int]] = []
        for t, vt in enumerate(instance.vehicle_types):
            for v in range(vt.num_available):
                for k in range(vt.max_trips):
                    self.keys.append((t, v, k))
        self.index = {key: i for i, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)


_FS = routing_enums_pb2.FirstSolutionStrategy
_LS = routing_enums_pb2.LocalSearchMetaheuristic

#: What runs other than the first (seed 0) use, in turn: another construction and
#: another metaheuristic each, so that two OR-Tools runs side by side search
#: differently (OR-Tools' search is deterministic: the seed alone changes nothing).
SEED_STRATEGIES: tuple[tuple[int, int], ...] = (
    (_FS.LOCAL_CHEAPEST_INSERTION, _LS.SIMULATED_ANNEALING),
    (_FS.PATH_CHEAPEST_ARC, _LS.TABU_SEARCH),
    (_FS.SEQUENTIAL_CHEAPEST_INSERTION, _LS.GUIDED_LOCAL_SEARCH),
)


def strategy_for_seed(instance: Instance, seed: int) -> tuple[int, int]:
    """First-solution strategy and metaheuristic (OR-Tools enum values) of run ``seed``.

    Seed 0 (and every seed in iterations mode's reproducible runs) uses the choice
    that suits the instance best; other seeds take :data:`SEED_STRATEGIES` in turn.
    """
    if seed % (len(SEED_STRATEGIES) + 1) == 0:
        return _default_first_solution(instance), _LS.GUIDED_LOCAL_SEARCH
    return SEED_STRATEGIES[seed % (len(SEED_STRATEGIES) + 1) - 1]


def _default_first_solution(instance: Instance) -> int:
    tight_windows = bool(np.any(instance.tw_late < _HORIZON_CAP // 2))
    optional = not bool(instance.required.all())
    # Savings builds good capacity-only routes fast; insertion copes with windows,
    # several vehicle types and optional pickups, where savings often fails.
    if (
        tight_windows
        or optional
        or len(instance.vehicle_types) > 1
        or instance.num_depots > 1
        or instance.needs_ortools
    ):
        return int(_FS.PARALLEL_CHEAPEST_INSERTION)
    return int(_FS.SAVINGS)


#: ``RoutingModel.status()`` when the time limit ended the search before a first plan.
_ROUTING_FAIL_TIMEOUT = routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL_TIMEOUT


def _search_parameters(
    instance: Instance,
    time_limit_s: float,
    iterations: int | None,
    has_initial: bool,
    seed: int = 0,
) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    first, meta = strategy_for_seed(instance, seed)
    params.first_solution_strategy = first
    params.local_search_metaheuristic = meta
    if instance.num_clients > 200:
        # Consider only the nearest fifth of the insertion positions: the first plan
        # of a large day comes several times faster at almost the same cost.
        params.global_cheapest_insertion_first_solution_parameters.neighbors_ratio = 0.2
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if iterations is not None:
        # A solution count, not the clock, ends the search: the same input then gives
        # the same plan on any machine, under any load.
        params.solution_limit = max(1, iterations)
    params.use_full_propagation = False
    params.log_search = False
    del has_initial
    return params


def _no_solution(name: str, status: int, budget_s: float) -> SolveError:
    why = (
        f"no first plan within its {budget_s:.2f} s; give it more time (--time-limit)"
        if status == _ROUTING_FAIL_TIMEOUT
        else "some required clients cannot be served"
    )
    return SolveError(f"OR-Tools found no solution for {name!r} (status {status}): {why}")


def solve_ortools(
    instance: Instance,
    *,
    time_limit_s: float,
    seed: int = 0,
    initial: Solution | None = None,
    iterations: int | None = None,
) -> Solution:
    """Solve ``instance`` with OR-Tools' routing library.

    Parameters
    ----------
    instance
        The frozen integer instance.
    time_limit_s
        Wall-clock budget in seconds.
    seed
        Picks the search strategy (:func:`strategy_for_seed`): OR-Tools' search is
        deterministic, so runs side by side differ by strategy, not by random seed.
    initial
        A solution to start from (for example PyVRP's), instead of a first-solution
        heuristic.
    iterations
        Stop after this many improving solutions (deterministic) instead of only on
        the clock.

    Returns
    -------
    Solution
        Routes per vehicle with their runs, and the clients left out.

    Raises
    ------
    SolveError
        If OR-Tools finds no solution at all (only possible when every client is
        required and the instance is infeasible).
    """
    started = time.perf_counter()
    m = _Model.create(instance)
    _add_arc_costs(m)
    _add_distance(m)
    _add_time(m)
    _chain_runs(m)
    _add_capacity(m)
    _add_backhaul_phase(m)
    _add_release_times(m)
    _add_time_on_board(m)
    _add_breaks(m)
    _add_client_rules(m)
    _add_locked_runs(m)
    for i in range(len(m.vmap)):
        m.routing.AddVariableMinimizedByFinalizer(m.time_dim.CumulVar(m.routing.End(i)))
        m.routing.AddVariableMaximizedByFinalizer(m.time_dim.CumulVar(m.routing.Start(i)))

    # The budget is wall clock from the call: building the model counts against it.
    left_s = max(0.05, time_limit_s - (time.perf_counter() - started))
    params = _search_parameters(instance, left_s, iterations, initial is not None, seed)
    m.routing.CloseModelWithParameters(params)
    assignment = None
    if initial is not None:
        start_routes = _initial_routes(initial, m.vmap, m.manager, m.nd)
        seeded = m.routing.ReadAssignmentFromRoutes(start_routes, True)
        if seeded is not None:
            assignment = m.routing.SolveFromAssignmentWithParameters(seeded, params)
    if assignment is None:
        assignment = m.routing.SolveWithParameters(params)
    if assignment is None:
        raise _no_solution(instance.name, m.routing.status(), left_s)
    routes, unassigned = _read_routes(m, assignment)
    return Solution(
        routes=routes,
        unassigned=unassigned,
        cost=int(assignment.ObjectiveValue()),
        engine="ortools",
        wall_s=time.perf_counter() - started,
    )


@dataclass
class _Model:
    """An OR-Tools routing model under construction, and what its parts share."""

    instance: Instance
    vmap: _VehicleMap
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    horizon: int = 0
    time_dim: Any = None

    @classmethod
    def create(cls, instance: Instance) -> _Model:
        vmap = _VehicleMap(instance)
        if len(vmap) == 0:
            raise SolveError("no vehicles: every vehicle type has count 0")
        starts = [instance.vehicle_types[t].start_depot for t, _, _ in vmap.keys]
        ends = [instance.vehicle_types[t].end_depot for t, _, _ in vmap.keys]
        manager = pywrapcp.RoutingIndexManager(instance.num_nodes, len(vmap), starts, ends)
        return cls(instance, vmap, manager, pywrapcp.RoutingModel(manager))

    @property
    def nd(self) -> int:
        return self.instance.num_depots

    @property
    def solver(self) -> Any:
        return self.routing.solver()

    def node_vector(self, values: Sequence[int] | np.ndarray, depot_value: int = 0) -> list[int]:
        """One value per node: ``depot_value`` at the depots, then the clients' values."""
        return [int(depot_value)] * self.nd + [int(x) for x in values]

    def client_index(self, c: int) -> int:
        return int(self.manager.NodeToIndex(self.nd + c))


def _add_arc_costs(m: _Model) -> None:
    """Arc costs, one matrix per vehicle type, and fixed costs per run."""
    inst, routing = m.instance, m.routing
    cost_cb: dict[int, int] = {}
    charged = inst.distance if inst.cost_distance is None else inst.cost_distance
    for t, vt in enumerate(inst.vehicle_types):
        dist = charged[vt.profile]
        # Time is charged through the route span below (it includes waiting and
        # service, which the driver is paid for); the arc cost carries distance only.
        cost = dist * vt.unit_distance_cost
        cost_cb[t] = routing.RegisterTransitMatrix(cost.astype(np.int64).tolist())
    for i, (t, _, k) in enumerate(m.vmap.keys):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[t], i)
        vt = inst.vehicle_types[t]
        routing.SetFixedCostOfVehicle(int(vt.fixed_cost if k == 0 else vt.trip_fixed_cost), i)


def _add_distance(m: _Model) -> None:
    """Distance dimension: max distance per run, and metres along the route."""
    inst, keys = m.instance, m.vmap.keys
    dist_cb = {
        p: m.routing.RegisterTransitMatrix(inst.distance[p].astype(np.int64).tolist())
        for p in range(inst.distance.shape[0])
    }
    m.routing.AddDimensionWithVehicleTransitAndCapacity(
        [dist_cb[inst.vehicle_types[t].profile] for t, _, _ in keys],
        0,
        [min(inst.vehicle_types[t].max_distance, _HORIZON_CAP) for t, _, _ in keys],
        True,
        "distance",
    )


def _add_time(m: _Model) -> None:
    """Time dimension (travel + service at the node left), windows, spans and costs."""
    inst, routing, nd = m.instance, m.routing, m.nd
    service = inst.service.astype(np.int64)
    time_cb: dict[int, int] = {}
    for p in range(inst.duration.shape[0]):
        mat = inst.duration[p].astype(np.int64).copy()
        mat[nd:, :] += service[:, None]
        time_cb[p] = routing.RegisterTransitMatrix(mat.tolist())
    m.horizon = horizon = int(
        min(
            _HORIZON_CAP,
            max(
                [int(inst.depot_tw[:, 1].max())]
                + [min(vt.tw_late, _HORIZON_CAP) for vt in inst.vehicle_types]
            ),
        )
    )
    routing.AddDimensionWithVehicleTransits(
        [time_cb[inst.vehicle_types[t].profile] for t, _, _ in m.vmap.keys],
        horizon,
        horizon,
        False,
        "time",
    )
    m.time_dim = time_dim = routing.GetDimensionOrDie("time")
    for c in range(inst.num_clients):
        lo = int(inst.tw_early[c])
        hi = int(min(inst.tw_late[c], horizon))
        time_dim.CumulVar(m.client_index(c)).SetRange(lo, max(lo, hi))
    for i, (t, _, _) in enumerate(m.vmap.keys):
        vt = inst.vehicle_types[t]
        dep_s, dep_e = (int(x) for x in inst.depot_tw[vt.start_depot])
        lo = max(int(vt.tw_early), dep_s)
        hi = min(int(vt.tw_late), int(inst.depot_tw[vt.end_depot][1]), horizon)
        time_dim.CumulVar(routing.Start(i)).SetRange(lo, max(lo, min(hi, dep_e)))
        time_dim.CumulVar(routing.End(i)).SetRange(lo, max(lo, hi))
        if vt.unit_duration_cost:
            time_dim.SetSpanCostCoefficientForVehicle(int(vt.unit_duration_cost), i)
        if vt.max_duration < _HORIZON_CAP:
            time_dim.SetSpanUpperBoundForVehicle(int(vt.max_duration), i)


def _chain_runs(m: _Model) -> None:
    """Several runs a day: run k+1 starts after run k ends plus the reload time."""
    routing, time_dim = m.routing, m.time_dim
    for i, (t, v, k) in enumerate(m.vmap.keys):
        vt = m.instance.vehicle_types[t]
        if k + 1 < vt.max_trips:
            nxt = m.vmap.index[(t, v, k + 1)]
            # No "use runs in order" constraint: the insertion heuristics do not see
            # such side constraints and then fail to build any first plan. Runs are
            # renumbered in time order when the solution is read back.
            m.solver.Add(
                time_dim.CumulVar(routing.Start(nxt))
                >= time_dim.CumulVar(routing.End(i))
                + int(vt.reload_duration) * routing.ActiveVehicleVar(nxt)
            )


def _add_capacity(m: _Model) -> None:
    """One load dimension per capacity, or delivered + on-board ones with drop-offs."""
    inst, routing = m.instance, m.routing
    has_delivery = bool(inst.delivery.any())
    for d in range(inst.num_dims):
        caps = [int(inst.vehicle_types[t].capacity[d]) for t, _, _ in m.vmap.keys]
        name = inst.dimension_names[d] if d < len(inst.dimension_names) else f"dim{d}"
        pick = inst.pickup[:, d]
        if not has_delivery:
            cb = routing.RegisterUnaryTransitVector(m.node_vector(pick))
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load_{name}")
            continue
        deliv = inst.delivery[:, d]
        cb_del = routing.RegisterUnaryTransitVector(m.node_vector(deliv))
        routing.AddDimensionWithVehicleCapacity(cb_del, 0, caps, True, f"delivered_{name}")
        cb_net = routing.RegisterUnaryTransitVector(m.node_vector(pick - deliv))
        routing.AddDimensionWithVehicleCapacity(cb_net, 0, caps, False, f"onboard_{name}")
        delivered = routing.GetDimensionOrDie(f"delivered_{name}")
        onboard = routing.GetDimensionOrDie(f"onboard_{name}")
        for i in range(len(m.vmap)):
            # Load when leaving the hub = everything this run drops off.
            m.solver.Add(onboard.CumulVar(routing.Start(i)) == delivered.CumulVar(routing.End(i)))


def _add_backhaul_phase(m: _Model) -> None:
    """Linehaul before backhaul (VRPB): no delivery once a backhaul is collected."""
    inst = m.instance
    if not inst.backhaul_after_linehaul:
        return
    is_back = (inst.pickup.sum(axis=1) > 0) & (inst.delivery.sum(axis=1) == 0)
    cb = m.routing.RegisterUnaryTransitVector(m.node_vector(is_back.astype(np.int64)))
    m.routing.AddDimension(cb, 0, inst.num_clients + 1, True, "backhauls_done")
    phase = m.routing.GetDimensionOrDie("backhauls_done")
    for c in range(inst.num_clients):
        if inst.delivery[c].sum() > 0:
            phase.CumulVar(m.client_index(c)).SetMax(0)


def _add_release_times(m: _Model) -> None:
    """Release times: a constant along each run, at least every release on it, and the
    run may not leave the hub before it."""
    inst, routing = m.instance, m.routing
    if not (inst.release.size and bool(inst.release.any())):
        return
    zero = routing.RegisterUnaryTransitVector([0] * inst.num_nodes)
    routing.AddDimension(zero, 0, m.horizon, False, "release")
    rel = routing.GetDimensionOrDie("release")
    for c in range(inst.num_clients):
        if inst.release[c] > 0:
            rel.CumulVar(m.client_index(c)).SetMin(int(inst.release[c]))
    for i in range(len(m.vmap)):
        m.solver.Add(m.time_dim.CumulVar(routing.Start(i)) >= rel.CumulVar(routing.Start(i)))


def _add_time_on_board(m: _Model) -> None:
    """Time on board for perishables: a constant along each run (its latest allowed
    return), at most every limit on it; the run must be back by then."""
    inst, routing, time_dim = m.instance, m.routing, m.time_dim
    if not (inst.max_on_board.size and bool(inst.max_on_board.any())):
        return
    zero_cb = routing.RegisterUnaryTransitVector([0] * inst.num_nodes)
    routing.AddDimension(zero_cb, 0, m.horizon, False, "return_by")
    ret = routing.GetDimensionOrDie("return_by")
    for i in range(len(m.vmap)):
        ret.CumulVar(routing.Start(i)).SetMax(m.horizon)
        m.solver.Add(time_dim.CumulVar(routing.End(i)) <= ret.CumulVar(routing.End(i)))
    service = inst.service.astype(np.int64)
    for c in range(inst.num_clients):
        limit = int(inst.max_on_board[c])
        if limit > 0:
            idx = m.client_index(c)
            m.solver.Add(ret.CumulVar(idx) <= time_dim.CumulVar(idx) + int(service[c]) + limit)


def _add_breaks(m: _Model) -> None:
    """Driver breaks of fixed length inside each vehicle type's break window."""
    visit_transits = m.node_vector(m.instance.service.astype(np.int64))
    for i, (t, _, _) in enumerate(m.vmap.keys):
        vt = m.instance.vehicle_types[t]
        if vt.break_duration > 0 and vt.break_window is not None:
            lo, hi = vt.break_window
            brk = m.solver.FixedDurationIntervalVar(
                int(lo), int(hi), int(vt.break_duration), False, f"break_{i}"
            )
            m.time_dim.SetBreakIntervalsOfVehicle([brk], i, visit_transits)


def _add_client_rules(m: _Model) -> None:
    """Who may serve whom, and what leaving a client out costs."""
    inst = m.instance
    for c in range(inst.num_clients):
        idx = m.client_index(c)
        allowed = inst.allowed[c]
        if not bool(allowed.all()):
            banned = [i for i, (t, _, _) in enumerate(m.vmap.keys) if not bool(allowed[t])]
            m.routing.VehicleVar(idx).RemoveValues(banned)
        if not bool(inst.required[c]):
            m.routing.AddDisjunction([idx], int(inst.prize[c]))


def _add_locked_runs(m: _Model) -> None:
    """Runs already on the road: their stops start the run, in order."""
    for lock in m.instance.locked:
        vi = m.vmap.index[(lock.vehicle_type, lock.vehicle, lock.trip)]
        prev = m.routing.Start(vi)
        for c in lock.clients:
            idx = m.client_index(c)
            m.solver.Add(m.routing.NextVar(prev) == idx)
            prev = idx


def _read_routes(m: _Model, assignment: Any) -> tuple[tuple[Route, ...], tuple[int, ...]]:
    """Routes per vehicle with runs in run order, and the clients left out."""
    routing = m.routing
    trips: dict[tuple[int, int], list[tuple[int, Trip]]] = {}
    served: set[int] = set()
    for i, (t, v, k) in enumerate(m.vmap.keys):
        idx = routing.Start(i)
        clients: list[int] = []
        idx = assignment.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            clients.append(m.manager.IndexToNode(idx) - m.nd)
            idx = assignment.Value(routing.NextVar(idx))
        if clients:
            trips.setdefault((t, v), []).append((k, Trip(tuple(clients))))
            served.update(clients)
    routes = tuple(
        Route(vehicle_type=t, vehicle=v, trips=tuple(trip for _, trip in sorted(ts)))
        for (t, v), ts in sorted(trips.items())
    )
    unassigned = tuple(c for c in range(m.instance.num_clients) if c not in served)
    return routes, unassigned


def _initial_routes(
    initial: Solution, vmap: _VehicleMap, manager: pywrapcp.RoutingIndexManager, nd: int
) -> list[list[int]]:
    routes: list[list[int]] = [[] for _ in range(len(vmap))]
    for r in initial.routes:
        for k, trip in enumerate(r.trips):
            key = (r.vehicle_type, r.vehicle, k)
            if key in vmap.index:
                routes[vmap.index[key]] = [manager.NodeToIndex(nd + c) for c in trip.clients]
    return routes
