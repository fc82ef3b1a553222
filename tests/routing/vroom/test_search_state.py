"""The search's quick checks: the same verdict as summing the inserted route."""

from __future__ import annotations

import itertools

import numpy as np

from routing.vroom.request import parse_request
from routing.vroom.samples import random_request
from routing.vroom.search_state import Search


def _limited(count: int) -> list[int]:
    """Sample seeds whose vehicles have a distance or travel-time limit."""
    seeds: list[int] = []
    seed = 0
    while len(seeds) < count:
        vehicles = parse_request(random_request(seed, n_jobs=16, n_vehicles=2)).vehicles
        if any(v.max_distance_m is not None or v.max_travel_time_s is not None for v in vehicles):
            seeds.append(seed)
        seed += 1
    return seeds


def test_within_limits_agrees_with_the_summed_route() -> None:
    """For random routes and stops: a gap passes exactly when the route with the stop
    inserted there has its travel time and distance within the vehicle's limits."""
    verdicts: set[bool] = set()
    for seed in _limited(5):
        verdicts |= _verdicts(seed)
    assert verdicts == {True, False}, "gaps within and past the limits were tried"


def _verdicts(seed: int) -> set[bool]:
    problem = parse_request(random_request(seed, n_jobs=16, n_vehicles=2))
    s = Search(problem, {})
    rng = np.random.default_rng(seed)
    verdicts: set[bool] = set()
    for r, v in enumerate(problem.vehicles):
        for _ in range(30):
            size = int(rng.integers(0, 10))
            seq = [int(i) for i in rng.choice(len(problem.tasks), size=size, replace=False)]
            stop = int(rng.integers(len(problem.tasks)))
            path = s.path(r, seq)
            at = s.loc[stop]
            within = s.within_limits(r, path, at)
            for g, ok in enumerate(within):
                new = [*path[: g + 1], at, *path[g + 1 :]]
                legs = list(itertools.pairwise(new))
                distance = sum(s.distance[r][a][b] for a, b in legs)
                travel = sum(s.travel[r][a][b] for a, b in legs)
                expected = (v.max_distance_m is None or distance <= v.max_distance_m) and (
                    v.max_travel_time_s is None or travel <= v.max_travel_time_s
                )
                assert ok == expected
                verdicts.add(ok)
    return verdicts
