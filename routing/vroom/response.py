"""VROOM's output shape: ``code``, ``summary``, ``unassigned`` and ``routes``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from routing.vroom.request import Task, VroomProblem
from routing.vroom.solve import VroomSolution
from routing.vroom.timeline import RouteTimeline


def unassigned_entry(problem: VroomProblem, t: Task) -> dict[str, Any]:
    """One ``unassigned`` item: id, type, location and description as VROOM gives them."""
    item: dict[str, Any] = {"id": t.id, "type": t.kind}
    if problem.index_mode:
        item["location_index"] = t.location
        if t.coordinates is not None:
            item["location"] = list(t.coordinates)
    else:
        item["location"] = list(problem.locations[t.location])
    if t.description:
        item["description"] = t.description
    return item


def _route(problem: VroomProblem, tl: RouteTimeline) -> dict[str, Any]:
    v = tl.vehicle
    route: dict[str, Any] = {
        "vehicle": v.id,
        "cost": tl.cost,
        "setup": tl.setup_s,
        "service": tl.service_s,
        "duration": tl.travel_s,
        "waiting_time": tl.waiting_s,
        "priority": tl.priority,
    }
    if problem.dims:
        route["delivery"], route["pickup"] = list(tl.delivery), list(tl.pickup)
        route["amount"] = list(tl.delivery)
    if problem.has_distances:
        route["distance"] = tl.distance_m
    if v.description:
        route["description"] = v.description
    route["steps"] = tl.steps
    route["violations"] = tl.violations
    return route


def render(
    problem: VroomProblem, solution: VroomSolution, *, loading_ms: int = 0
) -> dict[str, Any]:
    """The full VROOM response for ``solution`` (``code`` 0).

    ``amount`` (VROOM's deprecated total) equals ``delivery`` as in VROOM's answers.
    ``distance`` is given when the matrices have distances (always for coordinates).
    ``geometry`` needs roads: the service adds it (``service.vroom.add_geometry``).
    """
    routes = [_route(problem, tl) for tl in solution.routes]
    unassigned = [unassigned_entry(problem, t) for t in solution.unassigned]
    dims = problem.dims
    summary: dict[str, Any] = {
        "cost": sum(r["cost"] for r in routes),
        "routes": len(routes),
        "unassigned": len(unassigned),
        "setup": sum(r["setup"] for r in routes),
        "service": sum(r["service"] for r in routes),
        "duration": sum(r["duration"] for r in routes),
        "waiting_time": sum(r["waiting_time"] for r in routes),
        "priority": sum(r["priority"] for r in routes),
    }
    if dims:
        for key in ("delivery", "pickup", "amount"):
            summary[key] = [sum(r[key][d] for r in routes) for d in range(dims)]
    if problem.has_distances:
        summary["distance"] = sum(r["distance"] for r in routes)
    summary["violations"] = [x for r in routes for x in r["violations"]]
    summary["computing_times"] = {
        "loading": loading_ms,
        "solving": solution.solving_ms,
        "routing": 0,
    }
    out: dict[str, Any] = {
        "code": 0,
        "summary": summary,
        "unassigned": unassigned,
        "routes": routes,
    }
    notes = list(problem.notes) + list(solution.notes)
    if notes:
        out["notes"] = notes
    return out


def encode_polyline(points: Sequence[tuple[float, float]], precision: int = 5) -> str:
    """Google's encoded polyline (``(lon, lat)`` in, latitude first in the code)."""
    factor = 10**precision
    out: list[str] = []
    prev_lat = prev_lon = 0
    for lon, lat in points:
        ilat, ilon = round(lat * factor), round(lon * factor)
        for delta in (ilat - prev_lat, ilon - prev_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lon = ilat, ilon
    return "".join(out)
