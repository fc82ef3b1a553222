"""A static map of a plan as a PNG, drawn with matplotlib for slides and chat."""

from __future__ import annotations

import io
import math
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from routing.model import Plan, Stop
from routing.report.figures import (
    _NO_COST_COLOUR,
    COST_COLOURS,
    RUN_COLOURS,
    _cost_bins,
    _cost_class,
    _hubs,
    _rmb,
)
from routing.report.geometry import (
    _METRES_PER_DEGREE,
    _ROAD_TIERS,
    FloatArray,
    LonLat,
    _Frame,
    _HasGraph,
    _lonlat_simplified,
    roads_from_network,
)


def write_map_png(
    plan: Plan,
    path: str | Path,
    *,
    network: _HasGraph | None = None,
    roads: Sequence[Sequence[LonLat]] | None = None,
    road_classes: Sequence[str] | None = None,
    hub: LonLat | None = None,
    pickups_unassigned_lonlat: Mapping[str, LonLat] | None = None,
    width_px: int = 1200,
    max_bytes: int = 500_000,
) -> Path:
    """Draw a static map of the plan to a PNG file with matplotlib (no display needed).

    Roads grey (thicker for higher classes), runs coloured as in the HTML report, the
    hub, pickups sized by parcels and coloured by RMB per parcel, unassigned pickups as
    red crosses; the title gives the total cost and RMB per parcel. The image is
    reduced to a palette of 256 colours or fewer when it would exceed ``max_bytes``.

    Parameters
    ----------
    plan : Plan
        The plan to draw.
    path : str or Path
        Where to write the PNG (its directory is created if missing).
    network : RoadNetwork, optional
        Background roads; ``roads``/``road_classes`` may be given instead.
    roads, road_classes, hub, pickups_unassigned_lonlat
        As for :func:`render_report`.
    width_px : int, default 1200
        Width of the image in pixels.
    max_bytes : int, default 500000
        Size above which the image is palettised (best effort: at least 32 colours).

    Returns
    -------
    Path
        The path written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if network is not None and roads is None:
        roads, road_classes = roads_from_network(network)
    unassigned_lonlat = dict(pickups_unassigned_lonlat or {})
    hubs = _hubs(plan, hub)
    stops = [(s, k) for k, r in enumerate(plan.runs) for s in r.stops]
    crosses = [
        unassigned_lonlat[u.pickup_id] for u in plan.unassigned if u.pickup_id in unassigned_lonlat
    ]
    extent: list[LonLat] = [s.location for s, _ in stops] + [p for r in plan.runs for p in r.path]
    frame = _Frame.around(extent + list(hubs.values()) + crosses)
    x0, x1 = frame.west, frame.west + frame.width_m / frame.kx
    y1, y0 = frame.north, frame.north - frame.height_m / _METRES_PER_DEGREE
    lat_c = (y0 + y1) / 2
    aspect = 1 / math.cos(math.radians(lat_c))
    fig_w = width_px / 100
    fig_h = min(max(fig_w * (y1 - y0) * aspect / (x1 - x0) + 0.7, 3.0), fig_w * 1.4)

    fig = Figure(figsize=(fig_w, fig_h), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98 - 0.6 / fig_h))
    ax.set_facecolor("#fbfaf6")
    tolerance_m = frame.width_m / width_px
    _draw_roads(ax, frame, roads or [], road_classes, tolerance_m)
    _draw_runs(ax, frame, plan, hubs, tolerance_m)
    _draw_pickups(fig, ax, [s for s, _ in stops])
    _draw_marks(ax, crosses, hubs)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    _label(ax, plan, bool(crosses))
    data = _png_bytes(fig, max_bytes)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def _draw_roads(
    ax: Any,
    frame: _Frame,
    roads: Sequence[Sequence[LonLat]],
    road_classes: Sequence[str] | None,
    tolerance_m: float,
) -> None:
    """Background roads in grey, one collection per tier, higher classes thicker."""
    from matplotlib.collections import LineCollection

    widths = {1: 1.8, 2: 1.2, 3: 0.7, 4: 0.45}
    tiered: dict[int, list[FloatArray]] = defaultdict(list)
    for i, road in enumerate(roads):
        cls = road_classes[i] if road_classes is not None and i < len(road_classes) else ""
        if len(road) >= 2:
            simple = _lonlat_simplified(frame, road, tolerance_m)
            tiered[_ROAD_TIERS.get(cls.lower(), 3)].append(simple)
    for tier in sorted(tiered, reverse=True):
        ax.add_collection(
            LineCollection(tiered[tier], colors="#b8b2a7", linewidths=widths[tier], zorder=1)
        )


def _draw_runs(
    ax: Any, frame: _Frame, plan: Plan, hubs: Mapping[str, LonLat], tolerance_m: float
) -> None:
    """Runs along their paths, or dashed and straight from stop to stop without one."""
    for k, run in enumerate(plan.runs):
        line = list(run.path) or [
            *([hubs[run.hub_id]] if run.hub_id in hubs else []),
            *(s.location for s in run.stops),
            *([hubs[run.hub_id]] if run.hub_id in hubs else []),
        ]
        if len(line) >= 2:
            arr = _lonlat_simplified(frame, line, tolerance_m)
            ax.plot(
                arr[:, 0],
                arr[:, 1],
                color=RUN_COLOURS[k % len(RUN_COLOURS)],
                lw=1.6,
                ls="-" if run.path else "--",
                zorder=2,
                solid_capstyle="round",
            )


def _draw_pickups(fig: Any, ax: Any, stops: Sequence[Stop]) -> None:
    """Pickups sized by parcels and coloured by RMB per parcel, with a colour bar."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    bins = _cost_bins([s.cost_per_parcel_rmb for s in stops if s.cost_per_parcel_rmb is not None])
    if not stops:
        return
    max_parcels = max(s.parcels + s.delivery_parcels for s in stops) or 1
    order = sorted(stops, key=lambda s: -(s.parcels + s.delivery_parcels))
    xs = [s.lon for s in order]
    ys = [s.lat for s in order]
    sizes = [6 + 90 * (s.parcels + s.delivery_parcels) / max_parcels for s in order]
    colours = [
        _NO_COST_COLOUR
        if s.cost_per_parcel_rmb is None
        else COST_COLOURS[int(_cost_class(s.cost_per_parcel_rmb, bins)[1:])]
        for s in order
    ]
    ax.scatter(xs, ys, s=sizes, c=colours, edgecolors="#2d3339", linewidths=0.5, zorder=3)
    if bins:
        edges = [-1e9, *bins, 1e9]
        used = [COST_COLOURS[int(_cost_class(e, bins)[1:])] for e in [*bins, math.inf]]
        sm = _scalar_mappable(ListedColormap(used), BoundaryNorm(edges, len(used)))
        cax = ax.inset_axes((0.93, 0.04, 0.016, 0.28))
        cb = fig.colorbar(sm, cax=cax, ticks=bins)
        cax.yaxis.set_label_position("left")
        cb.ax.set_yticklabels([f"{b:.2f}" for b in bins], fontsize=8)
        cb.set_label("RMB per parcel", fontsize=8)


def _draw_marks(ax: Any, crosses: Sequence[LonLat], hubs: Mapping[str, LonLat]) -> None:
    """Unassigned pickups as red crosses and hubs as dark squares on top."""
    if crosses:
        arr = np.asarray(crosses)
        ax.scatter(arr[:, 0], arr[:, 1], marker="x", s=40, c="#e41a1c", linewidths=2, zorder=4)
    for lon, lat in hubs.values():
        ax.scatter(
            [lon],
            [lat],
            marker="s",
            s=90,
            c="#102a43",
            edgecolors="white",
            linewidths=1.5,
            zorder=5,
        )


def _label(ax: Any, plan: Plan, crosses: bool) -> None:
    """Plain frame, a title with the plan's cost and a legend of the marks."""
    from matplotlib.lines import Line2D

    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#d9e2ec")
    s = plan.summary
    ax.set_title(
        f"{plan.name} — RMB {_rmb(s.total_cost_rmb)} · RMB {_rmb(s.cost_per_parcel_rmb)} per "
        "parcel · "
        f"{s.runs} runs · {s.parcels:,} parcels · {s.distance_km:,.0f} km",
        fontsize=11,
        loc="left",
    )
    handles = [
        Line2D([], [], marker="s", ls="", color="#102a43", label="hub"),
        Line2D([], [], color=RUN_COLOURS[0], label="run (colour per run)"),
    ]
    if crosses:
        handles.append(Line2D([], [], marker="x", ls="", color="#e41a1c", label="not collected"))
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)


def _png_bytes(fig: Any, max_bytes: int) -> bytes:
    """The figure as PNG, palettised to fewer colours while it exceeds ``max_bytes``."""
    from PIL import Image

    buf = io.BytesIO()
    with warnings.catch_warnings():
        # A plan or village name in Chinese on a machine without a CJK font must not
        # stop the map from being written; the glyphs show as boxes instead.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(
            buf, format="png", dpi=100, facecolor="white", bbox_inches="tight", pad_inches=0.08
        )
    data = buf.getvalue()
    n_colours = 256
    while len(data) > max_bytes and n_colours >= 32:
        # Fewer palette colours until it fits: antialiased lines survive 64 colours well.
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=n_colours)
        small = io.BytesIO()
        img.save(small, format="PNG", optimize=True)
        data = small.getvalue()
        n_colours //= 2
    return data


def _scalar_mappable(cmap: Any, norm: Any) -> Any:
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(norm=norm, cmap=cmap)
    sm.set_array([])
    return sm
