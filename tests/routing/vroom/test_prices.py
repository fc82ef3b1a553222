"""Per-vehicle matrices equal the timeline's travel, distance and arc cost cell by cell."""

from __future__ import annotations

import pytest

from routing.vroom.prices import Prices
from routing.vroom.request import parse_request
from routing.vroom.samples import random_request
from routing.vroom.timeline import arc_cost


@pytest.mark.parametrize("seed", [0, 5, 13, 161, 179, 231])
def test_prices_equal_the_timeline_functions(seed: int) -> None:
    """Speed factors, per-km and per-hour rates, a costs matrix and open ends all agree."""
    problem = parse_request(random_request(seed, n_jobs=12, n_vehicles=3))
    prices = Prices(problem)
    size = prices.open
    for v in problem.vehicles:
        travel, distance = prices.rows("travel", v), prices.rows("distance", v)
        cost = prices.rows("cost", v)
        for a in range(size):
            for b in range(size):
                assert travel[a][b] == problem.travel_s(v, a, b)
                assert distance[a][b] == problem.distance_m(v, a, b)
                assert cost[a][b] == arc_cost(problem, v, a, b)
        # the extra location is an open start or end: nothing to travel or pay
        assert travel[size] == [0] * (size + 1)
        assert [row[size] for row in cost] == [0] * (size + 1)
