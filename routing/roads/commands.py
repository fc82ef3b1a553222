"""``hubroute network info|export``: look at a road network, or open it in QGIS. Thin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from routing.network import RoadNetwork

network_app = typer.Typer(help="Inspect and export road networks (OSM or road files).")
console = Console()

RoadFile = Annotated[
    Path, typer.Argument(help="Road file: .osm.pbf, .osm(.bz2/.gz), .graphml, .gpkg...")
]
Elevation = Annotated[
    Path | None, typer.Option("--elevation", help="SRTM .hgt tiles (file, zip or folder).")
]
Profile = Annotated[
    str, typer.Option("--road-profile", help="OSM road profile: rural_china, europe or a TOML.")
]


def _load(path: Path, elevation: Path | None, profile: str) -> RoadNetwork:
    from routing.road_file import network_from_file

    return network_from_file(path, elevation=elevation, road_profile=profile)


@network_app.command("info")
def info(
    road_file: RoadFile, elevation: Elevation = None, road_profile: Profile = "rural_china"
) -> None:
    """Nodes and edges (raw and contracted), km per class, components, bbox, tag problems."""
    from routing.console import guarded
    from routing.roads.info import summarise

    s = guarded(lambda: summarise(_load(road_file, elevation, road_profile)))
    table = Table(title=f"road network {road_file.name}", show_header=False)
    if s.raw_nodes is not None:
        table.add_row("raw graph", f"{s.raw_nodes:,} nodes, {s.raw_edges:,} edges")
        table.add_row(
            "contracted", f"{s.nodes:,} nodes, {s.edges:,} edges (ratio {s.contraction_ratio:.3f})"
        )
    else:
        table.add_row("graph", f"{s.nodes:,} nodes, {s.edges:,} edges")
    table.add_row("km per class", ", ".join(f"{k} {v:,.1f}" for k, v in s.km_by_class.items()))
    table.add_row(
        "components", f"{s.components} (largest {s.largest_component_nodes:,} nodes, strongly)"
    )
    table.add_row("bbox", "{:.5f}, {:.5f}, {:.5f}, {:.5f}".format(*s.bbox))
    table.add_row("places", str(s.places))
    table.add_row("elevation", s.elevation or "none")
    table.add_row("tag problems", "\n".join(s.tag_problems[:20]) or "none")
    console.print(table)


@network_app.command("export")
def export(
    road_file: RoadFile,
    out: Annotated[Path, typer.Option("--out", help="GeoPackage to write (.gpkg).")],
    elevation: Elevation = None,
    road_profile: Profile = "rural_china",
) -> None:
    """Write the roads (and places) as a GeoPackage for QGIS."""
    from routing.console import guarded
    from routing.roads.info import export_gpkg

    written = guarded(lambda: export_gpkg(_load(road_file, elevation, road_profile), out))
    console.print(f"wrote {written}", highlight=False)
