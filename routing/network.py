"""The road network: a directed networkx graph built from a file of road lines.

Data flows ``road file -> GeoDataFrame -> RoadNetwork -> (snap_points, profile_graph)
-> travel matrix / drawn paths``. Lengths are metres measured in the data's UTM zone;
travel times are seconds at a speed per road class (or the road's own ``speed_kph``).
Coordinates that leave this module are ``(lon, lat)`` WGS84, as in GeoJSON.

Roads meet at their endpoints only: a junction is where line endpoints lie within
:data:`NODE_TOLERANCE_M` of each other. A road that crosses another without ending
there is a bridge or an overpass as far as routing is concerned, so road files must
be split at junctions (the fixture generator and OSM-derived extracts are).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.sparse import csr_array

from routing.errors import NetworkError, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Node = int
"""Nodes are consecutive integers ``0 .. n-1`` in the order junctions were found."""

#: Typical speeds on Xinping's mountain roads, km/h, per road class. They are lower
#: than posted limits: hairpins, grades, slow trucks and market-day traffic.
DEFAULT_SPEED_KPH: Final[Mapping[str, float]] = {
    "expressway": 80.0,
    "trunk": 50.0,
    "primary": 40.0,
    "secondary": 30.0,
    "county": 25.0,
    "village": 18.0,
    "track": 10.0,
}

#: Road classes in descending order of quality.
ROAD_CLASSES: Final[tuple[str, ...]] = tuple(DEFAULT_SPEED_KPH)

#: Endpoints closer than this (metres, projected) are one junction node.
NODE_TOLERANCE_M: Final[float] = 1.0

#: Default limit, metres, on how far a point may lie from the nearest road.
MAX_SNAP_M: Final[float] = 2000.0

_ONEWAY_TRUE: Final = frozenset({"true", "yes", "1", "y", "t"})
_ONEWAY_FALSE: Final = frozenset({"false", "no", "0", "n", "f", ""})
_WGS84: Final = "EPSG:4326"
# Dijkstra from k sources keeps k x n float64 and int32 arrays; this caps one block's
# size (~32 M cells, about 400 MB in the worst case) on county-sized graphs.
_DIJKSTRA_CELLS: Final = 2**25


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A road graph ready for routing. Build it with :func:`network_from_file`.

    The graph is frozen (networkx raises on modification) because shortest-path
    arrays and the spatial index are cached on this object; use :func:`without_roads`
    to get a network with roads closed.

    Attributes
    ----------
    graph : networkx.MultiDiGraph
        Integer nodes with ``x``, ``y`` (metres in ``crs``) and ``lon``, ``lat``
        (WGS84). Directed edges with ``length_m``, ``travel_time_s``, ``road_class``,
        ``speed_kph``, ``road_id``, ``name`` and ``geometry`` (a WGS84 LineString
        running in the edge's direction). A two-way road is two edges.
    crs : str
        The projected (UTM) CRS of ``x``/``y`` and of the lengths, e.g. ``"EPSG:32647"``.
    """

    graph: nx.MultiDiGraph
    crs: str
    _profiles: dict[tuple[str, ...], ProfileGraph] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def _to_projected(self) -> Transformer:
        return Transformer.from_crs(_WGS84, self.crs, always_xy=True)

    @cached_property
    def _edges(self) -> _EdgeTable:
        return _edge_table(self.graph)

    @cached_property
    def _spatial_index(self) -> shapely.STRtree:
        # One tree over every directed edge, in metres. Both directions of a two-way
        # road are in it; either gives the same pair of end nodes.
        projected = shapely.transform(self._edges.geometry, self._project_xy)
        return shapely.STRtree(projected)

    def _project_xy(self, lonlat: FloatArray) -> FloatArray:
        x, y = self._to_projected.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])


@dataclass(frozen=True, eq=False)
class _EdgeTable:
    """Every directed edge of a graph as parallel arrays (built once per network)."""

    nodes: tuple[Node, ...]
    index: Mapping[Node, int]
    src: IntArray
    dst: IntArray
    travel_time_s: FloatArray
    length_m: FloatArray
    road_class: npt.NDArray[np.str_]
    geometry: npt.NDArray[np.object_]
    node_xy: FloatArray
    """Projected metres of each node, rows as in ``nodes``."""


@dataclass(frozen=True, eq=False)
class ProfileGraph:
    """One access profile of a network as scipy arrays, for many shortest paths.

    Parallel edges are reduced to the fastest one and self-loops are dropped. Arrays
    ``length_m``, ``edge_code`` and ``geometry`` run parallel to ``travel_time_s.data``.

    Attributes
    ----------
    nodes : tuple of int
        Graph node of each row/column of the CSR matrix.
    index : Mapping[int, int]
        Inverse of ``nodes``.
    travel_time_s : scipy.sparse.csr_array
        ``n x n``, seconds on the fastest edge from row to column.
    length_m : numpy.ndarray
        Length of that edge in metres.
    edge_code : numpy.ndarray
        ``row * n + column`` of each edge, sorted, to look edges up with
        :func:`numpy.searchsorted`.
    geometry : numpy.ndarray
        WGS84 LineString of each edge, in its direction.
    """

    nodes: tuple[Node, ...]
    index: Mapping[Node, int]
    travel_time_s: csr_array
    length_m: FloatArray
    edge_code: IntArray
    geometry: npt.NDArray[np.object_]

    def edge_positions(
        self, tails: npt.NDArray[np.integer[Any]], heads: npt.NDArray[np.integer[Any]]
    ) -> IntArray:
        """Positions in the edge arrays of edges ``tails[i] -> heads[i]`` (CSR indices).

        The caller guarantees the edges exist (they come from a predecessor array).
        """
        codes = tails.astype(np.int64) * len(self.nodes) + heads.astype(np.int64)
        return np.searchsorted(self.edge_code, codes).astype(np.int64)


@dataclass(frozen=True)
class SnapResult:
    """Where each point joins the road graph.

    Attributes
    ----------
    nodes : tuple of int
        Graph node for each point, in input order.
    snap_distance_m : tuple of float
        Straight-line metres from each point to its node. Not included in travel
        matrices, which are node to node; report large values to the user.
    """

    nodes: tuple[Node, ...]
    snap_distance_m: tuple[float, ...]


# ---------------------------------------------------------------------------------
# Variants and views
# ---------------------------------------------------------------------------------


def without_roads(network: RoadNetwork, road_ids: Iterable[str]) -> RoadNetwork:
    """Return a copy of the network with the given roads closed (e.g. a landslide).

    Every edge of each road is removed; nodes stay, so node ids from the original
    network remain valid (a node left without roads is simply unreachable).

    Parameters
    ----------
    network : RoadNetwork
        Not modified.
    road_ids : iterable of str
        Ids as in the road file's ``id`` column (or 1-based row numbers without one).

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        If any id names no road; all such ids are listed.
    """
    closed = {str(r) for r in road_ids}
    known = {d["road_id"] for _, _, d in network.graph.edges(data=True)}
    unknown = sorted(closed - known)
    if unknown:
        raise NetworkError(
            [
                Problem(
                    f"road {r!r}",
                    "closed_roads",
                    "no road has this id; check the road file's id column",
                )
                for r in unknown
            ]
        )
    graph = nx.MultiDiGraph(network.graph)  # an unfrozen copy
    graph.remove_edges_from(
        [(a, b, k) for a, b, k, r in network.graph.edges(keys=True, data="road_id") if r in closed]
    )
    return RoadNetwork(nx.freeze(graph), network.crs)


def _profile_key(avoid_road_classes: Iterable[str]) -> tuple[str, ...]:
    key = tuple(sorted({str(c).strip().lower() for c in avoid_road_classes}))
    unknown = [c for c in key if c not in DEFAULT_SPEED_KPH]
    if unknown:
        raise NetworkError(
            [
                Problem(
                    "profile",
                    "avoid_road_classes",
                    f"unknown road class {c!r}; use one of {list(ROAD_CLASSES)}",
                )
                for c in unknown
            ]
        )
    return key


def profile_name(avoid_road_classes: Iterable[str]) -> str:
    """Name of an access profile, as :attr:`routing.model.VehicleType.profile`."""
    return "+".join(sorted(set(avoid_road_classes))) or "all"


def edge_subgraph_for(network: RoadNetwork, avoid_road_classes: Sequence[str]) -> nx.MultiDiGraph:
    """Return a read-only view of the graph without roads of the given classes.

    All nodes are kept, so snapped node ids stay valid. A 5-t truck profile passes
    ``("track",)``.

    Raises
    ------
    NetworkError
        If a class is not one of :data:`ROAD_CLASSES` (a typo would avoid nothing).
    """
    avoid = frozenset(_profile_key(avoid_road_classes))
    graph = network.graph

    def keep(a: Hashable, b: Hashable, k: Hashable) -> bool:
        return graph.edges[a, b, k]["road_class"] not in avoid

    view: nx.MultiDiGraph = nx.subgraph_view(graph, filter_edge=keep)
    return view


def _edge_table(graph: nx.MultiDiGraph) -> _EdgeTable:
    nodes = tuple(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    rows = list(graph.edges(data=True))
    # Filled element by element: numpy must not try to read geometries as sequences.
    geometry = np.empty(len(rows), dtype=object)
    geometry[:] = [d["geometry"] for _, _, d in rows]
    return _EdgeTable(
        nodes=nodes,
        index=index,
        src=np.fromiter((index[a] for a, _, _ in rows), dtype=np.int64, count=len(rows)),
        dst=np.fromiter((index[b] for _, b, _ in rows), dtype=np.int64, count=len(rows)),
        travel_time_s=np.fromiter(
            (d["travel_time_s"] for _, _, d in rows), dtype=np.float64, count=len(rows)
        ),
        length_m=np.fromiter(
            (d["length_m"] for _, _, d in rows), dtype=np.float64, count=len(rows)
        ),
        road_class=np.array([d["road_class"] for _, _, d in rows], dtype=np.str_),
        geometry=geometry,
        node_xy=np.array(
            [[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], dtype=np.float64
        ).reshape(-1, 2),
    )


def profile_graph(network: RoadNetwork, *, avoid_road_classes: Sequence[str] = ()) -> ProfileGraph:
    """Return one access profile of the network as a CSR matrix, built once and cached.

    Parameters
    ----------
    network : RoadNetwork
    avoid_road_classes : sequence of str, default ()
        Road classes the profile may not use.

    Returns
    -------
    ProfileGraph
        Cached on ``network`` per set of avoided classes (order does not matter).

    Raises
    ------
    NetworkError
        If a class is unknown.
    """
    key = _profile_key(avoid_road_classes)
    cached = network._profiles.get(key)
    if cached is not None:
        return cached
    table = network._edges
    n = len(table.nodes)
    keep = ~np.isin(table.road_class, list(key)) & (table.src != table.dst)
    src, dst = table.src[keep], table.dst[keep]
    time_s, length_m = table.travel_time_s[keep], table.length_m[keep]
    geometry = table.geometry[keep]
    # Sort by (src, dst, time) and keep the first of each (src, dst): the fastest of
    # parallel edges. scipy would otherwise sum duplicate entries.
    order = np.lexsort((length_m, time_s, dst, src))
    code = src[order] * n + dst[order]
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    chosen = order[first]
    src, dst = src[chosen], dst[chosen]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    csr = csr_array((time_s[chosen], dst, indptr), shape=(n, n))
    result = ProfileGraph(
        nodes=table.nodes,
        index=table.index,
        travel_time_s=csr,
        length_m=length_m[chosen],
        edge_code=code[first],
        geometry=geometry[chosen],
    )
    network._profiles[key] = result
    return result
