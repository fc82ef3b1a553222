"""Reading a road file (GeoPackage, GeoJSON, Shapefile or OpenStreetMap) into a RoadNetwork."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from routing.errors import NetworkError, Problem
from routing.network import (
    _ONEWAY_FALSE,
    _ONEWAY_TRUE,
    _WGS84,
    DEFAULT_SPEED_KPH,
    NODE_TOLERANCE_M,
    ROAD_CLASSES,
    RoadNetwork,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Node = int


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
