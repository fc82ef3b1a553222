"""What a road network holds, and the roads as a GeoPackage a planner opens in QGIS."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from routing.errors import NetworkError, Problem
from routing.network import RoadNetwork
from routing.roads.graph import is_osm


@dataclass(frozen=True)
class NetworkSummary:
    """Counts, lengths and problems of a road network (``hubroute network info``)."""

    source: str
    raw_nodes: int | None
    raw_edges: int | None
    nodes: int
    edges: int
    km_by_class: dict[str, float]
    components: int
    largest_component_nodes: int
    bbox: tuple[float, float, float, float]
    """(min lon, min lat, max lon, max lat)."""
    places: int
    elevation: str | None
    tag_problems: tuple[str, ...]

    @property
    def contraction_ratio(self) -> float | None:
        """Contracted nodes per raw node (OSM only)."""
        return self.nodes / self.raw_nodes if self.raw_nodes else None


def summarise(network: RoadNetwork) -> NetworkSummary:
    """Summarise a network; OSM networks add raw counts, places, elevation and tag problems."""
    g = network.graph
    n = g.number_of_nodes()
    km: dict[str, float] = defaultdict(float)
    src, dst = [], []
    for u, v, d in g.edges(data=True):
        # A two-way road is two edges: count half of each.
        km[str(d["road_class"])] += d["length_m"] / 1000 * (1.0 if d["oneway"] else 0.5)
        src.append(u)
        dst.append(v)
    adjacency = coo_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    count, label = connected_components(adjacency, directed=True, connection="strong")
    lon = [d["lon"] for _, d in g.nodes(data=True)]
    lat = [d["lat"] for _, d in g.nodes(data=True)]
    meta = g.graph
    osm = is_osm(network)
    issues = meta.get("tag_issues", {}) if osm else {}
    ranked = sorted(issues.items(), key=lambda kv: (-kv[1], kv[0]))
    return NetworkSummary(
        source=str(meta.get("file", "")) if osm else "road file",
        raw_nodes=meta.get("raw_nodes") if osm else None,
        raw_edges=meta.get("raw_edges") if osm else None,
        nodes=n,
        edges=g.number_of_edges(),
        km_by_class={k: round(v, 1) for k, v in sorted(km.items(), key=lambda kv: -kv[1])},
        components=int(count),
        largest_component_nodes=int(np.bincount(label).max()) if n else 0,
        bbox=(min(lon), min(lat), max(lon), max(lat)) if n else (0.0, 0.0, 0.0, 0.0),
        places=len(meta.get("places", ())) if osm else 0,
        elevation=meta.get("elevation") if osm else None,
        tag_problems=tuple(f"{k}={v!r} on {c} way{'s' if c > 1 else ''}" for (k, v), c in ranked),
    )


def _finite(values: list[Any]) -> list[Any]:
    return [None if not math.isfinite(v) else round(v, 2) for v in values]


def roads_frame(network: RoadNetwork) -> gpd.GeoDataFrame:
    """One row per directed edge, with its class, speed, limits and climbs, in WGS84."""
    rows = list(network.graph.edges(data=True))
    osm = is_osm(network)

    def col(name: str, default: object = None) -> list[Any]:
        return [d.get(name, default) for _, _, d in rows]

    data: dict[str, list[Any]] = {
        "from_node": [u for u, _, _ in rows],
        "to_node": [v for _, v, _ in rows],
        "road_id": col("road_id"),
        "name": col("name", ""),
        "road_class": col("road_class"),
        "speed_kph": [round(float(s), 1) for s in col("speed_kph", 0.0)],
        "length_m": [round(float(s), 1) for s in col("length_m", 0.0)],
        "travel_time_s": [round(float(s), 1) for s in col("travel_time_s", 0.0)],
        "oneway": col("oneway", False),
    }
    if osm:
        data["highway"] = col("highway")
        data["unpaved"] = col("unpaved")
        for name in (
            "max_weight_t",
            "max_axle_load_t",
            "max_height_m",
            "max_width_m",
            "max_length_m",
        ):
            data[name] = _finite(col(name))
        for name in ("ascent_m", "descent_m"):
            data[name] = [round(float(v), 1) for v in col(name, 0.0)]
    return gpd.GeoDataFrame(data, geometry=col("geometry"), crs="EPSG:4326")


def export_gpkg(network: RoadNetwork, out: str | Path) -> Path:
    """Write the roads (and an OSM extract's named places) to a GeoPackage.

    Layers: ``roads`` (one line per directed edge) and, for OSM, ``places``.

    Raises
    ------
    NetworkError
        If the output is not a ``.gpkg`` path or cannot be written.
    """
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise NetworkError(Problem(str(out), "--out", "must end in .gpkg (a GeoPackage)"))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            out.unlink()
        roads_frame(network).to_file(out, layer="roads", driver="GPKG", engine="pyogrio")
        places = network.graph.graph.get("places", ()) if is_osm(network) else ()
        if places:
            gpd.GeoDataFrame(
                {"name": [p.name for p in places], "kind": [p.kind for p in places]},
                geometry=gpd.points_from_xy([p.lon for p in places], [p.lat for p in places]),
                crs="EPSG:4326",
            ).to_file(out, layer="places", driver="GPKG", engine="pyogrio")
    except OSError as exc:
        raise NetworkError(Problem(str(out), "--out", f"cannot be written ({exc})")) from None
    return out
