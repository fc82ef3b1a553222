"""Integer travel, distance and cost matrices per vehicle, computed once per request.

Locations are the request's matrix indices plus one more, ``open``, for a route's open
start or end (0 to and from it). Values equal :meth:`VroomProblem.travel_s`,
:meth:`VroomProblem.distance_m` and :func:`routing.vroom.timeline.arc_cost` cell by
cell; vehicles that share a profile, speed and rates share the arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from routing.vroom.request import Vehicle, VroomProblem
from routing.vroom.timeline import COST_SCALE

Matrix = npt.NDArray[np.int64]


class Prices:
    """Matrices of every vehicle, as NumPy arrays and as nested lists (fast to index)."""

    def __init__(self, problem: VroomProblem) -> None:
        self.p = problem
        self.open = max(len(m.durations_s) for m in problem.matrices.values())
        self._arrays: dict[tuple[Any, ...], Matrix] = {}
        self._lists: dict[tuple[Any, ...], list[list[int]]] = {}

    def _padded(self, rows: Any) -> Matrix:
        out = np.zeros((self.open + 1, self.open + 1), dtype=np.int64)
        a = np.asarray(rows, dtype=np.int64)
        out[: a.shape[0], : a.shape[1]] = a
        return out

    def array(self, what: str, v: Vehicle) -> Matrix:
        """``travel`` (s), ``distance`` (m) or ``cost`` (1/COST_SCALE) of ``v``."""
        key = self._key(what, v)
        if key not in self._arrays:
            self._arrays[key] = self._compute(what, v)
        return self._arrays[key]

    def rows(self, what: str, v: Vehicle) -> list[list[int]]:
        """:meth:`array` as nested lists."""
        key = self._key(what, v)
        if key not in self._lists:
            self._lists[key] = self.array(what, v).tolist()
        return self._lists[key]

    @staticmethod
    def _key(what: str, v: Vehicle) -> tuple[Any, ...]:
        if what == "distance":
            return (what, v.profile)
        if what == "travel":
            return (what, v.profile, v.speed_factor)
        return (what, v.profile, v.speed_factor, v.per_hour, v.per_km)

    def _compute(self, what: str, v: Vehicle) -> Matrix:
        m = self.p.matrices[v.profile]
        if what == "distance":
            if m.distances_m is None:
                return self._padded(np.zeros((self.open, self.open)))
            return self._padded(m.distances_m)
        raw = self._padded(m.durations_s)
        if what == "travel":
            if v.speed_factor == 1.0:
                return raw
            return -(-raw * round(100 / v.speed_factor) // 100)
        if m.costs is not None:
            return self._padded(m.costs) * COST_SCALE
        cost = v.cost_per_matrix_s * raw
        return cost + v.per_km * self.array("distance", v) * 3600
