"""Read OpenStreetMap roads: ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz`` and osmnx GraphML.

OSM files are read with pyosmium (the ``osmium`` package, libosmium underneath): every
way with a ``highway`` tag goes through the road profile (:mod:`routing.roads.profile`),
and each way the fleet may drive becomes directed segments between consecutive nodes.
Named places (``place=city|town|village|hamlet|...``) are kept for maps and fixtures.
osmnx GraphML files already hold directed edges (two-way roads twice); their edge tags
go through the same profile, their direction is taken as drawn.

The result, :class:`RawRoads`, is the raw graph: :mod:`routing.roads.contract` merges
its degree-2 chains into the network the planner routes on.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import networkx as nx
import numpy as np
import shapely

from routing.errors import NetworkError, Problem
from routing.network import FloatArray, IntArray
from routing.roads.profile import RoadProfile, TagIssues, WayRules, way_rules

#: File names the OSM reader takes (case-insensitive endings).
OSM_SUFFIXES: Final = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".graphml")

#: ``place`` values kept as named places.
PLACE_KINDS: Final = frozenset(
    {"city", "town", "village", "hamlet", "suburb", "neighbourhood", "isolated_dwelling"}
)

# Edge attributes of an osmnx GraphML file that are OSM tags the profile reads.
_GRAPHML_TAGS: Final = (
    "highway",
    "access",
    "vehicle",
    "motor_vehicle",
    "maxspeed",
    "surface",
    "tracktype",
    "maxweight",
    "maxaxleload",
    "maxheight",
    "maxwidth",
    "maxlength",
    "name",
)


@dataclass(frozen=True)
class Place:
    """A named place from the extract (``place=village`` and the like)."""

    name: str
    kind: str
    lon: float
    lat: float


@dataclass(frozen=True)
class RawRoads:
    """The raw road graph: directed segments between OSM nodes.

    Segment ``i`` runs from node ``src[i]`` to ``dst[i]`` along vertices
    ``coords[offsets[i] : offsets[i+1]]`` and follows ``rules[rule[i]]``.
    """

    node_lonlat: FloatArray
    src: IntArray
    dst: IntArray
    rule: IntArray
    rules: tuple[WayRules, ...]
    way_id: IntArray
    name: tuple[str, ...]
    coords: FloatArray
    offsets: IntArray
    places: tuple[Place, ...]
    issues: TagIssues
    ways_read: int = 0

    @property
    def num_nodes(self) -> int:
        """Nodes used by drivable segments."""
        return len(self.node_lonlat)


@dataclass
class _Builder:
    profile: RoadProfile
    issues: TagIssues = field(default_factory=TagIssues)
    node_index: dict[Any, int] = field(default_factory=dict)
    lonlat: list[tuple[float, float]] = field(default_factory=list)
    src: list[int] = field(default_factory=list)
    dst: list[int] = field(default_factory=list)
    rule: list[int] = field(default_factory=list)
    way_id: list[int] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    coords: list[tuple[float, float]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=lambda: [0])
    rule_index: dict[WayRules, int] = field(default_factory=dict)
    places: list[Place] = field(default_factory=list)
    ways: int = 0

    def node(self, key: Any, lon: float, lat: float) -> int:
        index = self.node_index.get(key)
        if index is None:
            index = self.node_index[key] = len(self.lonlat)
            self.lonlat.append((lon, lat))
        return index

    def segment(
        self,
        a: int,
        b: int,
        rules: WayRules,
        way: int,
        name: str,
        line: list[tuple[float, float]],
    ) -> None:
        r = self.rule_index.setdefault(rules, len(self.rule_index))
        for forward, (u, v, pts) in (
            (rules.forward, (a, b, line)),
            (rules.backward, (b, a, line[::-1])),
        ):
            if not forward:
                continue
            self.src.append(u)
            self.dst.append(v)
            self.rule.append(r)
            self.way_id.append(way)
            self.name.append(name)
            self.coords.extend(pts)
            self.offsets.append(len(self.coords))

    def result(self) -> RawRoads:
        return RawRoads(
            node_lonlat=np.array(self.lonlat, dtype=np.float64).reshape(-1, 2),
            src=np.array(self.src, dtype=np.int64),
            dst=np.array(self.dst, dtype=np.int64),
            rule=np.array(self.rule, dtype=np.int64),
            rules=tuple(self.rule_index),
            way_id=np.array(self.way_id, dtype=np.int64),
            name=tuple(self.name),
            coords=np.array(self.coords, dtype=np.float64).reshape(-1, 2),
            offsets=np.array(self.offsets, dtype=np.int64),
            places=tuple(self.places),
            issues=self.issues,
            ways_read=self.ways,
        )


def is_osm_path(path: str | Path) -> bool:
    """Whether a road file is OpenStreetMap data by its name."""
    return str(path).lower().endswith(OSM_SUFFIXES)


def read_raw(path: str | Path, profile: RoadProfile) -> RawRoads:
    """Read the drivable roads and named places of an OSM or osmnx GraphML file.

    Raises
    ------
    NetworkError
        If the file is missing or cannot be parsed.
    """
    path = Path(path)
    record = f"road file {str(path)!r}"
    if not path.is_file():
        raise NetworkError(Problem(record, "", "not found; check the path"))
    builder = _Builder(profile)
    if str(path).lower().endswith(".graphml"):
        _read_graphml(path, builder, record)
    else:
        _read_osm(path, builder, record)
    return builder.result()


def _read_osm(path: Path, builder: _Builder, record: str) -> None:
    import osmium  # the binding is only needed for OSM files
    from osmium.osm import Node as OsmNode
    from osmium.osm import Way as OsmWay

    try:
        for obj in osmium.FileProcessor(str(path)).with_locations():
            if isinstance(obj, OsmNode):
                if "place" in obj.tags and "name" in obj.tags:
                    kind = obj.tags["place"]
                    if kind in PLACE_KINDS and obj.location.valid():
                        builder.places.append(
                            Place(obj.tags["name"], kind, obj.location.lon, obj.location.lat)
                        )
            elif isinstance(obj, OsmWay) and "highway" in obj.tags:
                builder.ways += 1
                tags = {t.k: t.v for t in obj.tags}
                rules = way_rules(tags, builder.profile, builder.issues)
                if rules is not None:
                    _add_way(builder, obj.id, tags.get("name", ""), rules, _way_nodes(obj))
    except RuntimeError as exc:
        raise NetworkError(
            Problem(
                record,
                "",
                f"cannot be read as OpenStreetMap data ({exc}); export it as .osm.pbf or .osm XML",
            )
        ) from None


def _way_nodes(way: Any) -> Iterator[tuple[int, float, float] | None]:
    for n in way.nodes:
        yield (n.ref, n.location.lon, n.location.lat) if n.location.valid() else None


def _add_way(
    builder: _Builder,
    way: int,
    name: str,
    rules: WayRules,
    nodes: Iterator[tuple[int, float, float] | None],
) -> None:
    """Add a way's segments; a node missing from the extract breaks the way there."""
    previous: tuple[int, float, float] | None = None
    for node in nodes:
        if node is not None and previous is not None and node[0] != previous[0]:
            a = builder.node(previous[0], previous[1], previous[2])
            b = builder.node(node[0], node[1], node[2])
            builder.segment(
                a, b, rules, way, name, [(previous[1], previous[2]), (node[1], node[2])]
            )
        previous = node


def _first(value: Any) -> str:
    """osmnx writes merged values as a list literal (``"['primary', 'secondary']"``)."""
    text = str(value)
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return str(items[0]) if items else ""
    return text


def _read_graphml(path: Path, builder: _Builder, record: str) -> None:
    try:
        graph = nx.read_graphml(path, force_multigraph=True)
    except Exception as exc:  # networkx raises many types for malformed XML
        raise NetworkError(
            Problem(
                record, "", f"cannot be read as GraphML ({exc}); save it with osmnx.save_graphml"
            )
        ) from None
    nodes: Mapping[Any, Any] = graph.nodes
    for u, v, data in graph.edges(data=True):
        builder.ways += 1
        tags = {k: _first(data[k]) for k in _GRAPHML_TAGS if k in data}
        rules = way_rules(tags, builder.profile, builder.issues)
        if rules is None or u == v:
            continue
        try:
            ux, uy = float(nodes[u]["x"]), float(nodes[u]["y"])
            vx, vy = float(nodes[v]["x"]), float(nodes[v]["y"])
        except (KeyError, ValueError):
            raise NetworkError(
                Problem(record, f"node {u!r}", "has no numeric x/y; save it with osmnx")
            ) from None
        if "geometry" in data:
            line = [(float(x), float(y)) for x, y in shapely.from_wkt(data["geometry"]).coords]
        else:
            line = [(ux, uy), (vx, vy)]
        a, b = builder.node(u, ux, uy), builder.node(v, vx, vy)
        # osmnx has already made two-way roads two edges: each edge is driven as drawn.
        directed = WayRules(**{**rules.__dict__, "forward": True, "backward": False})
        way = _first(data.get("osmid", "0"))
        builder.segment(
            a, b, directed, int(way) if way.isdigit() else 0, tags.get("name", ""), line
        )
