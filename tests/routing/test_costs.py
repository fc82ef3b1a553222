"""Tests for routing.costs: fen rounding, allocation properties and re-costing a plan.

The allocation properties are checked by hypothesis on random runs laid out as a
*comb*: the main road runs out from the hub along x; a village either sits on it
(spur 0) or at the end of its own spur. Legs cost the road between them (RMB per km
= 1), a tree metric, so "remote" and "on the main road" have a plain meaning.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.cost_model import CostModel, read_cost_model
from routing.costs import (
    ALLOCATION_METHODS,
    StopDemand,
    allocate_run_fen,
    apply_cost_model,
    split_fen,
    to_fen,
)
from routing.errors import InputError
from routing.model import Hub, Plan, Run, Stop, Summary, VehicleType

FAIR = ("standalone", "shapley")
COST_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "costs" / "xinping.toml"


# --------------------------------------------------------------------------- fen


def test_to_fen_rounds_half_away_from_zero_despite_binary_noise() -> None:
    assert to_fen(1.005) == 101
    assert to_fen(0.285) == 29
    assert to_fen(-1.005) == -101
    assert to_fen(2.344999) == 234


@given(
    total=st.integers(0, 10**9),
    weights=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30),
)
def test_split_fen_adds_up_and_zero_weight_gets_zero(total: int, weights: list[float]) -> None:
    parts = split_fen(total, weights, [f"k{i}" for i in range(len(weights))])
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    if sum(weights) > 0:
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


@given(
    total=st.integers(0, 10**7),
    weights=st.lists(st.floats(0.001, 1e4, allow_nan=False), min_size=2, max_size=20),
    seed=st.integers(0, 1000),
)
def test_split_fen_does_not_depend_on_input_order(
    total: int, weights: list[float], seed: int
) -> None:
    keys = [f"k{i:02d}" for i in range(len(weights))]
    base = dict(zip(keys, split_fen(total, weights, keys), strict=True))
    order = list(range(len(weights)))
    random.Random(seed).shuffle(order)
    shuffled = split_fen(total, [weights[i] for i in order], [keys[i] for i in order])
    assert {keys[i]: s for i, s in zip(order, shuffled, strict=True)} == base


# --------------------------------------------------------------------------- comb runs

Village = tuple[float, float, int]  # x along the main road (km), spur (km), parcels


def comb_legs(points: list[tuple[float, float]]) -> np.ndarray:
    """RMB between run positions (0 = hub at the road's start) on the comb, 1 RMB/km."""
    pts = [(0.0, 0.0), *points]
    n = len(pts)
    legs = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            if a != b and pts[a] != pts[b]:
                legs[a, b] = abs(pts[a][0] - pts[b][0]) + pts[a][1] + pts[b][1]
    return legs


def run_of(villages: list[Village]) -> tuple[list[StopDemand], np.ndarray]:
    """Stops visited outwards along the road, with their leg costs."""
    order = sorted(range(len(villages)), key=lambda i: (villages[i][0], villages[i][1], i))
    stops = [
        StopDemand(key=f"V{i:02d}", parcels=villages[i][2], position=k + 1)
        for k, i in enumerate(order)
    ]
    legs = comb_legs([(villages[i][0], villages[i][1]) for i in order])
    return stops, legs


def tour_cost(legs: np.ndarray) -> float:
    n = legs.shape[0]
    return float(sum(legs[k, (k + 1) % n] for k in range(n)))


villages_st = st.lists(
    st.tuples(
        st.integers(1, 60).map(float),
        st.sampled_from([0.0, 0.0, 3.0, 8.0, 15.0]),
        st.integers(0, 150),
    ),
    min_size=1,
    max_size=7,
)


def shares(
    method: str, stops: list[StopDemand], legs: np.ndarray, fixed: float = 60.0
) -> dict[str, int]:
    run_fen = to_fen(fixed + tour_cost(legs))
    got = allocate_run_fen(run_fen, stops, method=method, leg_rmb=legs, fixed_rmb=fixed)
    return {s.key: f for s, f in zip(stops, got, strict=True)}


@settings(max_examples=150, deadline=None)
@given(
    villages=villages_st, run_fen=st.integers(0, 10**7), method=st.sampled_from(ALLOCATION_METHODS)
)
def test_shares_add_up_to_the_run_cost_exactly(
    villages: list[Village], run_fen: int, method: str
) -> None:
    stops, legs = run_of(villages)
    got = allocate_run_fen(run_fen, stops, method=method, leg_rmb=legs, fixed_rmb=50.0)
    assert sum(got) == run_fen
    assert all(f >= 0 for f in got)


@settings(max_examples=150, deadline=None)
@given(villages=villages_st, method=st.sampled_from(ALLOCATION_METHODS))
def test_zero_parcels_pay_zero(villages: list[Village], method: str) -> None:
    villages = [*villages, (20.0, 5.0, 0)]
    stops, legs = run_of(villages)
    got = shares(method, stops, legs)
    if any(s.parcels > 0 for s in stops):
        assert all(got[s.key] == 0 for s in stops if s.parcels == 0)


@settings(max_examples=100, deadline=None)
@given(villages=villages_st, method=st.sampled_from(ALLOCATION_METHODS), seed=st.integers(0, 99))
def test_result_does_not_depend_on_input_order(
    villages: list[Village], method: str, seed: int
) -> None:
    stops, legs = run_of(villages)
    base = shares(method, stops, legs)
    shuffled = list(stops)
    random.Random(seed).shuffle(shuffled)
    assert shares(method, shuffled, legs) == base


@settings(max_examples=150, deadline=None)
@given(
    villages=villages_st.filter(lambda v: len(v) <= 5),
    where=st.tuples(st.integers(1, 60).map(float), st.sampled_from([0.0, 4.0, 12.0])),
    small=st.integers(1, 60),
    extra=st.integers(1, 90),
    method=st.sampled_from(FAIR),
)
def test_bigger_stop_pays_more_in_total_but_less_per_parcel(
    villages: list[Village],
    where: tuple[float, float],
    small: int,
    extra: int,
    method: str,
) -> None:
    """Two stops at one place: the bigger pays more, but less per parcel (1 fen slack)."""
    big = small + extra
    stops, legs = run_of([*villages, (*where, small), (*where, big)])
    got = shares(method, stops, legs)
    s_key, b_key = f"V{len(villages):02d}", f"V{len(villages) + 1:02d}"
    assert got[b_key] >= got[s_key] - 1
    assert got[b_key] / big <= got[s_key] / small + 1 / small


@settings(max_examples=150, deadline=None)
@given(
    villages=villages_st.filter(lambda v: len(v) <= 5),
    x_main=st.integers(1, 50).map(float),
    further=st.integers(0, 10).map(float),
    spur=st.sampled_from([2.0, 6.0, 20.0]),
    parcels=st.integers(1, 120),
    method=st.sampled_from(FAIR),
)
def test_remote_village_pays_more_per_parcel_than_one_on_the_main_road(
    villages: list[Village],
    x_main: float,
    further: float,
    spur: float,
    parcels: int,
    method: str,
) -> None:
    """Equal size; the remote one is at least as far along the road, then up a spur."""
    stops, legs = run_of([*villages, (x_main, 0.0, parcels), (x_main + further, spur, parcels)])
    got = shares(method, stops, legs)
    main, remote = f"V{len(villages):02d}", f"V{len(villages) + 1:02d}"
    assert got[remote] >= got[main]


def test_proportional_charges_remote_and_near_villages_alike() -> None:
    stops, legs = run_of([(5.0, 0.0, 10), (40.0, 20.0, 10)])
    got = shares("proportional", stops, legs)
    assert abs(got["V00"] - got["V01"]) <= 1
    fair = shares("standalone", stops, legs)
    assert fair["V01"] > 3 * fair["V00"]


def test_shapley_is_exact_on_an_airport_game() -> None:
    """Villages on the main road at 10 and 30 km: the first 10 km out and back are
    shared, the next 20 km belong to the far village; fixed cost by parcels."""
    stops, legs = run_of([(10.0, 0.0, 10), (30.0, 0.0, 30)])
    got = shares("shapley", stops, legs, fixed=40.0)
    assert got == {"V00": 1000 + 1000, "V01": 1000 + 4000 + 3000}


def test_shapley_sample_is_deterministic_for_long_runs() -> None:
    rng = random.Random(3)
    villages = [
        (float(rng.randint(1, 60)), rng.choice([0.0, 5.0]), rng.randint(1, 80)) for _ in range(15)
    ]
    stops, legs = run_of(villages)
    assert shares("shapley", stops, legs) == shares("shapley", list(reversed(stops)), legs)


# --------------------------------------------------------------------------- re-costing a plan


def _plan(rng: random.Random, runs: int = 3) -> Plan:
    """A random straight-line plan near Xinping, one van type."""
    hub = Hub(id="hub", lon=101.99, lat=24.07)
    vt = VehicleType(
        name="van", count=5, capacity_parcels=500, capacity_kg=5000,
        fixed_rmb_per_run=60, fixed_rmb_per_day=150, rmb_per_km=1.2, rmb_per_hour=35,
        max_runs_per_day=2,
    )  # fmt: skip
    out: list[Run] = []
    n = 0
    for r in range(runs):
        stops = []
        t = 7 * 3600
        for k in range(rng.randint(1, 6)):
            n += 1
            lon, lat = 101.99 + rng.uniform(-0.3, 0.3), 24.07 + rng.uniform(-0.3, 0.3)
            p = rng.choice([0, 3, 10, 40])
            t += rng.randint(600, 3600)
            stops.append(
                Stop(
                    pickup_id=f"P{n:03d}",
                    village=f"V{n % 7}",
                    lon=lon,
                    lat=lat,
                    location=(lon, lat),
                    arrival=t,
                    arrival_time="",
                    departure=t + 600,
                    departure_time="",
                    service=600,
                    parcels=p,
                    weight_kg=p * 12.0,
                    load_parcels=0,
                    load_kg=0.0,
                    distance=k * 1000,
                    cost_rmb=0.0,
                )
            )
            t += 600
        out.append(
            Run(
                vehicle=f"van-{r // 2 + 1}",
                vehicle_type="van",
                run=r % 2 + 1,
                hub_id="hub",
                start=7 * 3600,
                start_time="07:00",
                end=t + 1800,
                end_time="",
                distance=rng.randint(20_000, 200_000),
                duration=t + 1800 - 7 * 3600,
                distance_km=0.0,
                duration_h=0.0,
                parcels=sum(s.parcels for s in stops),
                weight_kg=0.0,
                cost_rmb=0.0,
                stops=tuple(stops),
            )
        )
    summary = Summary(
        total_cost_rmb=0, cost_per_parcel_rmb=None, parcels=sum(r.parcels for r in out),
        weight_kg=0, distance_km=0, duration_h=0, runs=len(out), vehicles=2, unassigned=0,
        pickups=n,
    )  # fmt: skip
    return Plan(hubs=(hub,), vehicle_types=(vt,), summary=summary, runs=tuple(out), unassigned=())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), runs=st.integers(1, 5))
def test_apply_cost_model_totals_add_up_exactly(seed: int, runs: int) -> None:
    plan = _plan(random.Random(seed), runs)
    model = read_cost_model(COST_FILE)
    out = apply_cost_model(plan, model, allocation=("shapley", "standalone", "proportional"))
    total = round(out.summary.total_cost_rmb * 100)
    assert sum(round(r.cost_rmb * 100) for r in out.runs) == total
    assert sum(round(v.cost_rmb * 100) for v in out.villages) == total
    for r in out.runs:
        for method in ALLOCATION_METHODS:
            got = sum(round(s.cost_shares[method] * 100) for s in r.stops)
            assert got == round(r.cost_rmb * 100)
        assert sum(round(s.cost_rmb * 100) for s in r.stops) == round(r.cost_rmb * 100)
    handled = sum(r.parcels for r in out.runs)
    if handled:
        # Handling and the day's overhead are all charged, once.
        vehicle = sum(
            to_fen(r.fixed_cost_rmb + r.distance_cost_rmb + r.time_cost_rmb) for r in out.runs
        )
        expected = to_fen(0.15 * handled) + to_fen(400.0)
        assert abs(total - vehicle - expected) <= 2 * len(out.runs)
        # Zero parcels pay zero, except on a run that handles nothing at all, whose
        # cost its stops share equally (someone must carry it; documented).
        for r in out.runs:
            if any(s.parcels for s in r.stops):
                assert all(s.cost_rmb == 0 for s in r.stops if s.parcels == 0)


def test_fleet_rates_reproduce_the_plan_costs_when_no_model_is_given() -> None:
    plan = _plan(random.Random(1))
    once = apply_cost_model(plan)
    twice = apply_cost_model(once)
    assert once.summary.total_cost_rmb == twice.summary.total_cost_rmb
    first = once.runs[0]
    vt = plan.vehicle_types[0]
    expected = vt.fixed_rmb_per_run + vt.fixed_rmb_per_day + vt.rmb_per_km * first.distance / 1000
    expected += vt.rmb_per_hour * first.duration / 3600
    assert math.isclose(first.cost_rmb, round(expected, 2), abs_tol=0.011)


def test_unknown_method_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown"):
        apply_cost_model(_plan(random.Random(2)), CostModel(), allocation=("fairest",))


def test_a_run_whose_vehicle_type_is_missing_is_an_input_error() -> None:
    plan = _plan(random.Random(3))
    with pytest.raises(InputError, match=r"vehicle_types.*missing vehicle types \['van'\]"):
        apply_cost_model(plan.model_copy(update={"vehicle_types": ()}), CostModel())
