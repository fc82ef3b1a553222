"""Tests for routing.report.geometry: background road lines from a road network."""

from __future__ import annotations

import networkx as nx
from shapely.geometry import LineString

from routing.report import (
    roads_from_network,
)
from tests.routing.report.pages import Network


def test_roads_from_network_draws_two_way_roads_once() -> None:
    g = nx.MultiDiGraph()
    line = LineString([(101.90, 24.00), (101.905, 24.0001), (101.91, 24.00), (101.92, 24.01)])
    back = LineString(list(line.coords)[::-1])
    g.add_edge("a", "b", geometry=line, road_class="county", length_m=2500.0)
    g.add_edge("b", "a", geometry=back, road_class="county", length_m=2500.0)
    g.add_edge(
        "b",
        "c",
        geometry=LineString([(101.92, 24.01), (101.95, 24.03)]),
        road_class="expressway",
        length_m=3900.0,
    )
    lines, classes = roads_from_network(Network(g))
    assert sorted(classes) == ["county", "expressway"]
    county = lines[classes.index("county")]
    assert len(county) < 4  # simplified: the 11 m kink is dropped
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in county)
