"""Our own cost and feasibility check of a :class:`Solution` against its :class:`Instance`.

The portfolio uses it to pick between engines without trusting either one's objective.
Semantics match PyVRP's (and therefore the VRPLIB benchmarks'):

* cost = fixed cost of each used vehicle + unit distance cost x distance + unit duration
  cost x duration + prizes of the clients left unserved;
* a route's duration runs from leaving the depot to the final return and includes
  waiting; the start is chosen as late as possible without delaying the route, so the
  duration is the shortest the visiting order allows;
* each run (trip) starts no earlier than the release time of every client on it, and a
  vehicle spends ``reload_duration`` at the depot between two runs;
* capacity holds at every point of a run with deliveries loaded at the depot and
  pickups collected along the way; with ``backhaul_after_linehaul`` no delivery
  client follows a pickup-only client on the same run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.solve.instance import Instance, Route, Solution, VehicleTypeData


@dataclass(frozen=True)
class _Segment:
    """Time-window segment (Vidal et al. 2013): merge two in O(1)."""

    duration: int
    time_warp: int
    early: int
    late: int

    def then(self, other: _Segment, travel: int) -> _Segment:
        delta = self.duration - self.time_warp + travel
        wait = max(other.early - delta - self.late, 0)
        warp = max(self.early + delta - other.late, 0)
        return _Segment(
            duration=self.duration + other.duration + travel + wait,
            time_warp=self.time_warp + other.time_warp + warp,
            early=max(other.early - delta, self.early) - wait,
            late=min(other.late - delta, self.late) + warp,
        )


@dataclass(frozen=True)
class RouteStats:
    """What one vehicle's day costs and how long it takes (instance units)."""

    distance: int
    duration: int
    time_warp: int
    start: int
    cost: int


def _shift(instance: Instance, vt: VehicleTypeData) -> tuple[int, int]:
    early = max(vt.tw_early, int(instance.depot_tw[vt.start_depot, 0]))
    late = min(vt.tw_late, int(instance.depot_tw[vt.end_depot, 1]))
    return early, late


def route_stats(instance: Instance, route: Route) -> RouteStats:
    """Distance, shortest duration, time warp and cost of one vehicle's route.

    Parameters
    ----------
    instance
        The instance.
    route
        The route; empty trips are ignored, and a route without clients costs 0.

    Returns
    -------
    RouteStats
        ``time_warp`` is how late (in total) the schedule is against time windows and
        release times; 0 when the timing is feasible.
    """
    vt = instance.vehicle_types[route.vehicle_type]
    trips = [t.clients for t in route.trips if t.clients]
    if not trips:
        return RouteStats(0, 0, 0, 0, 0)
    dist = instance.distance[vt.profile]
    dur = instance.duration[vt.profile]
    nd = instance.num_depots
    early, late = _shift(instance, vt)

    distance = 0
    segment: _Segment | None = None
    prev = vt.start_depot
    for k, trip in enumerate(trips):
        release = max(int(instance.release[c]) for c in trip)
        if k == 0:
            depot_seg = _Segment(0, 0, max(early, release), late)
            segment = depot_seg
        else:
            depot = vt.start_depot
            travel = int(dur[prev, depot])
            distance += int(dist[prev, depot])
            rd = vt.reload_duration
            depot_seg = _Segment(rd, 0, max(early, release - rd), late)
            assert segment is not None
            segment = segment.then(depot_seg, travel)
            prev = depot
        for c in trip:
            node = nd + c
            seg = _Segment(
                int(instance.service[c]), 0, int(instance.tw_early[c]), int(instance.tw_late[c])
            )
            assert segment is not None
            segment = segment.then(seg, int(dur[prev, node]))
            distance += int(dist[prev, node])
            prev = node
    assert segment is not None
    segment = segment.then(_Segment(0, 0, early, late), int(dur[prev, vt.end_depot]))
    distance += int(dist[prev, vt.end_depot])
    cost = (
        vt.fixed_cost
        + vt.trip_fixed_cost * (len(trips) - 1)
        + vt.unit_distance_cost * distance
        + vt.unit_duration_cost * (segment.duration)
    )
    return RouteStats(distance, segment.duration, segment.time_warp, segment.early, cost)


def solution_cost(instance: Instance, solution: Solution) -> int:
    """Return the full objective of a solution, computed here (the engine's is ignored).

    Fixed, distance and duration costs of every used vehicle, plus the prizes of all
    clients no trip visits. Feasibility is not checked (see :func:`check_solution`).
    """
    served = solution.served()
    unserved_prizes = int(
        sum(int(instance.prize[c]) for c in range(instance.num_clients) if c not in served)
    )
    return sum(route_stats(instance, r).cost for r in solution.routes) + unserved_prizes


def check_solution(instance: Instance, solution: Solution) -> list[str]:
    """Return every violated constraint, one message each (empty when feasible).

    Checks vehicle indices and counts, runs per vehicle, each client at most once and
    every required client served, allowed vehicle types, capacity along each run,
    backhaul precedence, time windows (waiting allowed), release times, shift and
    maximum duration, maximum distance, and time on board where limited.
    """
    problems: list[str] = []
    seen: dict[int, str] = {}
    used_vehicles: set[tuple[int, int]] = set()
    for r_idx, route in enumerate(solution.routes):
        where = f"route {r_idx + 1}"
        if not 0 <= route.vehicle_type < len(instance.vehicle_types):
            problems.append(f"{where}: unknown vehicle type {route.vehicle_type}")
            continue
        if not any(t.clients for t in route.trips):
            continue
        vt = instance.vehicle_types[route.vehicle_type]
        key = (route.vehicle_type, route.vehicle)
        if key in used_vehicles:
            problems.append(f"{where}: vehicle {route.vehicle} of type {vt.name!r} used twice")
        used_vehicles.add(key)
        for c in (c for t in route.trips for c in t.clients):
            if c in seen:
                problems.append(f"client {c}: visited by {seen[c]} and {where}")
            seen[c] = where
        problems.extend(route_problems(instance, route, where))

    for lock in instance.locked:
        trips_of = [
            t.clients
            for r in solution.routes
            if (r.vehicle_type, r.vehicle) == (lock.vehicle_type, lock.vehicle)
            for t in r.trips
            if t.clients
        ]
        if lock.trip >= len(trips_of) or trips_of[lock.trip][: len(lock.clients)] != lock.clients:
            problems.append(
                f"locked run {lock.trip + 1} of vehicle {lock.vehicle} (type "
                f"{lock.vehicle_type}) must start with clients {list(lock.clients)}"
            )
    for t, vt in enumerate(instance.vehicle_types):
        n_used = sum(1 for (tt, _) in used_vehicles if tt == t)
        if n_used > vt.num_available:
            problems.append(f"vehicle type {vt.name!r}: {n_used} used, {vt.num_available} exist")
    for c in range(instance.num_clients):
        if instance.required[c] and c not in seen:
            problems.append(f"client {c}: required but not served")
    return problems


def route_problems(
    instance: Instance, route: Route, where: str = "route", *, on_board: bool = True
) -> list[str]:
    """Every constraint one vehicle's route violates on its own (empty when feasible).

    Vehicle index, runs per vehicle, known and allowed clients, capacity along each
    run, backhaul precedence, time windows and releases, shift, maximum duration and
    distance, and time on board (unless ``on_board`` is False). What involves other
    routes (a client visited twice, a vehicle used twice, fleet counts) is left to
    :func:`check_solution`.
    """
    problems: list[str] = []
    vt = instance.vehicle_types[route.vehicle_type]
    trips = [t.clients for t in route.trips if t.clients]
    if not trips:
        return problems
    if not 0 <= route.vehicle < vt.num_available:
        problems.append(f"{where}: vehicle {route.vehicle} of type {vt.name!r} not available")
    if len(trips) > vt.max_trips:
        problems.append(f"{where}: {len(trips)} runs, vehicle type allows {vt.max_trips}")
    for k, trip in enumerate(trips):
        for c in trip:
            if not 0 <= c < instance.num_clients:
                problems.append(f"{where}: unknown client {c}")
            elif not instance.allowed[c, route.vehicle_type]:
                problems.append(f"client {c}: vehicle type {vt.name!r} not allowed")
        trip_ok = [c for c in trip if 0 <= c < instance.num_clients]
        load = instance.delivery[trip_ok].sum(axis=0)
        peak = load.copy()
        pickup_seen = False
        for c in trip_ok:
            load = load - instance.delivery[c] + instance.pickup[c]
            peak = np.maximum(peak, load)
            is_pickup_only = bool(instance.pickup[c].any()) and not instance.delivery[c].any()
            if instance.backhaul_after_linehaul:
                if pickup_seen and instance.delivery[c].any():
                    problems.append(f"{where}: delivery client {c} after a pickup client")
                pickup_seen = pickup_seen or is_pickup_only
        cap = np.asarray(vt.capacity, dtype=np.int64)
        if np.any(peak > cap):
            problems.append(
                f"{where} run {k + 1}: load {peak.tolist()} over capacity {cap.tolist()}"
            )
    if any(not 0 <= c < instance.num_clients for trip in trips for c in trip):
        return problems  # timing needs known clients
    stats = route_stats(instance, route)
    if stats.time_warp > 0:
        problems.append(f"{where}: {stats.time_warp} late against time windows/releases")
    if stats.duration > vt.max_duration:
        problems.append(f"{where}: duration {stats.duration} over {vt.max_duration}")
    if stats.distance > vt.max_distance:
        problems.append(f"{where}: distance {stats.distance} over {vt.max_distance}")
    if on_board:
        problems.extend(
            f"{where}: client {c} on board {secs} s (limit {limit})"
            for c, secs, limit in on_board_excess(instance, route, stats.start)
        )
    return problems


def on_board_excess(instance: Instance, route: Route, start: int) -> list[tuple[int, int, int]]:
    """Clients on the route over their time-on-board limit: (client, on board, limit).

    On board runs from the end of service at the client to the end of its run (back at
    the depot), with the route starting at ``start``.
    """
    if instance.max_on_board.size != instance.num_clients or not np.any(instance.max_on_board > 0):
        return []
    vt = instance.vehicle_types[route.vehicle_type]
    dur = instance.duration[vt.profile]
    nd = instance.num_depots
    t = start
    prev = vt.start_depot
    out: list[tuple[int, int, int]] = []
    for k, trip in enumerate(tr.clients for tr in route.trips if tr.clients):
        if k:
            t += int(dur[prev, vt.start_depot]) + vt.reload_duration
            prev = vt.start_depot
        t = max(t, max(int(instance.release[c]) for c in trip))
        done: list[tuple[int, int]] = []
        for c in trip:
            t = max(t + int(dur[prev, nd + c]), int(instance.tw_early[c])) + int(
                instance.service[c]
            )
            done.append((c, t))
            prev = nd + c
        back = t + int(dur[prev, vt.start_depot])
        for c, left in done:
            limit = int(instance.max_on_board[c])
            if limit and back - left > limit:
                out.append((c, back - left, limit))
    return out
