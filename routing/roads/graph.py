"""Directed road edges as arrays, and the :class:`~routing.network.RoadNetwork` built from them.

OpenStreetMap networks carry more per edge than a road file: the OSM ``highway``
value, whether the road is unpaved, its legal limits and, with elevation data, the
metres climbed and descended in the edge's direction. :class:`RoadEdges` holds all of
it as parallel arrays; :func:`to_network` turns it into the networkx graph the rest of
the planner reads (the standard edge attributes plus these), and :func:`edges_of`
reads it back, so vehicle views and snapped copies of a network are array operations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Final

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

from routing.network import FloatArray, IntArray, RoadNetwork

ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

#: ``graph.graph["source"]`` of networks read from OpenStreetMap.
OSM_SOURCE: Final = "osm"


@dataclass(frozen=True)
class RoadEdges:
    """Directed edges as parallel arrays. A two-way road is two edges.

    ``base_time_s`` is the time on the flat at the profile's speed; ``travel_time_s``
    is what routing uses (the base time, or a vehicle's time on the grade).
    ``steep_descent_m`` counts the descent on grades steeper than
    :data:`routing.roads.elevation.STEEP_GRADE` (where trucks brake on the engine).
    """

    src: IntArray
    dst: IntArray
    geometry: ObjectArray
    """WGS84 LineStrings in the edge's direction."""
    length_m: FloatArray
    base_time_s: FloatArray
    travel_time_s: FloatArray
    road_class: ObjectArray
    highway: ObjectArray
    road_id: ObjectArray
    name: ObjectArray
    unpaved: BoolArray
    max_weight_t: FloatArray
    max_axle_load_t: FloatArray
    max_height_m: FloatArray
    max_width_m: FloatArray
    max_length_m: FloatArray
    ascent_m: FloatArray
    descent_m: FloatArray
    steep_descent_m: FloatArray

    def __len__(self) -> int:
        """Number of directed edges."""
        return len(self.src)

    def take(self, index: npt.NDArray[Any]) -> RoadEdges:
        """The edges at ``index`` (a boolean mask or positions)."""
        return RoadEdges(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def with_times(self, travel_time_s: FloatArray) -> RoadEdges:
        """These edges with other routing times."""
        return replace(self, travel_time_s=travel_time_s)


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 UTM zone of a point, as ``EPSG:326xx`` (north) or ``EPSG:327xx``."""
    zone = min(60, max(1, math.floor((lon + 180.0) / 6.0) + 1))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def project(lonlat: FloatArray, crs: str) -> FloatArray:
    """WGS84 ``(lon, lat)`` rows to metres in ``crs``."""
    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y]).astype(np.float64)


def to_network(
    node_lonlat: FloatArray,
    edges: RoadEdges,
    *,
    crs: str,
    meta: Mapping[str, Any],
    node_xy: FloatArray | None = None,
) -> RoadNetwork:
    """Build the frozen networkx road graph; nodes are ``0 .. len(node_lonlat)-1``.

    Parameters
    ----------
    node_lonlat
        WGS84 position of each node.
    edges
        The directed edges, in the order they are added.
    crs
        Projected CRS of the nodes' ``x``/``y``.
    meta
        Graph attributes (``source``, counts, tag problems, places...).
    node_xy
        Projected node positions when already known.
    """
    xy = project(node_lonlat, crs) if node_xy is None else node_xy
    graph = nx.MultiDiGraph(crs=crs, **meta)
    graph.add_nodes_from(
        (
            i,
            {
                "x": float(xy[i, 0]),
                "y": float(xy[i, 1]),
                "lon": float(node_lonlat[i, 0]),
                "lat": float(node_lonlat[i, 1]),
            },
        )
        for i in range(len(node_lonlat))
    )
    pairs = set(zip(edges.src.tolist(), edges.dst.tolist(), strict=True))
    speed_kph = np.where(
        edges.travel_time_s > 0, edges.length_m / np.maximum(edges.travel_time_s, 1e-9) * 3.6, 0.0
    )
    columns = {f.name: getattr(edges, f.name).tolist() for f in fields(edges)}
    graph.add_edges_from(
        (
            u,
            v,
            {
                **{
                    name: values[i]
                    for name, values in columns.items()
                    if name not in ("src", "dst")
                },
                "speed_kph": float(speed_kph[i]),
                "oneway": (v, u) not in pairs,
            },
        )
        for i, (u, v) in enumerate(zip(columns["src"], columns["dst"], strict=True))
    )
    return RoadNetwork(nx.freeze(graph), crs)


def is_osm(network: RoadNetwork) -> bool:
    """Whether the network was read from OpenStreetMap (and carries its attributes)."""
    return bool(network.graph.graph.get("source") == OSM_SOURCE)


def node_positions(network: RoadNetwork) -> tuple[FloatArray, FloatArray]:
    """``(lonlat, xy)`` of nodes ``0 .. n-1``."""
    data = network.graph.nodes
    n = network.graph.number_of_nodes()
    lonlat = np.array([[data[i]["lon"], data[i]["lat"]] for i in range(n)], dtype=np.float64)
    xy = np.array([[data[i]["x"], data[i]["y"]] for i in range(n)], dtype=np.float64)
    return lonlat.reshape(-1, 2), xy.reshape(-1, 2)


def edges_of(network: RoadNetwork) -> RoadEdges:
    """Read an OSM network's directed edges back into arrays, in graph order."""
    rows = list(network.graph.edges(data=True))

    def col(name: str, dtype: Any) -> npt.NDArray[Any]:
        if dtype is object:
            out = np.empty(len(rows), dtype=object)
            out[:] = [d[name] for _, _, d in rows]
            return out
        return np.fromiter((d[name] for _, _, d in rows), dtype=dtype, count=len(rows))

    kinds = {f.name: f.type for f in fields(RoadEdges)}
    values: dict[str, npt.NDArray[Any]] = {
        "src": np.fromiter((u for u, _, _ in rows), dtype=np.int64, count=len(rows)),
        "dst": np.fromiter((v for _, v, _ in rows), dtype=np.int64, count=len(rows)),
    }
    for name, kind in kinds.items():
        if name in values:
            continue
        dtype: Any = {"FloatArray": np.float64, "BoolArray": np.bool_}.get(str(kind), object)
        values[name] = col(name, dtype)
    return RoadEdges(**values)


def empty_geometry_array(geoms: list[shapely.LineString]) -> ObjectArray:
    """An object array of geometries (numpy must not read them as sequences)."""
    out = np.empty(len(geoms), dtype=object)
    out[:] = geoms
    return out
