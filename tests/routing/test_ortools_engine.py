"""OR-Tools engine: each constraint on a tiny instance whose optimum is known by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from routing.solve.instance import Instance, LockedTrip, VehicleTypeData
from routing.solve.ortools_engine import solve_ortools

BIG = 2**40


def line_instance(
    positions: list[int],
    *,
    pickup: list[int] | None = None,
    delivery: list[int] | None = None,
    capacity: int = 100,
    vehicles: int = 2,
    **changes: object,
) -> Instance:
    """Depot at 0 and clients at ``positions`` on a line; distance = duration = |a-b|."""
    xs = np.array([0, *positions], dtype=np.int64)
    d = np.abs(xs[:, None] - xs[None, :])
    n = len(positions)
    inst = Instance(
        name="line",
        num_depots=1,
        distance=d[None],
        duration=d[None],
        pickup=np.array(pickup or [1] * n, dtype=np.int64).reshape(n, 1),
        delivery=np.array(delivery or [0] * n, dtype=np.int64).reshape(n, 1),
        service=np.zeros(n, dtype=np.int64),
        tw_early=np.zeros(n, dtype=np.int64),
        tw_late=np.full(n, BIG, dtype=np.int64),
        release=np.zeros(n, dtype=np.int64),
        prize=np.zeros(n, dtype=np.int64),
        required=np.ones(n, dtype=bool),
        allowed=np.ones((n, 1), dtype=bool),
        vehicle_types=(VehicleTypeData("v", vehicles, (capacity,), 0, 0),),
        depot_tw=np.array([[0, BIG]], dtype=np.int64),
        dimension_names=("q",),
    )
    return replace(inst, **changes)  # type: ignore[arg-type]


def trips_of(solution) -> list[tuple[int, ...]]:  # type: ignore[no-untyped-def]
    return sorted(t.clients for r in solution.routes for t in r.trips)


def test_capacity_splits_clients_into_two_routes() -> None:
    """Two far clients of load 6 with capacity 10 need two routes: cost 2*10 + 2*11."""
    inst = line_instance([10, 11], pickup=[6, 6], capacity=10)
    sol = solve_ortools(inst, time_limit_s=1)
    assert trips_of(sol) == [(0,), (1,)]
    assert sol.cost == 42


def test_one_route_when_capacity_allows() -> None:
    inst = line_instance([10, 11], pickup=[5, 5], capacity=10)
    sol = solve_ortools(inst, time_limit_s=1)
    assert len(trips_of(sol)) == 1
    assert sol.cost == 22


def test_time_windows_force_the_far_client_first() -> None:
    """Client at 10 must be served by t=10, so it comes before the one at 5."""
    inst = line_instance([5, 10], vehicles=1, tw_late=np.array([100, 10], dtype=np.int64))
    sol = solve_ortools(inst, time_limit_s=1)
    assert trips_of(sol) == [(1, 0)]


def test_optional_client_left_out_when_prize_is_below_its_detour() -> None:
    inst = line_instance(
        [5, 50],
        vehicles=1,
        required=np.array([True, False]),
        prize=np.array([0, 30], dtype=np.int64),
    )
    sol = solve_ortools(inst, time_limit_s=1)
    assert sol.unassigned == (1,)
    rich = replace(inst, prize=np.array([0, 200], dtype=np.int64))
    assert solve_ortools(rich, time_limit_s=1).unassigned == ()


def test_allowed_vehicle_types_are_respected() -> None:
    """Client 0 may only use the expensive type 1."""
    base = line_instance([5, 6], vehicles=1)
    cheap = VehicleTypeData("cheap", 1, (100,), 0, 0, fixed_cost=0)
    dear = VehicleTypeData("dear", 1, (100,), 0, 0, fixed_cost=1000)
    inst = replace(
        base,
        vehicle_types=(cheap, dear),
        allowed=np.array([[False, True], [True, True]]),
    )
    sol = solve_ortools(inst, time_limit_s=1)
    by_type = {r.vehicle_type: [c for t in r.trips for c in t.clients] for r in sol.routes}
    assert 0 in by_type[1]
    assert 0 not in by_type.get(0, [])


def test_heterogeneous_fleet_picks_the_cheaper_vehicle() -> None:
    base = line_instance([5, 6], vehicles=1)
    dear = VehicleTypeData("dear", 1, (100,), 0, 0, fixed_cost=500, unit_distance_cost=1)
    cheap = VehicleTypeData("cheap", 1, (100,), 0, 0, fixed_cost=100, unit_distance_cost=1)
    inst = replace(base, vehicle_types=(dear, cheap), allowed=np.ones((2, 2), dtype=bool))
    sol = solve_ortools(inst, time_limit_s=1)
    assert [r.vehicle_type for r in sol.routes] == [1]
    assert sol.cost == 100 + 12


def test_multi_trip_vehicle_reloads_between_runs() -> None:
    """One vehicle, capacity for one client per run: two runs with the reload between."""
    vt = VehicleTypeData("v", 1, (1,), 0, 0, max_trips=2, reload_duration=7)
    inst = line_instance([10, 20], vehicles=1, vehicle_types=(vt,))
    sol = solve_ortools(inst, time_limit_s=1)
    assert len(sol.routes) == 1
    assert sorted(t.clients for t in sol.routes[0].trips) == [(0,), (1,)]
    # A shift too short for two runs plus the reload leaves one client out.
    short = replace(
        inst,
        vehicle_types=(replace(vt, tw_late=20 + 40 + 6),),
        required=np.zeros(2, dtype=bool),
        prize=np.array([1000, 1000], dtype=np.int64),
    )
    assert len(solve_ortools(short, time_limit_s=1).unassigned) == 1


def test_backhauls_come_after_linehauls() -> None:
    """Delivery client far away, pickup client near: precedence forces far first."""
    inst = line_instance(
        [2, 10],
        pickup=[3, 0],
        delivery=[0, 3],
        vehicles=1,
        backhaul_after_linehaul=True,
    )
    sol = solve_ortools(inst, time_limit_s=1)
    assert trips_of(sol) == [(1, 0)]


def test_load_on_board_counts_outbound_parcels_left_to_drop() -> None:
    """Capacity 5: 4 to drop at A and 4 to collect at B fit only if A comes first."""
    inst = line_instance([10, 2], pickup=[0, 4], delivery=[4, 0], capacity=5, vehicles=1)
    sol = solve_ortools(inst, time_limit_s=1)
    assert trips_of(sol) == [(0, 1)]


def test_release_time_delays_the_departure() -> None:
    inst = line_instance(
        [10],
        vehicles=1,
        release=np.array([50], dtype=np.int64),
        tw_late=np.array([55], dtype=np.int64),
        required=np.array([False]),
        prize=np.array([1000], dtype=np.int64),
    )
    # Leaving at 50 arrives at 60 > 55: the client cannot be served.
    assert solve_ortools(inst, time_limit_s=1).unassigned == (0,)
    later = replace(inst, tw_late=np.array([60], dtype=np.int64))
    assert solve_ortools(later, time_limit_s=1).unassigned == ()


def test_time_on_board_limits_what_can_be_collected_before() -> None:
    """A perishable at 10 with 12 s on board cannot be followed by a detour to 20."""
    inst = line_instance([10, 20], vehicles=1, max_on_board=np.array([12, 0], dtype=np.int64))
    sol = solve_ortools(inst, time_limit_s=1)
    assert trips_of(sol) == [(1, 0)]


def test_locked_trip_keeps_its_stops_first_and_in_order() -> None:
    inst = line_instance([10, 5, 20], vehicles=1, locked=(LockedTrip(0, 0, 0, (1, 0)),))
    sol = solve_ortools(inst, time_limit_s=1)
    assert trips_of(sol)[0][:2] == (1, 0)


def test_same_input_and_iterations_give_the_same_solution() -> None:
    rng = np.random.default_rng(3)
    xs = rng.integers(1, 1000, 30).tolist()
    inst = line_instance(xs, pickup=rng.integers(1, 9, 30).tolist(), capacity=20, vehicles=10)
    a = solve_ortools(inst, time_limit_s=5, iterations=40)
    b = solve_ortools(inst, time_limit_s=5, iterations=40)
    assert a.routes == b.routes
    assert a.cost == b.cost


def test_initial_solution_is_used_and_never_worsened() -> None:
    rng = np.random.default_rng(5)
    xs = rng.integers(1, 1000, 25).tolist()
    inst = line_instance(xs, capacity=5, vehicles=10)
    first = solve_ortools(inst, time_limit_s=1)
    again = solve_ortools(inst, time_limit_s=1, initial=first)
    assert again.cost <= first.cost


def test_driver_break_is_scheduled_inside_the_shift() -> None:
    vt = VehicleTypeData("v", 1, (100,), 0, 0, tw_late=40, break_window=(5, 15), break_duration=10)
    inst = line_instance([10], vehicles=1, vehicle_types=(vt,))
    assert solve_ortools(inst, time_limit_s=1).unassigned == ()
    tight = replace(
        inst,
        vehicle_types=(replace(vt, tw_late=25),),
        required=np.array([False]),
        prize=np.array([1000], dtype=np.int64),
    )
    # 20 s of driving plus a 10 s break does not fit a 25 s shift.
    assert solve_ortools(tight, time_limit_s=1).unassigned == (0,)


@pytest.mark.parametrize("depot", [0, 1])
def test_two_depots_each_vehicle_returns_home(depot: int) -> None:
    """Clients next to depot 1: a vehicle based there serves them."""
    xs = np.array([0, 100, 99, 101], dtype=np.int64)
    d = np.abs(xs[:, None] - xs[None, :])
    base = line_instance([99, 101])
    vts = (
        VehicleTypeData("a", 1, (100,), 0, 0),
        VehicleTypeData("b", 1, (100,), 1, 1),
    )
    inst = replace(
        base,
        num_depots=2,
        distance=d[None],
        duration=d[None],
        vehicle_types=vts,
        allowed=np.ones((2, 2), dtype=bool),
        depot_tw=np.array([[0, BIG], [0, BIG]], dtype=np.int64),
    )
    sol = solve_ortools(inst, time_limit_s=1)
    assert [r.vehicle_type for r in sol.routes] == [1]
    assert sol.cost == 4
    del depot


def test_each_seed_searches_with_its_own_strategy() -> None:
    """OR-Tools is deterministic: two runs side by side differ by strategy, per seed."""
    from routing.solve.ortools_engine import (
        SEED_STRATEGIES,
        _search_parameters,
        strategy_for_seed,
    )

    inst = line_instance([3, 4, -2, 5], vehicles=2)
    seen = {strategy_for_seed(inst, s) for s in range(len(SEED_STRATEGIES) + 1)}
    assert len(seen) == len(SEED_STRATEGIES) + 1
    assert strategy_for_seed(inst, 0) == strategy_for_seed(inst, len(SEED_STRATEGIES) + 1)
    p0 = _search_parameters(inst, 1.0, None, False, seed=0)
    p1 = _search_parameters(inst, 1.0, None, False, seed=1)
    assert (p0.first_solution_strategy, p0.local_search_metaheuristic) != (
        p1.first_solution_strategy,
        p1.local_search_metaheuristic,
    )
    from routing.solve.check import check_solution

    for seed in range(len(SEED_STRATEGIES) + 1):
        sol = solve_ortools(inst, time_limit_s=1, seed=seed, iterations=50)
        assert check_solution(inst, sol) == []
        assert sol.served() == {0, 1, 2, 3}


def test_no_first_plan_in_time_is_not_called_an_impossible_day() -> None:
    """Out of time before a first plan, the error says so and how to fix it."""
    from routing.solve.ortools_engine import _ROUTING_FAIL_TIMEOUT, _no_solution

    timeout = str(_no_solution("day", int(_ROUTING_FAIL_TIMEOUT), 0.05))
    assert "within its 0.05 s" in timeout
    assert "--time-limit" in timeout
    assert "cannot be served" not in timeout
    assert "cannot be served" in str(_no_solution("day", 6, 5.0))
