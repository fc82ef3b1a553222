"""PyVRP adapter: each constraint on a tiny instance with a known optimal answer."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from routing.errors import SolveError
from routing.solve.check import check_solution, solution_cost
from routing.solve.instance import Instance, VehicleTypeData
from routing.solve.pyvrp_engine import (
    FLEET_SLACK,
    first_fit_decreasing,
    search_fleet,
    solve_pyvrp,
)
from routing.solve.pyvrp_features import unsupported_features

BIG = 2**40


def make_instance(
    points: list[tuple[int, int]],
    *,
    num_depots: int = 1,
    delivery: list[int] | None = None,
    pickup: list[int] | None = None,
    types: tuple[VehicleTypeData, ...] | None = None,
    **fields: object,
) -> Instance:
    """A Manhattan-distance instance: depots first, then clients."""
    xy = np.array(points, dtype=np.int64)
    dist = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    n = len(points) - num_depots
    if types is None:
        types = (VehicleTypeData("v", 1, (100,), 0, 0),)
    inst = Instance(
        name="tiny",
        num_depots=num_depots,
        distance=dist[None],
        duration=dist[None],
        pickup=np.array(pickup or [0] * n, dtype=np.int64)[:, None],
        delivery=np.array(delivery or [1] * n, dtype=np.int64)[:, None],
        service=np.zeros(n, dtype=np.int64),
        tw_early=np.zeros(n, dtype=np.int64),
        tw_late=np.full(n, BIG, dtype=np.int64),
        release=np.zeros(n, dtype=np.int64),
        prize=np.zeros(n, dtype=np.int64),
        required=np.ones(n, dtype=bool),
        allowed=np.ones((n, len(types)), dtype=bool),
        vehicle_types=types,
        depot_tw=np.array([[0, BIG]] * num_depots, dtype=np.int64),
        dimension_names=("load",),
        coords=xy,
    )
    return replace(inst, **fields)  # type: ignore[arg-type]


def solved(inst: Instance) -> tuple[object, int]:
    sol = solve_pyvrp(inst, time_limit_s=0.3, seed=0)
    assert check_solution(inst, sol) == []
    return sol, solution_cost(inst, sol)


def test_backhaul_after_linehaul_orders_deliveries_first() -> None:
    """Client 0 delivers, client 1 picks up: the pickup must come last on the run."""
    inst = make_instance(
        [(0, 0), (10, 0), (5, 5)],
        delivery=[3, 0],
        pickup=[0, 3],
        backhaul_after_linehaul=True,
    )
    sol, _ = solved(inst)
    assert [t.clients for r in sol.routes for t in r.trips] == [(0, 1)]


def test_check_flags_pickup_before_delivery() -> None:
    """The checker reports a delivery client served after a pickup-only client."""
    from routing.solve.instance import Route, Solution, Trip

    inst = make_instance(
        [(0, 0), (10, 0), (5, 5)], delivery=[3, 0], pickup=[0, 3], backhaul_after_linehaul=True
    )
    bad = Solution((Route(0, 0, (Trip((1, 0)),)),), (), 0, "test")
    assert any("after a pickup" in v for v in check_solution(inst, bad))


def test_heterogeneous_fleet_picks_the_cheap_vehicle_that_fits() -> None:
    """Load 4 fits the small van (fixed 10) as well as the lorry (fixed 100)."""
    small = VehicleTypeData("van", 1, (5,), 0, 0, fixed_cost=10)
    big = VehicleTypeData("lorry", 1, (10,), 0, 0, fixed_cost=100)
    inst = make_instance([(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)], types=(big, small))
    sol, cost = solved(inst)
    assert [r.vehicle_type for r in sol.routes] == [1]
    assert cost == 10 + 8


def test_heterogeneous_fleet_uses_the_lorry_when_needed() -> None:
    """Load 8 only fits the lorry."""
    small = VehicleTypeData("van", 1, (5,), 0, 0, fixed_cost=10)
    big = VehicleTypeData("lorry", 1, (10,), 0, 0, fixed_cost=100)
    inst = make_instance(
        [(0, 0), (1, 0), (2, 0)], delivery=[4, 4], types=(small, replace(big, fixed_cost=15))
    )
    sol, cost = solved(inst)
    assert [r.vehicle_type for r in sol.routes] == [1]
    assert cost == 15 + 4


def test_multi_trip_reloads_at_the_depot() -> None:
    """Capacity 2 and four unit loads: one vehicle does two runs."""
    vt = VehicleTypeData("v", 1, (2,), 0, 0, max_trips=2)
    inst = make_instance([(0, 0), (5, 0), (6, 0), (0, 5), (0, 6)], types=(vt,))
    sol, cost = solved(inst)
    assert len(sol.routes) == 1
    assert sorted(sorted(t.clients) for t in sol.routes[0].trips) == [[0, 1], [2, 3]]
    assert cost == 24


def test_fixed_cost_per_run_after_the_first_is_paid() -> None:
    """A second run of the van costs 30, the car's day 20: the car takes the second pair.

    Without the van's per-run cost the second van run would look free (40 against 60).
    """
    van = VehicleTypeData("van", 1, (2,), 0, 0, fixed_cost=40, trip_fixed_cost=30, max_trips=2)
    car = VehicleTypeData("car", 1, (2,), 0, 0, fixed_cost=20)
    inst = make_instance([(0, 0), (5, 0), (6, 0), (0, 5), (0, 6)], types=(van, car))
    assert unsupported_features(inst) == []
    sol, cost = solved(inst)
    assert sorted(len(r.trips) for r in sol.routes) == [1, 1]
    assert cost == 40 + 20 + 24


def test_fixed_cost_per_run_under_a_distance_limit_is_not_modelled() -> None:
    """The per-run cost would sit on the departure arcs and count against the limit."""
    van = VehicleTypeData(
        "van", 1, (2,), 0, 0, fixed_cost=40, trip_fixed_cost=30, max_trips=2, max_distance=100
    )
    inst = make_instance([(0, 0), (5, 0), (6, 0)], types=(van,))
    assert unsupported_features(inst) == ["per-run fixed costs"]


def test_release_time_orders_runs() -> None:
    """Capacity 2, three release dates: runs follow the releases (0, then 100, then 200)."""
    vt = VehicleTypeData("v", 1, (2,), 0, 0, max_trips=3)
    inst = make_instance(
        [(0, 0), (5, 0), (6, 0), (0, 5), (0, 6), (5, 5)],
        types=(vt,),
        tw_late=np.array([50, 60, BIG, BIG, BIG], dtype=np.int64),
        release=np.array([0, 0, 100, 100, 200], dtype=np.int64),
    )
    sol, _ = solved(inst)
    runs = [set(t.clients) for t in sol.routes[0].trips]
    assert runs == [{0, 1}, {4}, {2, 3}] or runs == [{0, 1}, {2, 3}, {4}]


def test_prize_collection_skips_unprofitable_clients() -> None:
    """A far client with a small prize is left out; a near one with a big prize is not."""
    inst = make_instance(
        [(0, 0), (1, 0), (100, 0)],
        prize=np.array([50, 5], dtype=np.int64),
        required=np.array([False, False]),
    )
    sol, cost = solved(inst)
    assert sol.served() == {0}
    assert cost == 2 + 5


def test_allowed_types_are_respected() -> None:
    """Client 0 may only be served by type 1, although type 0 is cheaper."""
    cheap = VehicleTypeData("cheap", 1, (10,), 0, 0)
    dear = VehicleTypeData("dear", 1, (10,), 0, 0, fixed_cost=50)
    allowed = np.array([[False, True], [True, True]])
    inst = make_instance([(0, 0), (3, 0), (0, 3)], types=(cheap, dear), allowed=allowed)
    sol, _ = solved(inst)
    owner = {c: r.vehicle_type for r in sol.routes for t in r.trips for c in t.clients}
    assert owner[0] == 1


def test_two_depots_serve_their_neighbours() -> None:
    """Each client goes to the vehicle of the depot next to it."""
    types = (VehicleTypeData("a", 1, (10,), 0, 0), VehicleTypeData("b", 1, (10,), 1, 1))
    inst = make_instance([(0, 0), (100, 0), (1, 0), (99, 0)], num_depots=2, types=types)
    sol, cost = solved(inst)
    owner = {c: r.vehicle_type for r in sol.routes for t in r.trips for c in t.clients}
    assert owner == {0: 0, 1: 1}
    assert cost == 4


def test_time_windows_fix_the_order() -> None:
    """Client 1 closes at 20 and client 0 opens at 100: client 1 first."""
    inst = make_instance(
        [(0, 0), (10, 0), (0, 10)],
        tw_early=np.array([100, 0], dtype=np.int64),
        tw_late=np.array([110, 20], dtype=np.int64),
    )
    sol, _ = solved(inst)
    assert [t.clients for t in sol.routes[0].trips] == [(1, 0)]


def test_breaks_are_refused() -> None:
    """A driver break is an OR-Tools-only feature."""
    vt = VehicleTypeData("v", 1, (10,), 0, 0, break_window=(0, 100), break_duration=10)
    inst = make_instance([(0, 0), (1, 0)], types=(vt,))
    assert unsupported_features(inst) == ["driver breaks"]
    with pytest.raises(SolveError):
        solve_pyvrp(inst, time_limit_s=0.1)


def test_first_fit_decreasing_packs_the_large_loads_first() -> None:
    """In the given order first fit needs 4 vehicles; largest first needs 3."""
    loads = np.array([[3], [3], [3], [7], [7], [7]], dtype=np.int64)
    assert first_fit_decreasing(loads, np.array([10])) == 3


def test_first_fit_decreasing_checks_every_dimension() -> None:
    """Deliveries and pickups both have to fit the vehicle."""
    loads = np.array([[5, 0], [0, 5], [6, 6]], dtype=np.int64)
    assert first_fit_decreasing(loads, np.array([10, 10])) == 2
    with pytest.raises(SolveError):
        first_fit_decreasing(np.array([[11, 0]], dtype=np.int64), np.array([10, 10]))


def _star(n: int, load: int, fleet: int) -> Instance:
    """``n`` clients of one load around a depot, vehicles of capacity 10."""
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    points = [(0, 0)] + [(int(50 * np.cos(a)), int(50 * np.sin(a))) for a in angles]
    return make_instance(
        points, delivery=[load] * n, types=(VehicleTypeData("v", fleet, (10,), 0, 0),)
    )


def test_search_fleet_is_a_packing_plus_slack_and_never_too_small() -> None:
    """Loads over half the capacity need a vehicle each: 20 of them, not 12."""
    inst = _star(20, 6, fleet=40)
    assert search_fleet(inst) == math.ceil(20 * (1 + FLEET_SLACK))
    sol = solve_pyvrp(inst, time_limit_s=0.5, seed=0)
    assert check_solution(inst, sol) == []
    assert len(sol.routes) == 20


def test_search_fleet_leaves_other_instances_alone() -> None:
    """Only capacity-only instances with a larger fleet than needed are capped."""
    base = _star(20, 3, fleet=40)
    assert search_fleet(base) == math.ceil(7 * (1 + FLEET_SLACK))
    assert search_fleet(_star(20, 3, fleet=8)) is None  # fleet already small
    windows = replace(base, tw_late=np.full(20, 1_000, dtype=np.int64))
    optional = replace(base, required=np.array([False] + [True] * 19))
    two_types = replace(
        base,
        vehicle_types=base.vehicle_types * 2,
        allowed=np.ones((20, 2), dtype=bool),
    )
    shift = replace(base, vehicle_types=(replace(base.vehicle_types[0], max_duration=900),))
    for other in (windows, optional, two_types, shift):
        assert search_fleet(other) is None


def test_capped_search_uses_no_more_vehicles_than_the_cap() -> None:
    """The search runs on the capped fleet, and still returns a feasible plan."""
    inst = _star(40, 3, fleet=40)
    cap = search_fleet(inst)
    assert cap is not None
    sol = solve_pyvrp(inst, time_limit_s=0.5, seed=1)
    assert check_solution(inst, sol) == []
    assert len(sol.routes) <= cap


def test_warm_start_with_more_runs_than_the_cap_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A warm start of more runs than the cap (a merged decomposition, another
    engine's plan) is not thrown away: the search takes the whole fleet instead."""
    from routing.solve import pyvrp_engine
    from routing.solve.instance import Route, Solution, Trip

    inst = _star(30, 3, fleet=30)
    singles = Solution(tuple(Route(0, i, (Trip((i,)),)) for i in range(30)), (), 0, "test")
    cap = search_fleet(inst)
    assert cap is not None
    assert len(singles.routes) > cap
    seen: list[tuple[int, bool]] = []
    real_search = pyvrp_engine._search

    def spy(data, neighbours, params, stop, seed, initial):  # type: ignore[no-untyped-def]
        seen.append((data.num_vehicles, initial is not None))
        return real_search(data, neighbours, params, stop, seed, initial)

    monkeypatch.setattr(pyvrp_engine, "_search", spy)
    sol = solve_pyvrp(inst, time_limit_s=0.5, seed=0, initial=singles)
    assert seen == [(30, True)]
    assert check_solution(inst, sol) == []
    assert solution_cost(inst, sol) < solution_cost(inst, singles)
    solve_pyvrp(inst, time_limit_s=0.2, seed=0)
    assert seen[-1] == (cap, False)
