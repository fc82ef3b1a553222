"""A random but valid plan over the Xinping area, for demonstrations, tests and benchmarks."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from routing.model import Hub, Plan, Run, Stop, Summary, Unassigned, UnassignedReason, VillageCost
from routing.report.geometry import _METRES_PER_DEGREE, LonLat, _as_array, _Frame
from routing.units import format_clock

_Bbox = tuple[float, float, float, float]
_SPEED_MPS = 38 / 3.6
_FIXED_RMB, _PER_KM_RMB, _PER_H_RMB = 80.0, 2.35, 35.0


@dataclass(frozen=True)
class DemoPlan:
    """A synthetic plan with what the report needs beside it."""

    plan: Plan
    hub: LonLat
    unassigned_lonlat: dict[str, LonLat]
    roads: list[list[LonLat]]
    road_classes: list[str]


_DEMO_TOWNSHIPS = (
    "Gasa",
    "Mosha",
    "Shuitang",
    "Yaojie",
    "Zhelong",
    "Jianxing",
    "Pingzhang",
    "Yangwu",
)
_DEMO_HUB: LonLat = (101.9887, 24.0729)


def _wiggly(
    a: LonLat, b: LonLat, rng: random.Random, *, spacing_m: float, detour: float
) -> list[LonLat]:
    """A mountain-road-like line from ``a`` to ``b`` with a vertex every ``spacing_m``."""
    kx = _METRES_PER_DEGREE * math.cos(math.radians(a[1]))
    dx, dy = (b[0] - a[0]) * kx, (b[1] - a[1]) * _METRES_PER_DEGREE
    dist = math.hypot(dx, dy)
    n = max(2, int(dist * detour / spacing_m))
    t = np.linspace(0.0, 1.0, n)
    amp = min(dist * (detour - 1) * 0.3, 3_000.0)
    off = np.zeros(n)
    for octave in range(4):  # meanders: slow wide bends plus quicker small ones
        freq = rng.uniform(1.0, 2.5) * 2**octave * (1 + dist / 40_000)
        off += amp / 2.2**octave * np.sin(np.pi * t * freq + rng.uniform(0, 6.28))
    off *= np.sin(np.pi * t)  # pinned at both ends
    nx, ny = (-dy / dist, dx / dist) if dist > 0 else (0.0, 0.0)
    xs = a[0] + (dx * t + nx * off) / kx
    ys = a[1] + (dy * t + ny * off) / _METRES_PER_DEGREE
    return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _rounded(line: Sequence[LonLat]) -> tuple[LonLat, ...]:
    rows = np.round(_as_array(line), 5).tolist()
    return tuple((x, y) for x, y in rows)


def demo_plan(
    n_runs: int = 3,
    stops_per_run: int = 5,
    *,
    seed: int = 0,
    n_unassigned: int = 2,
    bbox: tuple[float, float, float, float] = (101.3, 23.6, 102.3, 24.4),
    hub: LonLat = _DEMO_HUB,
    vertex_spacing_m: float = 25.0,
    with_paths: bool = True,
    extra_roads: int = 40,
) -> DemoPlan:
    """Build a random but valid plan over the Xinping area, for demos, tests and benchmarks.

    Stops of each run lie in a cluster; paths are wiggly "mountain roads" with a vertex
    every ``vertex_spacing_m`` metres (like OpenStreetMap geometry); costs are split over
    stops in proportion to parcels so that stop, run, village and plan totals agree.

    Parameters
    ----------
    n_runs, stops_per_run : int
        Size of the plan (``n_runs * stops_per_run`` pickups are served).
    seed : int, default 0
        Seed of the private random generator.
    n_unassigned : int, default 2
        Pickups left unassigned, with positions in ``unassigned_lonlat``.
    bbox : (west, south, east, north)
        Area in WGS84 degrees; the default is Xinping county.
    hub : (lon, lat)
        The hub; the default is the county seat.
    vertex_spacing_m : float, default 25
        Distance between path vertices.
    with_paths : bool, default True
        False leaves every run's ``path`` empty.
    extra_roads : int, default 40
        Background roads beside the run paths.

    Returns
    -------
    DemoPlan
        The plan, its hub, the unassigned pickups' positions and background roads.
    """
    rng = random.Random(seed)
    runs, roads, classes, village_costs = _demo_runs(
        rng, n_runs, stops_per_run, bbox=bbox, hub=hub, spacing_m=vertex_spacing_m, paths=with_paths
    )
    more_roads, more_classes = _demo_background(rng, bbox, extra_roads)
    unassigned, unassigned_lonlat = _demo_unassigned(rng, bbox, n_unassigned)
    summary = _demo_summary(runs, unassigned)
    plan = Plan(
        hubs=(Hub(id="xinping", name="Xinping county hub", lon=hub[0], lat=hub[1]),),
        name=f"Xinping demo · {n_runs * stops_per_run} pickups",
        summary=summary,
        runs=tuple(runs),
        unassigned=tuple(unassigned),
        villages=_demo_villages(village_costs),
        baselines={
            "direct": {"cost_per_parcel_rmb": round((summary.cost_per_parcel_rmb or 0) + 0.3, 4)}
        },
    )
    return DemoPlan(plan, hub, unassigned_lonlat, roads + more_roads, classes + more_classes)


def _demo_runs(
    rng: random.Random,
    n_runs: int,
    stops_per_run: int,
    *,
    bbox: _Bbox,
    hub: LonLat,
    spacing_m: float,
    paths: bool,
) -> tuple[list[Run], list[list[LonLat]], list[str], dict[str, list[float]]]:
    """Runs round clusters of stops, their roads and each village's pickups, parcels, RMB."""
    runs: list[Run] = []
    roads: list[list[LonLat]] = []
    classes: list[str] = []
    village_costs: dict[str, list[float]] = {}
    vehicle, run_no, prev_end = "van-0", 1, 0
    for k in range(n_runs):
        if k % 3 == 2:  # every third run is a second trip of the previous vehicle
            run_no, start = 2, prev_end + 1800
        else:
            vehicle, run_no = f"van-{k - k // 3 + 1}", 1
            start = 7 * 3600 + 300 * rng.randint(0, 6)
        pts = _demo_cluster(rng, bbox, stops_per_run)
        path, leg_m, legs, leg_classes = _demo_legs(rng, hub, pts, spacing_m)
        roads += legs
        classes += leg_classes
        first = sum(len(r.stops) for r in runs) + 1
        stops, shares = _demo_stops(rng, k, first, start, pts, leg_m)
        for stop, share in zip(stops, shares, strict=True):
            vc = village_costs.setdefault(stop.village, [0.0, 0.0, 0.0])
            vc[0] += 1
            vc[1] += stop.parcels
            vc[2] += share
        end = stops[-1].departure + round(leg_m[-1] / _SPEED_MPS)
        prev_end = end
        runs.append(
            _demo_run(
                vehicle,
                run_no,
                (start, end),
                round(sum(leg_m)),
                stops,
                _rounded(path) if paths else (),
            )
        )
    return runs, roads, classes, village_costs


def _demo_cluster(rng: random.Random, bbox: _Bbox, n: int) -> list[LonLat]:
    """``n`` points in a cluster inside ``bbox``, in loop order round its centre."""
    west, south, east, north = bbox
    cx, cy = rng.uniform(west, east), rng.uniform(south, north)
    spread = rng.uniform(0.03, 0.09)
    pts: list[LonLat] = []
    while len(pts) < n:  # a cluster, redrawn where it leaves the area
        p = (cx + rng.gauss(0, spread), cy + rng.gauss(0, spread))
        if west <= p[0] <= east and south <= p[1] <= north:
            pts.append(p)
    pts.sort(key=lambda p: math.atan2(p[1] - cy, p[0] - cx))  # a loop round the cluster
    return pts


def _demo_legs(
    rng: random.Random, hub: LonLat, pts: Sequence[LonLat], spacing_m: float
) -> tuple[list[LonLat], list[float], list[list[LonLat]], list[str]]:
    """A run's path from the hub through ``pts`` and back: path, leg lengths, roads."""
    path: list[LonLat] = []
    leg_m: list[float] = []
    roads: list[list[LonLat]] = []
    classes: list[str] = []
    for a, b in itertools.pairwise([hub, *pts, hub]):
        seg = _wiggly(a, b, rng, spacing_m=spacing_m, detour=1.35)
        leg_m.append(float(shapely.length(shapely.linestrings(_Frame.around([a]).xy(seg)))))
        path += seg if not path else seg[1:]
        roads.append(seg)
        classes.append("county" if a == hub or b == hub else "village")
    return path, leg_m, roads, classes


def _demo_stops(
    rng: random.Random,
    k: int,
    first: int,
    start: int,
    pts: Sequence[LonLat],
    leg_m: Sequence[float],
) -> tuple[list[Stop], list[float]]:
    """The stops of run ``k`` and each one's unrounded share of the run's cost."""
    parcels = [rng.randint(3, 80) for _ in pts]
    drops = [rng.choice((0, 0, 0, rng.randint(1, 12))) for _ in pts]
    t = start
    clock: list[tuple[int, int, int, int]] = []
    for i in range(len(pts)):
        t += round(leg_m[i] / _SPEED_MPS)
        service = round(60 * (10 + 0.2 * (parcels[i] + drops[i])))
        wait = rng.choice((0, 0, 0, 600))
        clock.append((t, t + wait + service, wait, service))
        t += wait + service
    end = t + round(leg_m[-1] / _SPEED_MPS)
    cost = _run_cost(round(sum(leg_m)), end - start)
    load = sum(drops)
    stops: list[Stop] = []
    shares: list[float] = []
    dist_so_far = 0.0
    for i, (lon, lat) in enumerate(pts):
        dist_so_far += leg_m[i]
        load += parcels[i] - drops[i]
        share = cost * parcels[i] / sum(parcels)
        arr, dep, wait, service = clock[i]
        shares.append(share)
        stops.append(
            Stop(
                pickup_id=f"P{first + i:04d}",
                village=f"{_DEMO_TOWNSHIPS[k % len(_DEMO_TOWNSHIPS)]}-{i % 4 + 1}",
                lon=round(lon, 5),
                lat=round(lat, 5),
                location=(round(lon, 5), round(lat, 5)),
                arrival=arr,
                arrival_time=format_clock(arr),
                departure=dep,
                departure_time=format_clock(dep),
                waiting_time=wait,
                service=service,
                parcels=parcels[i],
                weight_kg=parcels[i] * 4.5,
                delivery_parcels=drops[i],
                delivery_weight_kg=drops[i] * 1.2,
                load_parcels=load,
                load_kg=load * 4.5,
                distance=round(dist_so_far),
                cost_rmb=round(share, 2),
                cost_per_parcel_rmb=round(share / parcels[i], 4),
                contact=f"138{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.7 else "",
            )
        )
    return stops, shares


def _run_cost(distance: int, duration: int) -> float:
    return _FIXED_RMB + _PER_KM_RMB * distance / 1000 + _PER_H_RMB * duration / 3600


def _demo_run(
    vehicle: str,
    run_no: int,
    start_end: tuple[int, int],
    distance: int,
    stops: Sequence[Stop],
    path: tuple[LonLat, ...],
) -> Run:
    start, end = start_end
    parcels = sum(s.parcels for s in stops)
    return Run(
        vehicle=vehicle,
        vehicle_type="van-1.5t",
        run=run_no,
        hub_id="xinping",
        start=start,
        start_time=format_clock(start),
        end=end,
        end_time=format_clock(end),
        distance=distance,
        duration=end - start,
        distance_km=round(distance / 1000, 2),
        duration_h=round((end - start) / 3600, 2),
        parcels=parcels,
        weight_kg=parcels * 4.5,
        delivery_parcels=sum(s.delivery_parcels for s in stops),
        cost_rmb=round(sum(s.cost_rmb for s in stops), 2),
        fixed_cost_rmb=_FIXED_RMB,
        distance_cost_rmb=round(_PER_KM_RMB * distance / 1000, 2),
        time_cost_rmb=round(_PER_H_RMB * (end - start) / 3600, 2),
        stops=tuple(stops),
        path=path,
    )


def _demo_background(
    rng: random.Random, bbox: _Bbox, n: int
) -> tuple[list[list[LonLat]], list[str]]:
    """``n`` random background roads and one expressway across the area."""
    west, south, east, north = bbox
    roads: list[list[LonLat]] = []
    classes: list[str] = []
    for _ in range(n):
        a = (rng.uniform(west, east), rng.uniform(south, north))
        b = (a[0] + rng.gauss(0, 0.15), a[1] + rng.gauss(0, 0.15))
        roads.append(_wiggly(a, b, rng, spacing_m=60, detour=1.3))
        classes.append(rng.choice(("county", "village", "track", "provincial")))
    roads.append(_wiggly((west, north - 0.1), (east, south + 0.25), rng, spacing_m=100, detour=1.1))
    classes.append("expressway")
    return roads, classes


def _demo_unassigned(
    rng: random.Random, bbox: _Bbox, n: int
) -> tuple[list[Unassigned], dict[str, LonLat]]:
    west, south, east, north = bbox
    unassigned_lonlat: dict[str, LonLat] = {}
    unassigned: list[Unassigned] = []
    reasons = list(UnassignedReason)
    for j in range(n):
        pid = f"U{j + 1:03d}"
        unassigned_lonlat[pid] = (
            round(rng.uniform(west, east), 5),
            round(rng.uniform(south, north), 5),
        )
        unassigned.append(
            Unassigned(
                pickup_id=pid,
                village=f"Remote-{j + 1}",
                reason=reasons[j % len(reasons)],
                detail="synthetic",
            )
        )
    return unassigned, unassigned_lonlat


def _demo_summary(runs: Sequence[Run], unassigned: Sequence[Unassigned]) -> Summary:
    all_stops = [s for r in runs for s in r.stops]
    total = round(sum(r.cost_rmb for r in runs), 2)
    parcels_total = sum(s.parcels for s in all_stops)
    return Summary(
        total_cost_rmb=total,
        cost_per_parcel_rmb=round(total / parcels_total, 4) if parcels_total else None,
        parcels=parcels_total,
        delivery_parcels=sum(s.delivery_parcels for s in all_stops),
        weight_kg=sum(s.weight_kg for s in all_stops),
        distance_km=round(sum(r.distance_km for r in runs), 2),
        duration_h=round(sum(r.duration_h for r in runs), 2),
        runs=len(runs),
        vehicles=len({r.vehicle for r in runs}),
        unassigned=len(unassigned),
        pickups=len(all_stops) + len(unassigned),
        solver="synthetic",
    )


def _demo_villages(village_costs: dict[str, list[float]]) -> tuple[VillageCost, ...]:
    return tuple(
        VillageCost(
            village=v,
            township=v.split("-")[0],
            pickups=int(n),
            parcels=int(p),
            cost_rmb=round(c, 2),
            cost_per_parcel_rmb=round(c / p, 4) if p else None,
            baseline_direct_per_parcel_rmb=round(c / p + 0.3, 4) if p else None,
            saving_per_parcel_rmb=0.3 if p else None,
        )
        for v, (n, p, c) in village_costs.items()
    )
