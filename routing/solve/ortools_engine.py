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


def _search_parameters(
    instance: Instance, time_limit_s: float, iterations: int | None, has_initial: bool
) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    fs = routing_enums_pb2.FirstSolutionStrategy
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
        params.first_solution_strategy = fs.PARALLEL_CHEAPEST_INSERTION
    else:
        params.first_solution_strategy = fs.SAVINGS
    if instance.num_clients > 200:
        # Consider only the nearest fifth of the insertion positions: the first plan
        # of a large day comes several times faster at almost the same cost.
        params.global_cheapest_insertion_first_solution_parameters.neighbors_ratio = 0.2
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if iterations is not None:
        # A solution count, not the clock, ends the search: the same input then gives
        # the same plan on any machine, under any load.
        params.solution_limit = max(1, iterations)
    params.use_full_propagation = False
    params.log_search = False
    del has_initial
    return params


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
        Accepted for a uniform engine interface; OR-Tools' local search is
        deterministic, so the seed does not change the result.
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
    del seed
    started = time.perf_counter()
    vmap = _VehicleMap(instance)
    n_vehicles = len(vmap)
    if n_vehicles == 0:
        raise SolveError("no vehicles: every vehicle type has count 0")
    nd = instance.num_depots
    starts = [instance.vehicle_types[t].start_depot for t, _, _ in vmap.keys]
    ends = [instance.vehicle_types[t].end_depot for t, _, _ in vmap.keys]
    manager = pywrapcp.RoutingIndexManager(instance.num_nodes, n_vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    def node_vector(values: Sequence[int] | np.ndarray, depot_value: int = 0) -> list[int]:
        return [int(depot_value)] * nd + [int(x) for x in values]

    # --- arc costs: one matrix per vehicle type (distance and travel-time costs).
    cost_cb: dict[int, int] = {}
    for t, vt in enumerate(instance.vehicle_types):
        dist = instance.distance[vt.profile]
        # Time is charged through the route span below (it includes waiting and
        # service, which the driver is paid for); the arc cost carries distance only.
        cost = dist * vt.unit_distance_cost
        cost_cb[t] = routing.RegisterTransitMatrix(cost.astype(np.int64).tolist())
    for i, (t, _, k) in enumerate(vmap.keys):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[t], i)
        vt = instance.vehicle_types[t]
        routing.SetFixedCostOfVehicle(int(vt.fixed_cost if k == 0 else vt.trip_fixed_cost), i)

    # --- distance dimension (max distance per run, and metres along the route).
    dist_cb = {
        p: routing.RegisterTransitMatrix(instance.distance[p].astype(np.int64).tolist())
        for p in range(instance.distance.shape[0])
    }
    routing.AddDimensionWithVehicleTransitAndCapacity(
        [dist_cb[instance.vehicle_types[t].profile] for t, _, _ in vmap.keys],
        0,
        [min(instance.vehicle_types[t].max_distance, _HORIZON_CAP) for t, _, _ in vmap.keys],
        True,
        "distance",
    )

    # --- time dimension: travel + service at the node left.
    service = instance.service.astype(np.int64)
    time_cb: dict[int, int] = {}
    for p in range(instance.duration.shape[0]):
        m = instance.duration[p].astype(np.int64).copy()
        m[nd:, :] += service[:, None]
        time_cb[p] = routing.RegisterTransitMatrix(m.tolist())
    horizon = int(
        min(
            _HORIZON_CAP,
            max(
                [int(instance.depot_tw[:, 1].max())]
                + [min(vt.tw_late, _HORIZON_CAP) for vt in instance.vehicle_types]
            ),
        )
    )
    routing.AddDimensionWithVehicleTransits(
        [time_cb[instance.vehicle_types[t].profile] for t, _, _ in vmap.keys],
        horizon,
        horizon,
        False,
        "time",
    )
    time_dim = routing.GetDimensionOrDie("time")
    for c in range(instance.num_clients):
        idx = manager.NodeToIndex(nd + c)
        lo = int(instance.tw_early[c])
        hi = int(min(instance.tw_late[c], horizon))
        time_dim.CumulVar(idx).SetRange(lo, max(lo, hi))
    for i, (t, _, _) in enumerate(vmap.keys):
        vt = instance.vehicle_types[t]
        dep_s, dep_e = (int(x) for x in instance.depot_tw[vt.start_depot])
        lo = max(int(vt.tw_early), dep_s)
        hi = min(int(vt.tw_late), int(instance.depot_tw[vt.end_depot][1]), horizon)
        time_dim.CumulVar(routing.Start(i)).SetRange(lo, max(lo, min(hi, dep_e)))
        time_dim.CumulVar(routing.End(i)).SetRange(lo, max(lo, hi))
        if vt.unit_duration_cost:
            time_dim.SetSpanCostCoefficientForVehicle(int(vt.unit_duration_cost), i)
        if vt.max_duration < _HORIZON_CAP:
            time_dim.SetSpanUpperBoundForVehicle(int(vt.max_duration), i)

    # --- several runs a day: run k+1 starts after run k ends plus the reload time.
    for i, (t, v, k) in enumerate(vmap.keys):
        vt = instance.vehicle_types[t]
        if k + 1 < vt.max_trips:
            nxt = vmap.index[(t, v, k + 1)]
            # No "use runs in order" constraint: the insertion heuristics do not see
            # such side constraints and then fail to build any first plan. Runs are
            # renumbered in time order when the solution is read back.
            solver.Add(
                time_dim.CumulVar(routing.Start(nxt))
                >= time_dim.CumulVar(routing.End(i))
                + int(vt.reload_duration) * routing.ActiveVehicleVar(nxt)
            )

    # --- capacity dimensions.
    has_delivery = bool(instance.delivery.any())
    for d in range(instance.num_dims):
        caps = [int(instance.vehicle_types[t].capacity[d]) for t, _, _ in vmap.keys]
        name = instance.dimension_names[d] if d < len(instance.dimension_names) else f"dim{d}"
        pick = instance.pickup[:, d]
        if not has_delivery:
            cb = routing.RegisterUnaryTransitVector(node_vector(pick))
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load_{name}")
            continue
        deliv = instance.delivery[:, d]
        cb_del = routing.RegisterUnaryTransitVector(node_vector(deliv))
        routing.AddDimensionWithVehicleCapacity(cb_del, 0, caps, True, f"delivered_{name}")
        cb_net = routing.RegisterUnaryTransitVector(node_vector(pick - deliv))
        routing.AddDimensionWithVehicleCapacity(cb_net, 0, caps, False, f"onboard_{name}")
        delivered = routing.GetDimensionOrDie(f"delivered_{name}")
        onboard = routing.GetDimensionOrDie(f"onboard_{name}")
        for i in range(n_vehicles):
            # Load when leaving the hub = everything this run drops off.
            solver.Add(onboard.CumulVar(routing.Start(i)) == delivered.CumulVar(routing.End(i)))

    # --- linehaul before backhaul (VRPB).
    if instance.backhaul_after_linehaul:
        is_back = (instance.pickup.sum(axis=1) > 0) & (instance.delivery.sum(axis=1) == 0)
        cb = routing.RegisterUnaryTransitVector(node_vector(is_back.astype(np.int64)))
        routing.AddDimension(cb, 0, instance.num_clients + 1, True, "backhauls_done")
        phase = routing.GetDimensionOrDie("backhauls_done")
        for c in range(instance.num_clients):
            if instance.delivery[c].sum() > 0:
                phase.CumulVar(manager.NodeToIndex(nd + c)).SetMax(0)

    # --- release times: a constant along each run, at least every release on it,
    # and the run may not leave the hub before it.
    if instance.release.size and bool(instance.release.any()):
        zero = routing.RegisterUnaryTransitVector([0] * instance.num_nodes)
        routing.AddDimension(zero, 0, horizon, False, "release")
        rel = routing.GetDimensionOrDie("release")
        for c in range(instance.num_clients):
            if instance.release[c] > 0:
                rel.CumulVar(manager.NodeToIndex(nd + c)).SetMin(int(instance.release[c]))
        for i in range(n_vehicles):
            solver.Add(time_dim.CumulVar(routing.Start(i)) >= rel.CumulVar(routing.Start(i)))

    # --- time on board for perishables: a constant along each run (its latest
    # allowed return), at most every limit on it; the run must be back by then.
    if instance.max_on_board.size and bool(instance.max_on_board.any()):
        zero_cb = routing.RegisterUnaryTransitVector([0] * instance.num_nodes)
        routing.AddDimension(zero_cb, 0, horizon, False, "return_by")
        ret = routing.GetDimensionOrDie("return_by")
        for i in range(n_vehicles):
            ret.CumulVar(routing.Start(i)).SetMax(horizon)
            solver.Add(time_dim.CumulVar(routing.End(i)) <= ret.CumulVar(routing.End(i)))
        for c in range(instance.num_clients):
            limit = int(instance.max_on_board[c])
            if limit > 0:
                idx = manager.NodeToIndex(nd + c)
                solver.Add(ret.CumulVar(idx) <= time_dim.CumulVar(idx) + int(service[c]) + limit)

    # --- driver breaks.
    visit_transits = node_vector(service)
    for i, (t, _, _) in enumerate(vmap.keys):
        vt = instance.vehicle_types[t]
        if vt.break_duration > 0 and vt.break_window is not None:
            lo, hi = vt.break_window
            brk = solver.FixedDurationIntervalVar(
                int(lo), int(hi), int(vt.break_duration), False, f"break_{i}"
            )
            time_dim.SetBreakIntervalsOfVehicle([brk], i, visit_transits)

    # --- who may serve whom, and what leaving a client out costs.
    for c in range(instance.num_clients):
        idx = manager.NodeToIndex(nd + c)
        allowed = instance.allowed[c]
        if not bool(allowed.all()):
            banned = [i for i, (t, _, _) in enumerate(vmap.keys) if not bool(allowed[t])]
            routing.VehicleVar(idx).RemoveValues(banned)
        if not bool(instance.required[c]):
            routing.AddDisjunction([idx], int(instance.prize[c]))

    # --- runs already on the road: their stops start the run, in order.
    for lock in instance.locked:
        vi = vmap.index[(lock.vehicle_type, lock.vehicle, lock.trip)]
        prev = routing.Start(vi)
        for c in lock.clients:
            idx = manager.NodeToIndex(nd + c)
            solver.Add(routing.NextVar(prev) == idx)
            prev = idx

    for i in range(n_vehicles):
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(i)))
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(i)))

    params = _search_parameters(instance, time_limit_s, iterations, initial is not None)
    routing.CloseModelWithParameters(params)
    assignment = None
    if initial is not None:
        start_routes = _initial_routes(initial, vmap, manager, nd)
        seeded = routing.ReadAssignmentFromRoutes(start_routes, True)
        if seeded is not None:
            assignment = routing.SolveFromAssignmentWithParameters(seeded, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)
    if assignment is None:
        raise SolveError(
            f"OR-Tools found no solution for {instance.name!r} "
            f"(status {routing.status()}); some required clients cannot be served"
        )

    trips: dict[tuple[int, int], list[tuple[int, Trip]]] = {}
    served: set[int] = set()
    for i, (t, v, k) in enumerate(vmap.keys):
        idx = routing.Start(i)
        clients: list[int] = []
        idx = assignment.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            clients.append(manager.IndexToNode(idx) - nd)
            idx = assignment.Value(routing.NextVar(idx))
        if clients:
            trips.setdefault((t, v), []).append((k, Trip(tuple(clients))))
            served.update(clients)
    routes = tuple(
        Route(vehicle_type=t, vehicle=v, trips=tuple(trip for _, trip in sorted(ts)))
        for (t, v), ts in sorted(trips.items())
    )
    unassigned = tuple(c for c in range(instance.num_clients) if c not in served)
    return Solution(
        routes=routes,
        unassigned=unassigned,
        cost=int(assignment.ObjectiveValue()),
        engine="ortools",
        wall_s=time.perf_counter() - started,
    )


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
