"""Travel matrices: integer metres and seconds between every pair of locations.

A :class:`TravelMatrix` is what the solvers read. It comes from a
:class:`MatrixProvider`: :class:`RoadMatrixProvider` routes over a
:class:`~routing.network.RoadNetwork`; :class:`StraightLineMatrixProvider` is the
stated fallback when no road network is configured (great-circle distance times a
detour factor). Unreachable pairs hold :data:`routing.units.UNREACHABLE` in both
matrices, so a solver never chooses them and callers can report them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from routing.errors import NetworkError, Problem
from routing.network import (
    MAX_SNAP_M,
    FloatArray,
    IntArray,
    Node,
    ProfileGraph,
    RoadNetwork,
    SnapResult,
    profile_graph,
    profile_name,
)
from routing.paths import shortest_path_trees, snap_points
from routing.units import UNREACHABLE

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M: Final[float] = 6_371_008.8


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Metres and seconds from each location (row) to each other one (column).

    The arrays are made read-only on construction. Equality is identity (numpy
    arrays have no single truth value); compare fields with ``numpy.array_equal``.

    Attributes
    ----------
    ids : tuple of str
        Location ids, the order of rows and columns.
    distance_m : numpy.ndarray
        ``int64`` ``n x n``, metres along the fastest path.
    duration_s : numpy.ndarray
        ``int64`` ``n x n``, seconds on the fastest path.
    profile : str
        Access profile name (``"all"``, ``"track"``...), as ``VehicleType.profile``.
    """

    ids: tuple[str, ...]
    distance_m: IntArray
    duration_s: IntArray
    profile: str = "all"

    def __post_init__(self) -> None:
        """Check shapes and ids; store read-only int64 copies of the arrays."""
        n = len(self.ids)
        if len(set(self.ids)) != n:
            raise ValueError("TravelMatrix ids must be unique")
        for name in ("distance_m", "duration_s"):
            array = np.array(getattr(self, name), dtype=np.int64)  # a private copy
            if array.shape != (n, n):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n}, {n})")
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "ids", tuple(self.ids))

    def index(self, location_id: str) -> int:
        """Row/column of a location id."""
        return self.ids.index(location_id)

    def reachable(self, i: int, j: int) -> bool:
        """Whether there is a path from location ``i`` to location ``j``."""
        return bool(self.duration_s[i, j] < UNREACHABLE)

    def unreachable_from(self, origin_index: int) -> list[int]:
        """List indices that cannot be reached from ``origin_index`` or cannot return to it.

        A pickup that a vehicle from the hub can reach but not leave (a one-way road
        in) is as useless to a run as one it cannot reach.
        """
        out = self.duration_s[origin_index, :] >= UNREACHABLE
        back = self.duration_s[:, origin_index] >= UNREACHABLE
        return [int(i) for i in np.flatnonzero(out | back)]


class MatrixProvider(Protocol):
    """A source of travel matrices (a road graph, a straight-line estimate, OSRM...)."""

    def matrix(
        self,
        ids: Sequence[str],
        lonlats: Sequence[tuple[float, float]],
        *,
        avoid_road_classes: Sequence[str] = (),
    ) -> TravelMatrix:
        """Travel matrix between ``(lon, lat)`` locations for one access profile."""
        ...


def travel_matrix(
    network: RoadNetwork,
    nodes: Sequence[Node],
    ids: Sequence[str],
    *,
    avoid_road_classes: Sequence[str] = (),
) -> TravelMatrix:
    """Fastest-path durations, and distances along those paths, between graph nodes.

    One scipy Dijkstra runs per distinct node (the CSR graph is built once per network
    and profile and cached). Distance is the length of the *fastest* path, not the
    shortest distance: the vehicle drives the fastest path, so that is what fuel and
    per-km costs follow. It is summed along the predecessor tree by pointer doubling
    in numpy: each pass adds every node's distance-to-ancestor to its ancestor's and
    jumps two levels, so a tree of depth ``d`` takes ``log2(d)`` vectorised passes and
    sums the exact edge lengths Dijkstra chose (an integer encoding of time and length
    in one weight would need rounded edge times, which can change the path).

    Parameters
    ----------
    network : RoadNetwork
    nodes : sequence of int
        Graph node of each location (:attr:`SnapResult.nodes`); may repeat.
    ids : sequence of str
        Location ids, same length as ``nodes``.
    avoid_road_classes : sequence of str, default ()
        Road classes this profile may not use.

    Returns
    -------
    TravelMatrix
        Rounded to whole metres and seconds; zero diagonal; zero between locations
        at the same node; :data:`~routing.units.UNREACHABLE` where there is no path.
        Asymmetric where one-way roads make it so.

    Raises
    ------
    NetworkError
        If a node is not in the network or a road class is unknown.
    ValueError
        If ``nodes`` and ``ids`` differ in length.
    """
    if len(nodes) != len(ids):
        raise ValueError(f"{len(nodes)} nodes but {len(ids)} ids")
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    missing = [(i, node) for i, node in zip(ids, nodes, strict=True) if node not in graph.index]
    if missing:
        raise NetworkError(
            [
                Problem(f"location {i!r}", "node", f"node {node!r} is not in the network")
                for i, node in missing
            ]
        )
    rows = np.array([graph.index[node] for node in nodes], dtype=np.int64)
    sources, location_source = np.unique(rows, return_inverse=True)
    time_by_source = np.empty((len(sources), len(rows)), dtype=np.float64)
    length_by_source = np.empty((len(sources), len(rows)), dtype=np.float64)
    start = 0
    for chunk, time_s, pred in shortest_path_trees(graph, sources):
        along_m = _lengths_along_trees(graph, pred)
        time_by_source[start : start + len(chunk)] = time_s[:, rows]
        length_by_source[start : start + len(chunk)] = along_m[:, rows]
        start += len(chunk)
    time_s_all = time_by_source[location_source]
    length_all = length_by_source[location_source]
    unreachable = ~np.isfinite(time_s_all)
    duration_s = np.where(unreachable, UNREACHABLE, np.rint(np.where(unreachable, 0, time_s_all)))
    distance_m = np.where(unreachable, UNREACHABLE, np.rint(np.where(unreachable, 0, length_all)))
    return TravelMatrix(
        ids=tuple(ids),
        distance_m=distance_m.astype(np.int64),
        duration_s=duration_s.astype(np.int64),
        profile=profile_name(avoid_road_classes),
    )


def _lengths_along_trees(graph: ProfileGraph, pred: npt.NDArray[np.int32]) -> FloatArray:
    """Metres from each tree's root to every node along its predecessor tree.

    ``pred`` is ``k x n`` from scipy (``-9999`` for roots and unreached nodes).
    Unreached nodes get 0 here; the caller masks them by their infinite time.
    """
    k, n = pred.shape
    columns = np.broadcast_to(np.arange(n, dtype=np.int32), (k, n))
    has_parent = pred >= 0
    # Roots and unreached nodes point to themselves with 0 m. int32 halves the memory
    # traffic of the gathers below (graphs have far fewer than 2**31 nodes).
    parent = np.where(has_parent, pred, columns).astype(np.int32)
    along_m = np.zeros((k, n), dtype=np.float64)
    positions = graph.edge_positions(parent[has_parent], columns[has_parent])
    along_m[has_parent] = graph.length_m[positions]
    # Pointer doubling. Invariant: along_m[t] = metres from parent[t] to t. Whole-row
    # gathers beat updating only unfinished nodes: on road graphs most nodes stay
    # unfinished until the last passes, and scattered writes cost more than they save.
    while True:
        grand = np.take_along_axis(parent, parent, axis=1)
        if np.array_equal(grand, parent):
            return along_m
        along_m += np.take_along_axis(along_m, parent, axis=1)
        parent = grand


class RoadMatrixProvider:
    """Travel matrices over a road network: snap the locations, then route node to node.

    Parameters
    ----------
    network : RoadNetwork
    max_snap_m : float, default 2000
        Farthest a location may lie from the nearest road, metres.
    """

    def __init__(self, network: RoadNetwork, *, max_snap_m: float = MAX_SNAP_M) -> None:
        if not max_snap_m > 0:
            raise ValueError("max_snap_m must be positive")
        self.network = network
        self.max_snap_m = max_snap_m

    def snap(self, ids: Sequence[str], lonlats: Sequence[tuple[float, float]]) -> SnapResult:
        """Where each location joins the road graph (to report snap distances)."""
        if len(ids) != len(lonlats):
            raise ValueError(f"{len(ids)} ids but {len(lonlats)} positions")
        points = [(i, float(lon), float(lat)) for i, (lon, lat) in zip(ids, lonlats, strict=True)]
        return snap_points(self.network, points, max_snap_m=self.max_snap_m, kind="location")

    def matrix(
        self,
        ids: Sequence[str],
        lonlats: Sequence[tuple[float, float]],
        *,
        avoid_road_classes: Sequence[str] = (),
    ) -> TravelMatrix:
        """Road travel matrix between ``(lon, lat)`` locations; see :func:`travel_matrix`.

        Raises
        ------
        NetworkError
            Listing every location too far from the roads, or an unknown road class.
        """
        snapped = self.snap(ids, lonlats)
        return travel_matrix(
            self.network, snapped.nodes, ids, avoid_road_classes=avoid_road_classes
        )


@dataclass(frozen=True)
class StraightLineMatrixProvider:
    """Great-circle distance times a detour factor, at one speed: the no-map fallback.

    Mountain roads wind: 1.5 is a typical ratio of road to straight-line distance in
    Xinping's valleys. The result is an estimate for planning without a road file;
    road classes cannot be avoided (``avoid_road_classes`` only names the profile),
    and every pair is reachable.

    Parameters
    ----------
    speed_kph : float, default 25
        Average speed (the county-road default).
    detour_factor : float, default 1.5
        Road metres per straight-line metre; at least 1.
    """

    speed_kph: float = 25.0
    detour_factor: float = 1.5

    def __post_init__(self) -> None:
        """Check the speed and detour factor."""
        if not (math.isfinite(self.speed_kph) and self.speed_kph > 0):
            raise ValueError(f"speed_kph must be positive, got {self.speed_kph}")
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1):
            raise ValueError(f"detour_factor must be at least 1, got {self.detour_factor}")

    def matrix(
        self,
        ids: Sequence[str],
        lonlats: Sequence[tuple[float, float]],
        *,
        avoid_road_classes: Sequence[str] = (),
    ) -> TravelMatrix:
        """Estimated travel matrix between ``(lon, lat)`` locations."""
        if len(ids) != len(lonlats):
            raise ValueError(f"{len(ids)} ids but {len(lonlats)} positions")
        lonlat = np.radians(np.asarray(lonlats, dtype=np.float64).reshape(-1, 2))
        lon, lat = lonlat[:, 0], lonlat[:, 1]
        dlat = lat[None, :] - lat[:, None]
        dlon = lon[None, :] - lon[:, None]
        h = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
        )
        straight_m = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        road_m = straight_m * self.detour_factor
        return TravelMatrix(
            ids=tuple(ids),
            distance_m=np.rint(road_m).astype(np.int64),
            duration_s=np.rint(road_m / (self.speed_kph / 3.6)).astype(np.int64),
            profile=profile_name(avoid_road_classes),
        )
