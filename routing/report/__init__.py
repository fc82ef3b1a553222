"""Dispatch reports: one self-contained HTML page and a static map for a :class:`Plan`.

The HTML report (:func:`render_report`, :func:`write_report`) is what planners and drivers
open: summary figures, an SVG map with zoom, pan and hover details, run tables, a load
chart, the cost per village and printable run sheets. It works offline: CSS and
JavaScript are inlined and nothing is fetched (no CDN, tiles, web fonts or images), so it
can be mailed or copied to a phone in a village without signal.

The map is drawn from the plan's own data in an equirectangular projection scaled by
``cos(lat)``, in whole metres from the top-left corner of the map's extent (which keeps
a precision of about 1 m, as five decimals of a degree would). Run paths and background
roads are simplified to about 20 m, so a 2,000-pickup plan stays well under 5 MB; until
the map is first zoomed, runs are drawn simplified to under a pixel, and the run
details and run sheets are laid out only when scrolled to or printed, so that big
reports open quickly.

:func:`write_map_png` draws the same picture with matplotlib for slides and chat.
:func:`demo_plan` builds a random but valid plan for demonstrations, tests and
benchmarks.

Modules: :mod:`~routing.report.html` (the page), :mod:`~routing.report.sections` (its
tables and charts), :mod:`~routing.report.map_svg` (its map),
:mod:`~routing.report.map_png` (the PNG), :mod:`~routing.report.figures` (colours,
formatting, savings), :mod:`~routing.report.geometry` (projection, simplification, road
lines) and :mod:`~routing.report.demo` (synthetic plans).
"""

from routing.report.demo import DemoPlan, demo_plan
from routing.report.figures import RUN_COLOURS
from routing.report.geometry import roads_from_network
from routing.report.html import render_report, write_report
from routing.report.map_png import write_map_png

__all__ = [
    "RUN_COLOURS",
    "DemoPlan",
    "demo_plan",
    "render_report",
    "roads_from_network",
    "write_map_png",
    "write_report",
]
