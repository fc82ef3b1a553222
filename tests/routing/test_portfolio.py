"""Portfolio: independent re-evaluation picks the winner; decomposition keeps plans valid."""

from __future__ import annotations

import numpy as np

from routing.solve import solve
from routing.solve.check import check_solution, solution_cost
from routing.solve.decompose import merge, split_by_angle, split_by_routes
from routing.solve.instance import Route, Solution, Trip, VehicleTypeData
from routing.solve.portfolio import Verdict, best_of, judge
from tests.routing.test_pyvrp_engine import BIG, make_instance


def test_feasible_beats_cheaper_infeasible() -> None:
    """A cheaper plan with violations loses to a feasible one; ties go to the first."""
    inst = make_instance([(0, 0), (1, 0)])
    empty = Solution((), (0,), 0, "a")
    served = Solution((Route(0, 0, (Trip((0,)),)),), (), 99, "b")
    assert judge(inst, empty).violations
    assert best_of([judge(inst, empty), judge(inst, served)]).solution.engine == "b"
    first = Verdict(served, 2, ())
    assert best_of([first, Verdict(served, 2, ())]) is first


def test_portfolio_falls_back_to_ortools_when_pyvrp_is_infeasible() -> None:
    """Two clients, capacity 1, release at 100: PyVRP misses the reload, OR-Tools finds it."""
    vt = VehicleTypeData("v", 1, (1,), 0, 0, max_trips=2)
    inst = make_instance(
        [(0, 0), (5, 0), (6, 0)],
        types=(vt,),
        tw_late=np.array([50, BIG], dtype=np.int64),
        release=np.array([0, 100], dtype=np.int64),
    )
    sol = solve(inst, time_limit_s=1.0, engines=("pyvrp", "ortools"), workers=2)
    assert check_solution(inst, sol) == []
    assert [t.clients for t in sol.routes[0].trips] == [(0,), (1,)]
    assert sol.cost == solution_cost(inst, sol) == 22


def test_default_portfolio_is_optimal_on_a_small_ring() -> None:
    """Eight clients on a square ring, capacity 4: two runs of cost 8 each."""
    ring = (
        [(0, 0)]
        + [(x, y) for x, y in [(1, 0), (2, 0), (2, 1), (2, 2)]]
        + [(-1, 0), (-2, 0), (-2, 1), (-2, 2)]
    )
    vt = VehicleTypeData("v", 4, (4,), 0, 0)
    inst = make_instance(ring, types=(vt,))
    sol = solve(inst, time_limit_s=1.0, seed=0)
    assert check_solution(inst, sol) == []
    assert sol.cost == 16


def test_split_and_merge_preserve_every_client() -> None:
    """Route and sector splits cover each client once and merge back to a valid plan."""
    rng = np.random.default_rng(0)
    pts = [(0, 0), *[tuple(int(v) for v in p) for p in rng.integers(-50, 50, (40, 2))]]
    vt = VehicleTypeData("v", 20, (5,), 0, 0)
    inst = make_instance(pts, types=(vt,))
    parts = split_by_angle(inst, 3)
    assert sorted(np.concatenate([p.clients for p in parts]).tolist()) == list(range(40))
    routes = tuple(Route(0, i, (Trip(tuple(range(5 * i, 5 * i + 5))),)) for i in range(8))
    sol = Solution(routes, (), 0, "x")
    parts = split_by_routes(inst, sol, 2, rotation=0.5)
    assert sum(p.instance.num_clients for p in parts) == 40
    merged = merge(inst, parts, [p.initial for p in parts if p.initial is not None])
    assert check_solution(inst, merged) == []
    assert solution_cost(inst, merged) == solution_cost(inst, sol)


def test_banned_arcs_keep_time_warp_penalties_bounded_and_solve_stays_feasible() -> None:
    """Site-dependent clients with time windows and a shift limit (as in SDVRPTW).

    A MAX_VALUE travel time on the banned arcs next to finite time limits made PyVRP's
    time-warp penalty overflow and its local search cycle without ever returning to
    check the stopping criterion. The banned arcs now take a travel time just past the
    instance's time limits (still enough to make a route through them late), and the
    portfolio still returns a feasible plan that respects the allowed vehicle types.
    """
    from pyvrp.constants import MAX_VALUE

    from routing.solve.pyvrp_engine import banned_duration, to_problem_data

    rng = np.random.default_rng(3)
    pts = [(0, 0), *[tuple(int(v) for v in p) for p in rng.integers(-20, 20, (24, 2))]]
    n = len(pts) - 1
    types = (
        VehicleTypeData("a", 3, (40,), 0, 0, max_duration=400),
        VehicleTypeData("b", 3, (40,), 0, 0, max_duration=400),
    )
    allowed = np.ones((n, 2), dtype=bool)
    allowed[: n // 2, 0] = False  # the first half only for type b
    allowed[n // 2 + 4 :, 1] = False  # the last clients only for type a
    inst = make_instance(
        pts,
        types=types,
        allowed=allowed,
        tw_early=np.zeros(n, dtype=np.int64),
        tw_late=np.full(n, 300, dtype=np.int64),
        service=np.full(n, 5, dtype=np.int64),
    )
    ban = banned_duration(inst)
    assert 400 < ban < MAX_VALUE
    data = to_problem_data(inst)
    for prof in range(data.num_profiles):
        dur = np.asarray(data.duration_matrices()[prof])
        assert int(dur.max()) <= ban
    # Banning still rests on the distances: MAX_VALUE arcs to clients out of reach.
    assert any(int(np.asarray(m).max()) == MAX_VALUE for m in data.distance_matrices())

    sol = solve(inst, time_limit_s=1.0, seed=0, workers=1)
    assert check_solution(inst, sol) == []
    for route in sol.routes:
        for trip in route.trips:
            assert all(bool(inst.allowed[c, route.vehicle_type]) for c in trip.clients)


def test_cooperative_rounds_never_lose_the_incumbent() -> None:
    """Each round restarts from the best plan so far, so round costs never go up."""
    rng = np.random.default_rng(11)
    inst = make_instance([(0, 0), *map(tuple, rng.integers(-50, 50, (40, 2)).tolist())])
    sol = solve(inst, time_limit_s=4.0, workers=2)
    rounds = [sol.stats[f"cost_round_{k}"] for k in range(1, 5)]
    assert len(rounds) == 4  # 4 s at one round per second at least
    assert rounds == sorted(rounds, reverse=True)
    assert sol.cost == rounds[-1] == solution_cost(inst, sol)
    assert check_solution(inst, sol) == []


def test_without_a_feasible_plan_the_rest_of_the_budget_is_one_round(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Engines that find no feasible plan in round one get the whole rest at once."""
    import routing.solve.portfolio as portfolio

    inst = make_instance([(0, 0), (1, 0), (2, 0)], types=(VehicleTypeData("v", 2, (1,), 0, 0),))
    rounds: list[float] = []

    def run(self, tasks):  # type: ignore[no-untyped-def]
        rounds.append(tasks[0].deadline)
        return [Solution((Route(0, 0, (Trip((0, 1)),)),), (), 0, "stub") for _ in tasks]

    monkeypatch.setattr(portfolio._Runner, "run", run)
    monkeypatch.setattr(portfolio, "plan_engines", lambda *a: ["pyvrp", "pyvrp"])
    sol = solve(inst, time_limit_s=8.0, workers=2)
    # The stub's plan is over capacity: it is repaired, never delivered as it is.
    assert sol.stats["violations_repaired"] >= 1
    assert check_solution(inst, sol) == []
    assert len(rounds) == 2  # round one, then everything left
    assert rounds[1] - rounds[0] > 6.0


def test_domain_day_with_optional_pickups_decomposes() -> None:
    """Must-collect and optional pickups alike: the decomposition phase runs (small
    threshold) on a domain instance whose every client has a prize, and the merged
    plan is feasible."""
    from routing.build import build_instance
    from routing.matrix import StraightLineMatrixProvider
    from routing.pipeline import matrices_for
    from routing.solve import decompose
    from routing.solve.portfolio import solve as portfolio_solve
    from tests.routing.factories import random_problem

    base = random_problem(60, seed=11)
    pickups = tuple(
        p.model_copy(update={"prize_rmb": 400.0}) if i % 4 == 0 else p
        for i, p in enumerate(base.pickups)
    )
    problem = base.model_copy(update={"pickups": pickups})
    inst = build_instance(problem, matrices_for(problem, StraightLineMatrixProvider())).instance
    assert not inst.required.any()  # domain days: everything goes by prize
    assert decompose.can_decompose(inst)
    sol = portfolio_solve(inst, time_limit_s=4.0, workers=2, decompose_min_clients=20)
    assert "cost_sectors" in sol.stats
    assert check_solution(inst, sol) == []
    served = sol.served()
    assert len(served) + len(sol.unassigned) == inst.num_clients


def test_route_split_offers_unserved_optional_clients_to_a_part() -> None:
    rng = np.random.default_rng(1)
    pts = [(0, 0), *[tuple(int(v) for v in p) for p in rng.integers(-50, 50, (30, 2))]]
    vt = VehicleTypeData("v", 10, (5,), 0, 0)
    inst = make_instance(
        pts, types=(vt,), required=np.zeros(30, dtype=bool), prize=np.full(30, 500)
    )
    sol = solve(inst, time_limit_s=0.5, engines=("pyvrp",), workers=1)
    left_out = Solution(
        routes=tuple(
            Route(r.vehicle_type, r.vehicle, tuple(Trip(t.clients[1:]) for t in r.trips))
            for r in sol.routes
        ),
        unassigned=(),
        cost=0,
        engine="x",
    )
    parts = split_by_routes(inst, left_out, 3)
    covered = sorted(int(c) for p in parts for c in p.clients)
    assert covered == list(range(30))
