"""Helpers for the report tests: parse the HTML and render a demo plan."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import networkx as nx

from routing.report import DemoPlan, render_report


class Elements(HTMLParser):
    """Collect every start tag with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag

    def having(self, tag: str, *classes: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and set(classes) <= set(a.get("class", "").split())
        ]


def parse(text: str) -> Elements:
    parser = Elements()
    parser.feed(text)
    return parser


def render(demo: DemoPlan, **kwargs: Any) -> str:
    return render_report(
        demo.plan,
        roads=demo.roads,
        road_classes=demo.road_classes,
        hub=demo.hub,
        pickups_unassigned_lonlat=demo.unassigned_lonlat,
        **kwargs,
    )


class Network:
    """A stand-in for RoadNetwork: the report reads only its ``graph``."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
