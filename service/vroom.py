"""``POST /v1/vroom`` glue: travel matrices and geometry from the hub's roads.

The VROOM format itself (every input key, VROOM's output shape, plan mode) lives in
:mod:`routing.vroom`. Here: a request with coordinates only gets its travel matrix
from the hub's road network (or, for a hub without one, the straight-line estimate,
said in ``notes``); the solve runs in a worker (:func:`run_vroom_job`); ``options.g``
draws each route along the roads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, RootModel

from routing.network import RoadNetwork
from routing.vroom.request import parse_request
from routing.vroom.response import encode_polyline

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


class VroomRequest(RootModel[dict[str, Any]]):
    """A VROOM request as VROOM's ``docs/API.md`` describes it (validated in routing)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})


class VroomResponse(RootModel[dict[str, Any]]):
    """VROOM's answer: ``code``, ``summary``, ``unassigned``, ``routes`` (and ``notes``)."""


class CoordinateMatrices:
    """Travel matrices between a request's coordinates, remembered for the worker."""

    def __init__(self, network: RoadNetwork | None, *, max_snap_m: float) -> None:
        self.network = network
        self.max_snap_m = max_snap_m
        self.durations: list[list[int]] = []
        self.distances: list[list[int]] = []
        self.note = ""

    def __call__(
        self, locations: Sequence[tuple[float, float]]
    ) -> tuple[list[list[int]], list[list[int]]]:
        """Road matrices (or the straight-line estimate) between ``locations``."""
        from routing.matrix import RoadMatrixProvider, StraightLineMatrixProvider

        ids = [f"l{i}" for i in range(len(locations))]
        if self.network is not None:
            provider: Any = RoadMatrixProvider(self.network, max_snap_m=self.max_snap_m)
            self.note = "travel matrix: road network"
        else:
            provider = StraightLineMatrixProvider()
            self.note = "travel matrix: straight-line estimate (no road network at this hub)"
        m = provider.matrix(ids, list(locations))
        self.durations, self.distances = m.duration_s.tolist(), m.distance_m.tolist()
        return self.durations, self.distances


def vroom_payload(
    data: dict[str, Any], *, network: RoadNetwork | None, max_snap_m: float, options: dict[str, Any]
) -> dict[str, Any]:
    """Validate ``data`` and build the worker's payload (blocking: run in a thread).

    Raises
    ------
    InputError
        Every problem of the request, by key path; points off the hub's roads.
    """
    began = time.perf_counter()
    source = CoordinateMatrices(network, max_snap_m=max_snap_m)
    parse_request(data, matrix_for=source)
    payload: dict[str, Any] = {"request": data, "options": options}
    if source.note:
        payload["matrices"] = {"durations": source.durations, "distances": source.distances}
        payload["note"] = source.note
    payload["loading_ms"] = round(1000 * (time.perf_counter() - began))
    return payload


def run_vroom_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Worker: solve a VROOM payload; ``{"status": "done", "plan": answer}``."""
    from routing.vroom.api import answer_request
    from service.jobs import failure

    matrices = payload.get("matrices")
    try:
        answer = answer_request(
            payload["request"],
            matrix_for=(lambda _: (matrices["durations"], matrices["distances"]))
            if matrices
            else None,
            time_limit_s=payload["options"].get("search_time_limit_s"),
        )
    except Exception as exc:
        return failure(exc)
    times = answer["summary"]["computing_times"]
    times["loading"] += int(payload.get("loading_ms", 0))
    if payload.get("note"):
        answer.setdefault("notes", []).append(payload["note"])
    return {"status": "done", "plan": answer}


def add_geometry(answer: dict[str, Any], network: RoadNetwork, *, max_snap_m: float) -> None:
    """Give each route a ``geometry``: the encoded polyline along the hub's roads."""
    from routing.paths import path_lonlat, snap_points

    began = time.perf_counter()
    for route in answer["routes"]:
        stops = [tuple(s["location"]) for s in route["steps"] if "location" in s]
        points = [(f"s{i}", float(x), float(y)) for i, (x, y) in enumerate(stops)]
        nodes = snap_points(network, points, max_snap_m=max_snap_m, kind="location").nodes
        line = path_lonlat(network, [list(nodes)])[0]
        route["geometry"] = encode_polyline(line)
    answer["summary"]["computing_times"]["routing"] = round(1000 * (time.perf_counter() - began))
