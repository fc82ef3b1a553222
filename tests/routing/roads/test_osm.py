"""Reading OSM XML (plain, bz2, gz), PBF and osmnx GraphML; unreadable files."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import networkx as nx
import pytest

from routing.errors import NetworkError
from routing.road_file import network_from_file
from routing.roads import read_roads
from routing.roads.osm import is_osm_path, read_raw
from routing.roads.profile import load_profile
from tests.routing.roads.helpers import ANDORRA_PBF, DATA, SHORT_M


@pytest.mark.parametrize("opener", [bz2.open, gzip.open])
def test_compressed_xml_reads_like_plain(tmp_path: Path, opener: object) -> None:
    """.osm.bz2 and .osm.gz give the same roads as the .osm file."""
    suffix = ".osm.bz2" if opener is bz2.open else ".osm.gz"
    packed = tmp_path / f"plain{suffix}"
    with opener(packed, "wb") as f:  # type: ignore[operator]
        f.write((DATA / "plain.osm").read_bytes())
    plain = read_raw(DATA / "plain.osm", load_profile())
    got = read_raw(packed, load_profile())
    assert len(got.src) == len(plain.src) == 2 * (2 + 3)
    assert got.node_lonlat.tolist() == plain.node_lonlat.tolist()


def test_network_from_file_dispatches_osm_by_suffix() -> None:
    """Every place that reads a road file with network_from_file also reads OSM."""
    assert is_osm_path("x.osm.pbf")
    assert is_osm_path("X.OSM.BZ2")
    assert not is_osm_path("roads.geojson")
    network = network_from_file(DATA / "plain.osm")
    assert network.graph.graph["source"] == "osm"
    assert network.graph.graph["raw_nodes"] == 5


def test_graphml_from_osmnx_is_read(tmp_path: Path) -> None:
    """An osmnx-style GraphML (string attributes, list values, WKT geometry) is routable."""
    g = nx.MultiDiGraph()
    g.add_node(1, x="10.0", y="45.0")
    g.add_node(2, x="10.01", y="45.0")
    g.add_edge(
        1,
        2,
        highway="['secondary', 'tertiary']",
        oneway="True",
        osmid="7",
        geometry="LINESTRING (10 45, 10.005 45.0001, 10.01 45)",
    )
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    network = read_roads(path)
    ((_, _, data),) = network.graph.edges(data=True)
    assert data["road_class"] == "secondary"
    assert data["length_m"] == pytest.approx(SHORT_M, rel=0.01)
    assert len(data["geometry"].coords) == 3


def test_andorra_pbf_counts_and_places() -> None:
    """The real extract: tens of thousands of raw nodes, its named places kept."""
    raw = read_raw(ANDORRA_PBF, load_profile("europe"))
    assert raw.num_nodes > 15_000
    names = {p.name for p in raw.places}
    assert {"Andorra la Vella", "Canillo", "Soldeu", "Pal"} <= names


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    """Clear errors naming the file, never a traceback."""
    with pytest.raises(NetworkError, match="not found"):
        read_roads(tmp_path / "none.osm.pbf")
    junk = tmp_path / "junk.osm"
    junk.write_text("this is not XML")
    with pytest.raises(NetworkError, match="cannot be read"):
        read_roads(junk)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(NetworkError, match="no roads"):
        read_roads(empty)
