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

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

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
# Building
# ---------------------------------------------------------------------------------


def network_from_file(
    path: str | Path,
    *,
    layer: str | None = None,
    elevation: str | Path | None = None,
    road_profile: str | Path = "rural_china",
) -> RoadNetwork:
    """Read a road network from a GeoPackage, GeoJSON, Shapefile or OpenStreetMap file.

    Parameters
    ----------
    path : str or Path
        The road file. See :func:`network_from_gdf` for the columns a file of road
        lines must have; ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz`` and osmnx
        ``.graphml`` go to :func:`routing.roads.read_roads`.
    layer : str, optional
        Layer to read from a multi-layer file. By default the only layer, or the
        layer called ``roads`` when there are several.
    elevation : str or Path, optional
        SRTM tiles (file, zip or folder), for OpenStreetMap files.
    road_profile : str or Path, default "rural_china"
        Road profile for OpenStreetMap files (``europe`` or a profile TOML).

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        If the file is missing or unreadable, or any road record is invalid; every
        problem found is listed.
    """
    path = Path(path)
    record = f"road file {str(path)!r}"
    if not path.exists():
        raise NetworkError(Problem(record, "", "not found; check the path"))
    from routing.roads import is_osm_path, read_roads

    if is_osm_path(path):
        return read_roads(path, profile=road_profile, elevation=elevation)
    if layer is None:
        layer = _choose_layer(path, record)
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.FieldError,
        pyogrio.errors.CRSError,
        OSError,
        ValueError,
    ) as exc:
        raise NetworkError(
            Problem(record, "", f"cannot be read ({exc}); export it as GeoPackage or GeoJSON")
        ) from None
    return network_from_gdf(gdf)


def _choose_layer(path: Path, record: str) -> str | None:
    """Pick the layer to read; ``None`` lets the driver take its only layer."""
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError, ValueError) as exc:
        raise NetworkError(
            Problem(record, "", f"cannot be read ({exc}); export it as GeoPackage or GeoJSON")
        ) from None
    if len(layers) <= 1:
        return None
    if "roads" in layers:
        return "roads"
    raise NetworkError(
        Problem(record, "layer", f"has {len(layers)} layers {layers}; pass layer= to pick one")
    )


def network_from_gdf(gdf: gpd.GeoDataFrame) -> RoadNetwork:
    """Build a road network from a GeoDataFrame of road lines.

    Columns: ``road_class`` (required; one of :data:`ROAD_CLASSES`, case-insensitive),
    ``id`` (optional; otherwise the 1-based row number is the road id), ``speed_kph``
    (optional; replaces the class default from :data:`DEFAULT_SPEED_KPH` where set),
    ``oneway`` (optional; ``true``/``yes``/``1`` means one-way in the digitised
    direction) and ``name`` (optional). MultiLineStrings are split into their parts,
    which share the road id. A frame without a CRS is taken to be WGS84 lon/lat.

    Roads meet at their endpoints only (see the module docstring); endpoints within
    :data:`NODE_TOLERANCE_M` become one node, at the first such endpoint read, and
    each edge's geometry is moved onto its nodes so drawn paths join up exactly.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The roads. Not modified.

    Returns
    -------
    RoadNetwork
        Projected to the UTM zone of the data (``gdf.estimate_utm_crs()``).

    Raises
    ------
    NetworkError
        Listing every bad record (``road 'R17'`` or ``road row 5``), its field and fix.
    """
    problems: list[Problem] = []
    if len(gdf) == 0:
        raise NetworkError(Problem("road file", "", "has no roads; add LineString features"))
    gdf = gdf.reset_index(drop=True)
    gdf = _to_wgs84(gdf)  # raises on coordinates that cannot be lon/lat
    columns = set(gdf.columns)
    has_id = "id" in columns
    records = [_record(gdf["id"].iloc[i] if has_id else None, i) for i in range(len(gdf))]
    road_ids = [
        str(_clean_id(gdf["id"].iloc[i])) if has_id and _present(gdf["id"].iloc[i]) else str(i + 1)
        for i in range(len(gdf))
    ]

    if "road_class" not in columns:
        problems.append(
            Problem(
                "road file",
                "road_class",
                f"column missing; add it with one of {list(ROAD_CLASSES)} for every road",
            )
        )
        classes: list[str] = [""] * len(gdf)
    else:
        classes = _check_classes(gdf["road_class"], records, problems)
    speeds = _check_speeds(gdf, classes, records, problems)
    oneways = _check_oneway(gdf, records, problems)
    names = (
        ["" if not _present(v) else str(v) for v in gdf["name"]]
        if "name" in columns
        else [""] * len(gdf)
    )
    _check_geometry(gdf.geometry, records, problems)
    if problems:
        raise NetworkError(problems)

    roads = gpd.GeoDataFrame(
        {
            "row": np.arange(len(gdf)),
            "road_id": road_ids,
            "road_class": classes,
            "speed_kph": speeds,
            "oneway": oneways,
            "name": names,
        },
        geometry=shapely.force_2d(gdf.geometry.to_numpy()),
        crs=_WGS84,
    ).explode(index_parts=False, ignore_index=True)
    utm = roads.estimate_utm_crs()
    crs = f"EPSG:{utm.to_epsg()}" if utm.to_epsg() is not None else utm.to_string()
    return _build(roads, crs)


def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the frame in WGS84; a frame without a CRS is assumed to be WGS84."""
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
            raise NetworkError(
                Problem(
                    "road file",
                    "crs",
                    "has no CRS and its coordinates are not lon/lat degrees; "
                    "save it with its CRS (e.g. EPSG:32647 or EPSG:4326)",
                )
            )
        return gdf.set_crs(_WGS84)
    if CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(_WGS84)):
        return gdf
    return gdf.to_crs(_WGS84)


def _present(value: object) -> bool:
    """Whether a cell holds a value (not None/NaN/NA/blank)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float | np.floating):
        return not math.isnan(value)
    return True


def _clean_id(value: object) -> object:
    """Integer-valued floats (``17.0`` read from a file) become ``17``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _record(road_id: object, row: int) -> str:
    if road_id is not None and _present(road_id):
        return f"road {str(_clean_id(road_id))!r}"
    return f"road row {row + 1}"


def _check_classes(
    column: pd.Series[Any], records: list[str], problems: list[Problem]
) -> list[str]:
    classes: list[str] = []
    for record, value in zip(records, column, strict=True):
        text = str(value).strip().lower() if _present(value) else ""
        if text not in DEFAULT_SPEED_KPH:
            shown = "missing" if not text else f"unknown class {str(value)!r}"
            problems.append(
                Problem(record, "road_class", f"{shown}; use one of {list(ROAD_CLASSES)}")
            )
        classes.append(text)
    return classes


def _check_speeds(
    gdf: gpd.GeoDataFrame, classes: list[str], records: list[str], problems: list[Problem]
) -> list[float]:
    speeds = [DEFAULT_SPEED_KPH.get(c, 1.0) for c in classes]
    if "speed_kph" not in gdf.columns:
        return speeds
    for i, value in enumerate(gdf["speed_kph"]):
        if not _present(value):
            continue  # no speed of its own: the class default stands
        try:
            speed = float(value)
        except (TypeError, ValueError):
            speed = math.nan
        if not math.isfinite(speed) or speed <= 0:
            problems.append(
                Problem(
                    records[i],
                    "speed_kph",
                    f"{value!r} is not a positive speed; give km/h or leave it empty "
                    "for the class default",
                )
            )
            continue
        speeds[i] = speed
    return speeds


def _check_oneway(gdf: gpd.GeoDataFrame, records: list[str], problems: list[Problem]) -> list[bool]:
    if "oneway" not in gdf.columns:
        return [False] * len(gdf)
    oneways: list[bool] = []
    for i, value in enumerate(gdf["oneway"]):
        text = "" if not _present(value) else str(_clean_id(value)).strip().lower()
        if text in _ONEWAY_TRUE:
            oneways.append(True)
            continue
        if text not in _ONEWAY_FALSE:
            problems.append(
                Problem(
                    records[i],
                    "oneway",
                    f"{value!r} not understood; use yes/true/1 (one-way in the drawn "
                    "direction) or no/false/0; reverse the line for the other direction",
                )
            )
        oneways.append(False)
    return oneways


def _check_geometry(geoms: gpd.GeoSeries, records: list[str], problems: list[Problem]) -> None:
    types = geoms.geom_type.to_numpy()
    is_line = np.isin(types, ["LineString", "MultiLineString"])
    if not is_line.any():
        found = sorted({str(t) for t in types if t is not None})
        problems.append(
            Problem(
                "road file",
                "geometry",
                f"has no line geometries (found {found or 'none'}); roads must be "
                "LineStrings or MultiLineStrings",
            )
        )
        return
    empty = geoms.is_empty.to_numpy() | geoms.isna().to_numpy()
    length = np.where(empty | ~is_line, 0.0, shapely.length(geoms.to_numpy()))
    for i, record in enumerate(records):
        if empty[i]:
            problems.append(Problem(record, "geometry", "is empty; draw the road or delete it"))
        elif not is_line[i]:
            problems.append(
                Problem(record, "geometry", f"is a {types[i]}, not a line; roads must be lines")
            )
        elif not length[i] > 0:
            problems.append(
                Problem(record, "geometry", "has zero length; draw the road or delete it")
            )


def _build(roads: gpd.GeoDataFrame, crs: str) -> RoadNetwork:
    """Make the graph from validated, exploded WGS84 road parts."""
    lonlat_geoms = roads.geometry.to_numpy()
    projected = roads.to_crs(crs).geometry.to_numpy()
    n_parts = len(roads)

    # Endpoints: rows 0..n-1 are starts, n..2n-1 ends.
    starts_xy = shapely.get_coordinates(shapely.get_point(projected, 0))
    ends_xy = shapely.get_coordinates(shapely.get_point(projected, -1))
    starts_ll = shapely.get_coordinates(shapely.get_point(lonlat_geoms, 0))
    ends_ll = shapely.get_coordinates(shapely.get_point(lonlat_geoms, -1))
    end_xy = np.vstack([starts_xy, ends_xy])
    end_ll = np.vstack([starts_ll, ends_ll])

    # Cluster endpoints within tolerance (a KD-tree rather than rounding to a 1 m grid,
    # which would split two endpoints 0.2 m apart that straddle a grid line).
    pairs = cKDTree(end_xy).query_pairs(NODE_TOLERANCE_M, output_type="ndarray")
    n_ends = len(end_xy)
    adjacency = csr_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_ends, n_ends))
    _, labels = connected_components(adjacency, directed=False)
    # Number nodes in the order their first endpoint appears, so ids are reproducible.
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    node_of_end = rank[inverse]
    node_first = first[order]  # representative endpoint of each node
    node_xy = end_xy[node_first]
    node_ll = end_ll[node_first]
    u = node_of_end[:n_parts]
    v = node_of_end[n_parts:]

    # Move each part's ends onto its nodes so consecutive edges share vertices exactly.
    lonlat_geoms = _set_ends(lonlat_geoms, node_ll[u], node_ll[v])
    projected = _set_ends(projected, node_xy[u], node_xy[v])
    length_m = shapely.length(projected)
    speed_kph = roads["speed_kph"].to_numpy(dtype=np.float64)
    time_s = length_m / (speed_kph / 3.6)
    reversed_geoms = shapely.reverse(lonlat_geoms)

    graph = nx.MultiDiGraph(crs=crs)
    graph.add_nodes_from(
        (
            int(i),
            {
                "x": float(node_xy[i, 0]),
                "y": float(node_xy[i, 1]),
                "lon": float(node_ll[i, 0]),
                "lat": float(node_ll[i, 1]),
            },
        )
        for i in range(len(node_xy))
    )
    road_id = roads["road_id"].tolist()
    road_class = roads["road_class"].tolist()
    name = roads["name"].tolist()
    oneway = roads["oneway"].tolist()
    edges: list[tuple[int, int, dict[str, Any]]] = []
    for i in range(n_parts):
        attrs = {
            "length_m": float(length_m[i]),
            "travel_time_s": float(time_s[i]),
            "road_class": road_class[i],
            "speed_kph": float(speed_kph[i]),
            "road_id": road_id[i],
            "name": name[i],
            "oneway": bool(oneway[i]),
        }
        edges.append((int(u[i]), int(v[i]), {**attrs, "geometry": lonlat_geoms[i]}))
        if not oneway[i]:
            edges.append((int(v[i]), int(u[i]), {**attrs, "geometry": reversed_geoms[i]}))
    graph.add_edges_from(edges)
    return RoadNetwork(nx.freeze(graph), crs)


def _set_ends(
    geoms: npt.NDArray[np.object_], first: FloatArray, last: FloatArray
) -> npt.NDArray[np.object_]:
    coords, part = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(part, minlength=len(geoms))
    last_pos = np.cumsum(counts) - 1
    first_pos = last_pos - counts + 1
    coords[first_pos] = first
    coords[last_pos] = last
    result: npt.NDArray[np.object_] = shapely.linestrings(coords, indices=part)
    return result


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


# ---------------------------------------------------------------------------------
# Snapping and paths
# ---------------------------------------------------------------------------------


def snap_points(
    network: RoadNetwork,
    points: Sequence[tuple[str, float, float]],
    *,
    max_snap_m: float = MAX_SNAP_M,
    kind: str = "pickup",
) -> SnapResult:
    """Join each point to the road graph at a node.

    The nearest road (edge) is found with a shapely STRtree in metres, cached on the
    network; the point then joins at the nearer of that edge's two end nodes, because
    travel matrices run node to node and splitting edges per point would change the
    graph (and every cached array) for each set of points.

    Parameters
    ----------
    network : RoadNetwork
    points : sequence of (id, lon, lat)
        WGS84 degrees.
    max_snap_m : float, default 2000
        Farthest a point may lie from the nearest road, metres.
    kind : str, default "pickup"
        What the points are, for error messages (``pickup 'V17': ...``).

    Returns
    -------
    SnapResult

    Raises
    ------
    NetworkError
        Listing every point farther than ``max_snap_m`` from all roads, or with
        coordinates that are not lon/lat, or if the network has no roads.
    """
    if not points:
        return SnapResult((), ())
    problems: list[Problem] = []
    for pid, lon, lat in points:
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            problems.append(
                Problem(
                    f"{kind} {pid!r}", "lon/lat", f"({lon}, {lat}) is not a WGS84 lon/lat position"
                )
            )
    if problems:
        raise NetworkError(problems)
    table = network._edges
    if len(table.src) == 0:
        raise NetworkError(Problem("road network", "", "has no open roads to snap to"))
    lonlat = np.array([(lon, lat) for _, lon, lat in points], dtype=np.float64)
    xy = network._project_xy(lonlat)
    (_, edge), road_m = network._spatial_index.query_nearest(
        shapely.points(xy), return_distance=True, all_matches=False
    )
    for (pid, _, _), d in zip(points, road_m, strict=True):
        if d > max_snap_m:
            problems.append(
                Problem(
                    f"{kind} {pid!r}",
                    "lon/lat",
                    f"{d / 1000:.1f} km from the nearest road (limit {max_snap_m / 1000:.1f} km); "
                    "check its coordinates",
                )
            )
    if problems:
        raise NetworkError(problems)
    node_xy = table.node_xy
    tail, head = table.src[edge], table.dst[edge]
    d_tail = np.hypot(*(node_xy[tail] - xy).T)
    d_head = np.hypot(*(node_xy[head] - xy).T)
    pick = np.where(d_head < d_tail, head, tail)
    return SnapResult(
        nodes=tuple(table.nodes[i] for i in pick),
        snap_distance_m=tuple(float(d) for d in np.minimum(d_tail, d_head)),
    )


def shortest_path_trees(
    graph: ProfileGraph, sources: IntArray
) -> Iterable[tuple[IntArray, FloatArray, npt.NDArray[np.int32]]]:
    """Run scipy Dijkstra from CSR rows ``sources`` in memory-bounded blocks.

    Yields
    ------
    (block_sources, travel_time_s, predecessors)
        ``k x n`` arrays for each block of ``k`` sources; unreachable nodes have
        ``inf`` time and predecessor ``-9999`` (scipy's convention).
    """
    n = max(len(graph.nodes), 1)
    block = max(1, _DIJKSTRA_CELLS // n)
    for start in range(0, len(sources), block):
        chunk = sources[start : start + block]
        time_s, pred = dijkstra(
            graph.travel_time_s, directed=True, indices=chunk, return_predecessors=True
        )
        yield chunk, np.atleast_2d(time_s), np.atleast_2d(pred)


def path_lonlat(
    network: RoadNetwork,
    sequences: Sequence[Sequence[Node]],
    *,
    avoid_road_classes: Sequence[str] = (),
) -> list[list[tuple[float, float]]]:
    """Return the (lon, lat) vertices along the fastest roads through each node sequence.

    Used to draw runs (hub, stop, ..., hub) along the real road geometry. One scipy
    Dijkstra runs per distinct departure node across all sequences.

    Parameters
    ----------
    network : RoadNetwork
    sequences : sequence of sequences of int
        Graph nodes to pass through in order, e.g. from :func:`snap_points`.
    avoid_road_classes : sequence of str, default ()
        The vehicle's access profile, as for its travel matrix.

    Returns
    -------
    list of list of (lon, lat)
        One polyline per sequence, starting at the first node and ending at the last;
        consecutive identical vertices at road joints are not repeated.

    Raises
    ------
    NetworkError
        If a node is not in the network or a leg has no path under the profile.
    """
    graph = profile_graph(network, avoid_road_classes=avoid_road_classes)
    problems: list[Problem] = []
    for s, seq in enumerate(sequences):
        for node in seq:
            if node not in graph.index:
                problems.append(
                    Problem(f"path {s + 1}", "nodes", f"node {node!r} is not in the network")
                )
    if problems:
        raise NetworkError(problems)
    legs = {
        (graph.index[a], graph.index[b]) for seq in sequences for a, b in itertools.pairwise(seq)
    }
    sources = np.array(sorted({a for a, b in legs if a != b}), dtype=np.int64)
    leg_coords: dict[tuple[int, int], FloatArray] = {}
    for chunk, _, pred in shortest_path_trees(graph, sources):
        row_of = {int(s): r for r, s in enumerate(chunk)}
        for a, b in legs:
            if a == b or a not in row_of:
                continue
            leg_coords[(a, b)] = _leg_coordinates(graph, pred[row_of[a]], a, b)
    result: list[list[tuple[float, float]]] = []
    for seq in sequences:
        if not seq:
            result.append([])
            continue
        first = network.graph.nodes[seq[0]]
        line: list[tuple[float, float]] = [(float(first["lon"]), float(first["lat"]))]
        for a, b in itertools.pairwise(seq):
            ia, ib = graph.index[a], graph.index[b]
            if ia == ib:
                continue
            # Each leg starts at the vertex the previous one ended on: skip it.
            line.extend((float(x), float(y)) for x, y in leg_coords[(ia, ib)][1:])
        result.append(line)
    return result


def _leg_coordinates(
    graph: ProfileGraph,
    pred: npt.NDArray[np.int32],
    a: int,
    b: int,
) -> FloatArray:
    if pred[b] < 0:
        raise NetworkError(
            Problem(
                "path",
                "nodes",
                f"no road path from node {graph.nodes[a]!r} to node {graph.nodes[b]!r} for this "
                "profile; the solver should not have joined them",
            )
        )
    hops = [b]
    while hops[-1] != a:
        hops.append(int(pred[hops[-1]]))
    hops.reverse()
    hop_array = np.asarray(hops, dtype=np.int64)
    positions = graph.edge_positions(hop_array[:-1], hop_array[1:])
    coords, part = shapely.get_coordinates(graph.geometry[positions], return_index=True)
    # Drop each edge's first vertex except the first edge's: it repeats the joint.
    keep = np.ones(len(part), dtype=bool)
    keep[1:] = part[1:] == part[:-1]
    keep[0] = True
    result: FloatArray = coords[keep]
    return result
