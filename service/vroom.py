"""VROOM's request and response format, solved by hubroute's solver.

Supported subset (VROOM ``docs/API.md`` names): ``jobs`` with ``location`` or
``location_index``, ``service``, ``delivery``/``pickup`` amounts (at most two
dimensions: parcels, then kg), the first of ``time_windows``, ``skills``,
``priority``; ``vehicles`` with ``start``/``end`` (or ``*_index``), ``capacity``,
``time_window``, ``skills``, ``costs`` (``fixed``, ``per_hour``, ``per_km``), the first
``breaks`` entry, ``max_distance`` and ``speed_factor``; ``matrices`` per profile with
``durations`` (and optionally ``distances``), or coordinates only. Shipments are
reported unassigned (pickup-and-delivery pairs are not in hubroute's model).

Translation: each distinct (start, end) pair becomes a hub whose row holds the travel
times *from the start* and whose column holds the times *to the end*, so vehicles with
different start and end points, or open routes (no end: zero cost back), fit the
hub-and-runs model exactly. Times are shifted so that the earliest time window starts
at 0 and shifted back in the answer. One VROOM cost unit is one RMB, so the default
``per_hour`` of 3600 makes cost equal travel seconds, as in VROOM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from routing.errors import InputError
from routing.errors import Problem as InputProblem

MAX_CLOCK_S = 2 * 86_400
UNLIMITED = 1_000_000
_BIG = 2**53


class _V(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, strict=True)


LonLat = list[float]


class VroomCosts(_V):
    """Vehicle costs, VROOM units (default: cost = travel seconds)."""

    fixed: int = Field(0, ge=0, le=10**9)
    per_hour: int = Field(3600, ge=0, le=10**7)
    per_km: int = Field(0, ge=0, le=10**7)


class VroomBreak(_V):
    """A vehicle break; only the first window of the first break is used."""

    id: int = Field(ge=0, le=_BIG)
    time_windows: list[list[int]] = Field(default_factory=list, max_length=100)
    service: int = Field(0, ge=0, le=86_400)


class VroomJob(_V):
    """A VROOM job."""

    id: int = Field(ge=0, le=_BIG)
    description: str = Field("", max_length=500)
    location: LonLat | None = Field(None, min_length=2, max_length=2)
    location_index: int | None = Field(None, ge=0, le=100_000)
    setup: int = Field(0, ge=0, le=86_400)
    service: int = Field(0, ge=0, le=86_400)
    delivery: list[int] = Field(default_factory=list, max_length=2)
    pickup: list[int] = Field(default_factory=list, max_length=2)
    skills: list[int] = Field(default_factory=list, max_length=100)
    priority: int = Field(0, ge=0, le=100)
    time_windows: list[list[int]] = Field(default_factory=list, max_length=100)


class VroomShipmentStep(_V):
    """One end of a shipment."""

    id: int = Field(ge=0, le=_BIG)
    location: LonLat | None = Field(None, min_length=2, max_length=2)
    location_index: int | None = Field(None, ge=0, le=100_000)
    service: int = Field(0, ge=0, le=86_400)
    description: str = Field("", max_length=500)


class VroomShipment(_V):
    """A VROOM shipment (reported unassigned)."""

    pickup: VroomShipmentStep
    delivery: VroomShipmentStep
    amount: list[int] = Field(default_factory=list, max_length=2)
    skills: list[int] = Field(default_factory=list, max_length=100)
    priority: int = Field(0, ge=0, le=100)


class VroomVehicle(_V):
    """A VROOM vehicle."""

    id: int = Field(ge=0, le=_BIG)
    profile: str = Field("car", max_length=64)
    description: str = Field("", max_length=500)
    start: LonLat | None = Field(None, min_length=2, max_length=2)
    start_index: int | None = Field(None, ge=0, le=100_000)
    end: LonLat | None = Field(None, min_length=2, max_length=2)
    end_index: int | None = Field(None, ge=0, le=100_000)
    capacity: list[int] = Field(default_factory=list, max_length=2)
    skills: list[int] = Field(default_factory=list, max_length=100)
    time_window: list[int] | None = Field(None, min_length=2, max_length=2)
    breaks: list[VroomBreak] = Field(default_factory=list, max_length=20)
    costs: VroomCosts = Field(default_factory=VroomCosts)
    speed_factor: float = Field(1.0, gt=0, le=5)
    max_distance: int | None = Field(None, gt=0, le=10**9)


class VroomMatrix(_V):
    """Matrices of one profile: ``durations`` (seconds), optional ``distances`` (m)."""

    durations: list[list[int]] | None = Field(None, max_length=2000)
    distances: list[list[int]] | None = Field(None, max_length=2000)


_EXAMPLE: dict[str, Any] = {
    "vehicles": [{"id": 0, "start_index": 0, "end_index": 3}],
    "jobs": [{"id": 1414, "location_index": 1}, {"id": 1515, "location_index": 2}],
    "matrices": {
        "car": {
            "durations": [
                [0, 2104, 197, 1299],
                [2103, 0, 2255, 3152],
                [197, 2256, 0, 1102],
                [1299, 3153, 1102, 0],
            ]
        }
    },
}


class VroomRequest(_V):
    """A VROOM problem (see the module docstring for the supported subset)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    jobs: list[VroomJob] = Field(default_factory=list, max_length=5000)
    shipments: list[VroomShipment] = Field(default_factory=list, max_length=1000)
    vehicles: list[VroomVehicle] = Field(min_length=1, max_length=500)
    matrices: dict[str, VroomMatrix] | None = None


@dataclass
class Translation:
    """A VROOM request as hubroute problem data, and what is needed to answer."""

    problem: dict[str, Any]
    matrices: dict[str, dict[str, Any]]
    base_s: int
    index_mode: bool
    locations: list[tuple[float, float]]
    job_loc: dict[int, int]
    vehicle_start: dict[int, int | None]
    vehicle_end: dict[int, int | None]
    durations: list[list[int]]
    distances: list[list[int]]
    pre_unassigned: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _first_window(windows: Sequence[Sequence[int]]) -> tuple[int, int] | None:
    return (int(windows[0][0]), int(windows[0][1])) if windows else None


def _check(req: VroomRequest) -> list[InputProblem]:
    problems: list[InputProblem] = []
    index_mode = req.matrices is not None
    tagged: list[tuple[str, list[int]]] = [
        ("jobs", [x.id for x in req.jobs]),
        ("vehicles", [x.id for x in req.vehicles]),
    ]
    for kind, ids in tagged:
        for i, item_id in enumerate(ids):
            if ids.index(item_id) != i:
                problems.append(
                    InputProblem(f"{kind[:-1]} {item_id}", f"{kind}[{i}].id", "duplicate id")
                )
    for i, j in enumerate(req.jobs):
        if index_mode and j.location_index is None:
            problems.append(
                InputProblem(f"job {j.id}", f"jobs[{i}].location_index", "required with matrices")
            )
        if not index_mode and j.location is None:
            problems.append(
                InputProblem(f"job {j.id}", f"jobs[{i}].location", "required without matrices")
            )
        for w, tw in enumerate(j.time_windows):
            if len(tw) != 2 or tw[0] > tw[1] or tw[0] < 0:
                problems.append(
                    InputProblem(
                        f"job {j.id}",
                        f"jobs[{i}].time_windows[{w}]",
                        "must be [start, end] with 0 <= start <= end",
                    )
                )
        if j.location is not None and not (
            -180 <= j.location[0] <= 180 and -90 <= j.location[1] <= 90
        ):
            problems.append(
                InputProblem(f"job {j.id}", f"jobs[{i}].location", "must be [lon, lat] in degrees")
            )
        if any(a < 0 for a in (*j.delivery, *j.pickup)):
            problems.append(
                InputProblem(f"job {j.id}", f"jobs[{i}].delivery", "amounts must not be negative")
            )
    dims = max([len(v.capacity) for v in req.vehicles] + [0])
    for i, v in enumerate(req.vehicles):
        where = f"vehicles[{i}]"
        if index_mode and v.start_index is None and v.end_index is None:
            problems.append(
                InputProblem(
                    f"vehicle {v.id}", f"{where}.start_index", "give start_index and/or end_index"
                )
            )
        if not index_mode and v.start is None and v.end is None:
            problems.append(
                InputProblem(f"vehicle {v.id}", f"{where}.start", "give start and/or end")
            )
        for name in ("start", "end"):
            loc = getattr(v, name)
            if loc is not None and not (-180 <= loc[0] <= 180 and -90 <= loc[1] <= 90):
                problems.append(
                    InputProblem(f"vehicle {v.id}", f"{where}.{name}", "must be [lon, lat]")
                )
        if v.time_window is not None and not (0 <= v.time_window[0] < v.time_window[1]):
            problems.append(
                InputProblem(
                    f"vehicle {v.id}",
                    f"{where}.time_window",
                    "must be [start, end] with 0 <= start < end",
                )
            )
        if v.capacity and any(c < 0 for c in v.capacity):
            problems.append(
                InputProblem(f"vehicle {v.id}", f"{where}.capacity", "must not be negative")
            )
        if v.capacity and len(v.capacity) != dims:
            problems.append(
                InputProblem(
                    f"vehicle {v.id}",
                    f"{where}.capacity",
                    "every vehicle needs the same number of dimensions",
                )
            )
    if index_mode:
        assert req.matrices is not None
        for profile, m in req.matrices.items():
            if m.durations is None:
                problems.append(
                    InputProblem(
                        "",
                        f"matrices.{profile}.durations",
                        "required (cost matrices alone are not supported)",
                    )
                )
                continue
            n = len(m.durations)
            for name, rows in (("durations", m.durations), ("distances", m.distances)):
                if rows is None:
                    continue
                if len(rows) != n or any(len(r) != n for r in rows):
                    problems.append(
                        InputProblem("", f"matrices.{profile}.{name}", f"must be square, {n} x {n}")
                    )
                elif any(x < 0 or x > 10**9 for r in rows for x in r):
                    problems.append(
                        InputProblem("", f"matrices.{profile}.{name}", "values must be in 0..1e9")
                    )
        profiles = {v.profile for v in req.vehicles}
        missing = profiles - set(req.matrices)
        if missing:
            problems.append(
                InputProblem("", "matrices", f"no matrix for profile(s) {sorted(missing)}")
            )
        elif len(profiles) > 1:
            problems.append(
                InputProblem("", "vehicles.profile", "one profile per request is supported")
            )
        else:
            size = len(req.matrices[next(iter(profiles))].durations or [])
            for i, j in enumerate(req.jobs):
                if j.location_index is not None and j.location_index >= size:
                    problems.append(
                        InputProblem(
                            f"job {j.id}",
                            f"jobs[{i}].location_index",
                            f"beyond the {size} x {size} matrix",
                        )
                    )
            for i, v in enumerate(req.vehicles):
                for name in ("start_index", "end_index"):
                    idx = getattr(v, name)
                    if idx is not None and idx >= size:
                        problems.append(
                            InputProblem(
                                f"vehicle {v.id}",
                                f"vehicles[{i}].{name}",
                                f"beyond the {size} x {size} matrix",
                            )
                        )
    for i, s in enumerate(req.shipments):
        if any(a < 0 for a in s.amount):
            problems.append(
                InputProblem(f"shipment {i}", f"shipments[{i}].amount", "must not be negative")
            )
    return problems


def _amount(values: Sequence[int], dim: int) -> int:
    return int(values[dim]) if len(values) > dim else 0


def locations_of(req: VroomRequest) -> list[tuple[float, float]]:
    """Distinct coordinates in the request (coordinates mode), in first-seen order."""
    seen: dict[tuple[float, float], int] = {}
    for v in req.vehicles:
        for loc in (v.start, v.end):
            if loc is not None:
                seen.setdefault((float(loc[0]), float(loc[1])), len(seen))
    for j in req.jobs:
        assert j.location is not None
        seen.setdefault((float(j.location[0]), float(j.location[1])), len(seen))
    return list(seen)


def translate(
    req: VroomRequest,
    *,
    durations: list[list[int]] | None = None,
    distances: list[list[int]] | None = None,
    locations: list[tuple[float, float]] | None = None,
) -> Translation:
    """Turn a VROOM request into hubroute problem data plus per-hub matrices.

    Parameters
    ----------
    req
        The request.
    durations, distances, locations
        In coordinates mode, the matrices between ``locations`` (from the road network
        or the straight-line estimate); ignored when the request carries matrices.

    Raises
    ------
    InputError
        Naming each field the subset cannot take.
    """
    problems = _check(req)
    if problems:
        raise InputError(problems)
    index_mode = req.matrices is not None
    if index_mode:
        assert req.matrices is not None
        m = req.matrices[req.vehicles[0].profile]
        assert m.durations is not None
        dur = [list(map(int, r)) for r in m.durations]
        dist = (
            [list(map(int, r)) for r in m.distances]
            if m.distances
            else [[0] * len(dur) for _ in dur]
        )
        locs: list[tuple[float, float]] = []
        job_loc = {j.id: int(j.location_index) for j in req.jobs if j.location_index is not None}
        v_start = {v.id: v.start_index for v in req.vehicles}
        v_end = {v.id: v.end_index for v in req.vehicles}
    else:
        if durations is None or distances is None or locations is None:
            raise ValueError("coordinates mode needs durations, distances and locations")
        dur, dist, locs = durations, distances, locations
        pos = {loc: i for i, loc in enumerate(locs)}

        def at(loc: Sequence[float] | None) -> int | None:
            return None if loc is None else pos[(float(loc[0]), float(loc[1]))]

        job_loc = {
            j.id: pos[(float(j.location[0]), float(j.location[1]))] for j in req.jobs if j.location
        }
        v_start = {v.id: at(v.start) for v in req.vehicles}
        v_end = {v.id: at(v.end) for v in req.vehicles}

    # Time origin: the earliest window start, so clocks fit the model's 0..48 h.
    starts = [v.time_window[0] for v in req.vehicles if v.time_window]
    starts += [tw[0] for j in req.jobs for tw in j.time_windows[:1]]
    base = min(starts) if starts else 0
    notes: list[str] = []

    def clock(t: int) -> int:
        value = t - base
        if value > MAX_CLOCK_S:
            notes.append("time windows longer than 48 h were shortened to 48 h")
            return MAX_CLOCK_S
        return max(0, value)

    # One hub per distinct (start, end).
    hub_of: dict[tuple[int | None, int | None], str] = {}
    for v in req.vehicles:
        hub_of.setdefault((v_start[v.id], v_end[v.id]), f"h{len(hub_of)}")
    hubs = [
        {"id": hid, "name": hid, "lon": 0.0, "lat": 0.0, "open_s": 0, "close_s": MAX_CLOCK_S}
        for hid in hub_of.values()
    ]
    if not index_mode:
        for (s, e), hid in hub_of.items():
            anchor = s if s is not None else e
            assert anchor is not None
            h = next(x for x in hubs if x["id"] == hid)
            h["lon"], h["lat"] = locs[anchor]

    dims = max([len(v.capacity) for v in req.vehicles] + [0])
    vehicle_types: list[dict[str, Any]] = []
    for v in req.vehicles:
        shift = (
            (clock(v.time_window[0]), clock(v.time_window[1]))
            if v.time_window
            else (0, MAX_CLOCK_S)
        )
        if shift[1] <= shift[0]:
            shift = (shift[0], min(MAX_CLOCK_S, shift[0] + 1))
        vt: dict[str, Any] = {
            "name": f"v{v.id}",
            "count": 1,
            "hub_id": hub_of[(v_start[v.id], v_end[v.id])],
            "capacity_parcels": max(1, _amount(v.capacity, 0)) if dims >= 1 else UNLIMITED,
            "capacity_kg": float(max(1, _amount(v.capacity, 1))) if dims >= 2 else float(UNLIMITED),
            "fixed_rmb_per_run": float(v.costs.fixed),
            "rmb_per_hour": float(v.costs.per_hour),
            "rmb_per_km": float(v.costs.per_km),
            "shift_start_s": shift[0],
            "shift_end_s": shift[1],
            "speed_factor": 1.0,
            "max_runs_per_day": 1,
            "reload_min": 0.0,
        }
        if v.max_distance is not None:
            vt["max_distance_km"] = v.max_distance / 1000
        if v.breaks and v.breaks[0].time_windows and v.breaks[0].service > 0:
            b = v.breaks[0]
            earliest, latest = clock(b.time_windows[0][0]), clock(b.time_windows[0][1])
            if latest >= earliest:
                vt["driver_break"] = {
                    "earliest_s": earliest,
                    "latest_s": latest,
                    "duration_min": b.service / 60,
                }
        if v.speed_factor != 1.0:
            notes.append("speed_factor scales given matrices in VROOM; hubroute ignores it here")
        vehicle_types.append(vt)

    pickups: list[dict[str, Any]] = []
    pre_unassigned: list[dict[str, Any]] = []
    for j in req.jobs:
        allowed = [f"v{v.id}" for v in req.vehicles if set(j.skills) <= set(v.skills)]
        if not allowed:
            pre_unassigned.append(_unassigned_job(j, index_mode))
            continue
        tw = _first_window(j.time_windows)
        p: dict[str, Any] = {
            "id": f"j{j.id}",
            "village": j.description or f"job {j.id}",
            "lon": locs[job_loc[j.id]][0] if not index_mode else 0.0,
            "lat": locs[job_loc[j.id]][1] if not index_mode else 0.0,
            "parcels": _amount(j.pickup, 0),
            "weight_kg": float(_amount(j.pickup, 1)),
            "delivery_parcels": _amount(j.delivery, 0),
            "delivery_weight_kg": float(_amount(j.delivery, 1)),
            "service_min": (j.setup + j.service) / 60,
            "priority": j.priority,
        }
        if tw is not None:
            p["ready_s"], p["close_s"] = clock(tw[0]), clock(tw[1])
        if len(j.time_windows) > 1:
            notes.append("only the first time window of a job is used")
        if len(allowed) < len(req.vehicles):
            p["allowed_vehicle_types"] = allowed
        pickups.append(p)
    for shipment in req.shipments:
        for kind, step in (("pickup", shipment.pickup), ("delivery", shipment.delivery)):
            item: dict[str, Any] = {"id": step.id, "type": kind, "description": step.description}
            if step.location is not None:
                item["location"] = step.location
            if step.location_index is not None:
                item["location_index"] = step.location_index
            pre_unassigned.append(item)
    if req.shipments:
        notes.append("shipments (pickup-and-delivery pairs) are not supported: reported unassigned")

    hub_ids = list(hub_of.values())
    ids = hub_ids + [p["id"] for p in pickups]
    loc_of: list[tuple[int | None, int | None]] = list(hub_of.keys())
    job_index = {p["id"]: job_loc[int(p["id"][1:])] for p in pickups}

    def cell(matrix: list[list[int]], a: str, b: str, ai: int, bi: int) -> int:
        # hub as origin = its start; hub as destination = its end (0 if open). The
        # diagonal is 0: an unused vehicle's empty "run" costs nothing, as in VROOM.
        if ai == bi:
            return 0
        origin = loc_of[ai][0] if ai < len(hub_ids) else job_index[a]
        dest = loc_of[bi][1] if bi < len(hub_ids) else job_index[b]
        if origin is None or dest is None:
            return 0
        return int(matrix[origin][dest])

    dur_m = [[cell(dur, a, b, ai, bi) for bi, b in enumerate(ids)] for ai, a in enumerate(ids)]
    dist_m = [[cell(dist, a, b, ai, bi) for bi, b in enumerate(ids)] for ai, a in enumerate(ids)]
    profile = "all"
    problem = {
        "name": "vroom",
        "hubs": hubs,
        "pickups": pickups,
        "vehicle_types": vehicle_types,
    }
    return Translation(
        problem=problem,
        matrices={profile: {"ids": ids, "distance_m": dist_m, "duration_s": dur_m}},
        base_s=base,
        index_mode=index_mode,
        locations=locs,
        job_loc=job_loc,
        vehicle_start=v_start,
        vehicle_end=v_end,
        durations=dur,
        distances=dist,
        pre_unassigned=pre_unassigned,
        notes=sorted(set(notes)),
    )


def _unassigned_job(j: VroomJob, index_mode: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"id": j.id, "type": "job"}
    if j.description:
        item["description"] = j.description
    if index_mode:
        item["location_index"] = j.location_index
    elif j.location is not None:
        item["location"] = j.location
    return item


def _where(t: Translation, index: int | None) -> dict[str, Any]:
    if index is None:
        return {}
    if t.index_mode:
        return {"location_index": index}
    return {"location": list(t.locations[index])}


def answer(req: VroomRequest, t: Translation, plan: dict[str, Any]) -> dict[str, Any]:
    """Render hubroute's plan (plan.json) in VROOM's response shape.

    Durations, distances and costs are recomputed from the request's matrices along
    each route, so they mean what VROOM's own answer means: ``duration`` is travel
    time, ``cost`` is ``fixed + per_hour * duration / 3600 + per_km * distance / 1000``.
    """
    vehicles = {f"v{v.id}": v for v in req.vehicles}
    jobs = {f"j{j.id}": j for j in req.jobs}
    dims = max(
        [len(v.capacity) for v in req.vehicles]
        + [len(j.delivery) for j in req.jobs]
        + [len(j.pickup) for j in req.jobs]
        + [0]
    )
    with_distance = (not t.index_mode) or bool(
        req.matrices and any(m.distances for m in req.matrices.values())
    )

    def vec(values: Sequence[int]) -> list[int]:
        return [_amount(values, d) for d in range(dims)]

    routes: list[dict[str, Any]] = []
    totals = {
        "cost": 0,
        "duration": 0,
        "distance": 0,
        "service": 0,
        "waiting_time": 0,
        "priority": 0,
    }
    tot_delivery = [0] * dims
    tot_pickup = [0] * dims
    for run in plan.get("runs", []):
        v = vehicles[run["vehicle_type"]]
        start, end = t.vehicle_start[v.id], t.vehicle_end[v.id]
        stops = run["stops"]
        route_jobs = [jobs[s["pickup_id"]] for s in stops]
        delivery = [sum(_amount(j.delivery, d) for j in route_jobs) for d in range(dims)]
        pickup = [sum(_amount(j.pickup, d) for j in route_jobs) for d in range(dims)]
        load = list(delivery)
        steps: list[dict[str, Any]] = []
        travel = 0
        distance = 0
        prev = start
        start_time = int(run["start"])
        step0 = {
            "type": "start",
            **_where(t, start),
            "setup": 0,
            "service": 0,
            "waiting_time": 0,
            "load": list(load),
            "arrival": t.base_s + start_time,
            "duration": 0,
            "violations": [],
        }
        if with_distance:
            step0["distance"] = 0
        if start is not None:
            steps.append(step0)
        service_sum = waiting_sum = priority_sum = 0
        for s, j in zip(stops, route_jobs, strict=True):
            here = t.job_loc[j.id]
            if prev is not None:
                travel += t.durations[prev][here]
                distance += t.distances[prev][here]
            for d in range(dims):
                load[d] += -_amount(j.delivery, d) + _amount(j.pickup, d)
            step = {
                "type": "job",
                **_where(t, here),
                "id": j.id,
                "setup": j.setup,
                "service": j.service,
                "waiting_time": int(s.get("waiting_time", 0)),
                "job": j.id,
                "load": list(load),
                "arrival": t.base_s + int(s["arrival"]),
                "duration": travel,
                "violations": [],
            }
            if j.description:
                step["description"] = j.description
            if with_distance:
                step["distance"] = distance
            steps.append(step)
            service_sum += j.setup + j.service
            waiting_sum += int(s.get("waiting_time", 0))
            priority_sum += j.priority
            prev = here
        if end is not None:
            if prev is not None:
                travel += t.durations[prev][end]
                distance += t.distances[prev][end]
            step_end = {
                "type": "end",
                **_where(t, end),
                "setup": 0,
                "service": 0,
                "waiting_time": 0,
                "load": list(load),
                "arrival": t.base_s + int(run["end"]),
                "duration": travel,
                "violations": [],
            }
            if with_distance:
                step_end["distance"] = distance
            steps.append(step_end)
        cost = round(
            v.costs.fixed + v.costs.per_hour * travel / 3600 + v.costs.per_km * distance / 1000
        )
        route = {
            "vehicle": v.id,
            "cost": cost,
            "setup": 0,
            "service": service_sum,
            "duration": travel,
            "waiting_time": waiting_sum,
            "priority": priority_sum,
            "steps": steps,
            "violations": [],
        }
        if dims:
            route["delivery"], route["pickup"] = vec(delivery), vec(pickup)
        if with_distance:
            route["distance"] = distance
        if v.description:
            route["description"] = v.description
        routes.append(route)
        totals["cost"] += cost
        totals["duration"] += travel
        totals["distance"] += distance
        totals["service"] += service_sum
        totals["waiting_time"] += waiting_sum
        totals["priority"] += priority_sum
        tot_delivery = [a + b for a, b in zip(tot_delivery, delivery, strict=True)]
        tot_pickup = [a + b for a, b in zip(tot_pickup, pickup, strict=True)]
    unassigned = list(t.pre_unassigned)
    for u in plan.get("unassigned", []):
        missed = jobs.get(u["pickup_id"])
        if missed is not None:
            item = _unassigned_job(missed, t.index_mode)
            item["reason"] = u.get("reason", "")
            unassigned.append(item)
    timings = plan.get("summary", {}).get("timings_s", {})
    summary: dict[str, Any] = {
        "cost": totals["cost"],
        "routes": len(routes),
        "unassigned": len(unassigned),
        "setup": 0,
        "service": totals["service"],
        "duration": totals["duration"],
        "waiting_time": totals["waiting_time"],
        "priority": totals["priority"],
        "violations": [],
        "computing_times": {
            "loading": round(1000 * float(timings.get("matrices", 0))),
            "solving": round(1000 * float(timings.get("solve", 0))),
            "routing": 0,
        },
    }
    if dims:
        summary["delivery"], summary["pickup"] = tot_delivery, tot_pickup
    if with_distance:
        summary["distance"] = totals["distance"]
    return {"code": 0, "summary": summary, "unassigned": unassigned, "routes": routes}


class VroomResponse(BaseModel):
    """VROOM's answer shape: ``code`` 0, ``summary``, ``unassigned``, ``routes``."""

    model_config = ConfigDict(extra="allow")

    code: int
    summary: dict[str, Any]
    unassigned: list[dict[str, Any]]
    routes: list[dict[str, Any]]


def vroom_payload(
    req: VroomRequest, *, network: Any, options: dict[str, Any]
) -> tuple[dict[str, Any], Translation]:
    """Build the matrix job payload for a VROOM request (blocking: run in a thread).

    With ``matrices`` in the request they are used as given. Otherwise the matrix
    between the request's coordinates comes from the hub's road network, or, for a
    hub without one, from the straight-line estimate (said in ``notes``).

    Raises
    ------
    InputError
        For requests outside the supported subset, or points off the hub's roads.
    """
    if req.matrices is not None:
        t = translate(req)
    else:
        problems = [p for p in _check(req) if p.field.endswith("location") or ".start" in p.field]
        if problems:
            raise InputError(problems)
        locations = locations_of(req)
        ids = [f"l{i}" for i in range(len(locations))]
        if network is not None:
            from routing.matrix import RoadMatrixProvider

            provider: Any = RoadMatrixProvider(network, max_snap_m=options["max_snap_m"])
            source = "road network"
        else:
            from routing.matrix import StraightLineMatrixProvider

            provider = StraightLineMatrixProvider()
            source = "straight-line estimate (no road network at this hub)"
        m = provider.matrix(ids, locations)
        t = translate(
            req,
            durations=m.duration_s.tolist(),
            distances=m.distance_m.tolist(),
            locations=locations,
        )
        t.notes.append(f"travel matrix: {source}")
    return {"problem": t.problem, "matrices": t.matrices, "options": options}, t
