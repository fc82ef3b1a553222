"""The HTML dispatch report: one self-contained page for a :class:`Plan`.

The page works offline: CSS and JavaScript are inlined and nothing is fetched (no CDN,
tiles, web fonts or images), so it can be mailed or copied to a phone in a village
without signal.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path

from routing.model import Plan
from routing.report.figures import RUN_COLOURS, _e, _hubs, _rmb, _savings, _villages
from routing.report.geometry import LonLat, _HasGraph, roads_from_network
from routing.report.map_svg import _map
from routing.report.sections import (
    _baselines_section,
    _kpis,
    _load_chart,
    _run_details,
    _run_details_px,
    _runs_table,
    _sheets,
    _unassigned_section,
    _villages_table,
)


def _palette_css() -> str:
    return (
        "\n".join(
            f".r{i}{{stroke:{c}}}.sw.r{i}{{background:{c}}}" for i, c in enumerate(RUN_COLOURS)
        )
        + "\ntr.hl{background:#e6f0fa}"
    )


def _template(name: str) -> str:
    return (files("routing.report") / "templates" / name).read_text(encoding="utf-8")


def render_report(
    plan: Plan,
    *,
    roads: Sequence[Sequence[LonLat]] | None = None,
    road_classes: Sequence[str] | None = None,
    hub: LonLat | None = None,
    pickups_unassigned_lonlat: Mapping[str, LonLat] | None = None,
    places: Sequence[tuple[str, LonLat]] = (),
    attribution: str = "",
) -> str:
    """Render a plan as one self-contained, offline HTML dispatch report.

    The page holds the summary (cost, RMB per parcel and the saving per parcel where
    the plan states a baseline), an SVG map with zoom, pan and hover details, a table
    of runs, a chart of parcels on board over the day, run details, the cost per
    village and a printable run sheet per run. It loads nothing from the network.

    Parameters
    ----------
    plan : Plan
        The plan to show; not modified.
    roads : sequence of sequences of (lon, lat), optional
        Background road lines in WGS84, drawn grey; simplified to about 20 m. Lines far
        outside the plan's extent are left out.
    road_classes : sequence of str, optional
        One road class per line of ``roads`` (``"expressway"``, ``"provincial"``,
        ``"county"``, ``"village"``, ``"track"``, OSM highway values...); higher classes
        are drawn thicker. Unknown classes are drawn as county roads.
    hub : (lon, lat), optional
        Where the hub is. By default the first vertex of each hub's run paths.
    pickups_unassigned_lonlat : mapping of pickup id to (lon, lat), optional
        Positions of unassigned pickups, marked with red crosses; those not given are
        listed in the report but not drawn.
    places : sequence of (name, (lon, lat)), optional
        Place names to label on the map; with them or an attribution the map also
        gets a scale bar.
    attribution : str, optional
        The map data's credit, drawn on the map and in the footer (OpenStreetMap data:
        "© OpenStreetMap contributors, ODbL").

    Returns
    -------
    str
        The HTML document (UTF-8 text).
    """
    unassigned_lonlat = dict(pickups_unassigned_lonlat or {})
    villages = _villages(plan)
    savings = _savings(plan)
    hubs = _hubs(plan, hub)
    m = _map(plan, roads or (), road_classes, hubs, unassigned_lonlat, places, attribution)
    s = plan.summary
    subtitle = (
        f"{s.runs} runs · {s.parcels:,} parcels · RMB {_rmb(s.total_cost_rmb)} · "
        f"RMB {_rmb(s.cost_per_parcel_rmb)} per parcel · allocation: {_e(plan.allocation_method)}"
    )
    footer = f"solver {_e(s.solver)} · " if s.solver else ""
    footer += (
        "map: equirectangular, simplified to about 20 m; background roads as given to the report"
    )
    if attribution:
        footer += f" · map data {_e(attribution)}"
    return string.Template(_template("report.html")).substitute(
        title=_e(plan.name),
        subtitle=subtitle,
        css=_template("report.css") + _palette_css(),
        js=_template("report.js"),
        kpis=_kpis(plan, villages, savings),
        baselines=_baselines_section(plan, savings),
        map=m.svg,
        legend=m.legend,
        runs_table=_runs_table(plan),
        load_chart=_load_chart(plan),
        villages=_villages_table(plan, villages),
        unassigned=_unassigned_section(plan.unassigned),
        run_details=_run_details(plan),
        run_details_px=_run_details_px(plan),
        sheets=_sheets(plan),
        footer=footer,
    )


def write_report(
    plan: Plan,
    out_dir: str | Path,
    *,
    network: _HasGraph | None = None,
    hub: LonLat | None = None,
    pickups_unassigned_lonlat: Mapping[str, LonLat] | None = None,
    filename: str = "report.html",
) -> Path:
    """Write ``report.html`` for a plan into ``out_dir`` (created if missing).

    Parameters
    ----------
    plan : Plan
        The plan to report on.
    out_dir : str or Path
        Directory for the report.
    network : RoadNetwork, optional
        Road network drawn as the map's background (see :func:`roads_from_network`).
    hub, pickups_unassigned_lonlat
        As for :func:`render_report`.
    filename : str, default "report.html"
        Name of the file written.

    Returns
    -------
    Path
        The path of the written file.
    """
    roads, classes = roads_from_network(network) if network is not None else ([], [])
    meta = network.graph.graph if network is not None else {}
    osm = meta.get("source") == "osm"  # routing.roads: label its places, credit OSM
    text = render_report(
        plan,
        roads=roads,
        road_classes=classes,
        hub=hub,
        pickups_unassigned_lonlat=pickups_unassigned_lonlat,
        places=[
            (p.name, (p.lon, p.lat))
            for p in meta.get("places", ())
            if osm and p.kind in ("city", "town", "village", "hamlet")
        ],
        attribution="© OpenStreetMap contributors, ODbL" if osm else "",
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    path.write_text(text, encoding="utf-8")
    return path
