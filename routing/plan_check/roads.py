"""No run drives a closed road or a road class its vehicle must avoid.

Checked on the run's drawn geometry against the full road network (closed roads
still in it): a stretch of the run lying along a forbidden road, not merely crossing
it, is a violation. Runs without geometry (straight-line plans) are not checked here;
their legs are checked against the travel matrices, which the planner builds without
the closed roads and without the classes each vehicle avoids.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import shapely

from routing.model import Run, VehicleType
from routing.network import RoadNetwork
from routing.plan_check.day import Day

#: Degrees (about 0.1 m) within which a stretch of a run lies on a road.
_ON_ROAD_DEG = 1e-6


def _lines(
    network: RoadNetwork, closed: Collection[str], avoid: Collection[str]
) -> shapely.Geometry | None:
    lines = [
        d["geometry"]
        for _, _, d in network.graph.edges(data=True)
        if d.get("road_id") in closed or d.get("road_class") in avoid
    ]
    return shapely.union_all(lines) if lines else None


def _along(
    path: Sequence[tuple[float, float]], roads: shapely.Geometry | None
) -> tuple[float, float] | None:
    """Where a stretch of ``path`` runs along ``roads``, or None."""
    if roads is None or len(path) < 2:
        return None
    xy = np.asarray(path, dtype=np.float64)
    mids = (xy[1:] + xy[:-1]) / 2
    long_enough = np.hypot(*(xy[1:] - xy[:-1]).T) > 2 * _ON_ROAD_DEG
    on = (shapely.distance(shapely.points(mids), roads) < _ON_ROAD_DEG) & long_enough
    if not on.any():
        return None
    lon, lat = mids[int(np.argmax(on))]
    return (round(float(lon), 5), round(float(lat), 5))


def check_roads(day: Day, runs: Sequence[Run], network: RoadNetwork) -> None:
    """Closed roads (``problem.closed_roads``) and avoided classes, run by run."""
    closed = _lines(network, {str(r) for r in day.problem.closed_roads}, ())
    avoided: dict[tuple[str, ...], shapely.Geometry | None] = {}
    for run in runs:
        vt: VehicleType | None = day.types.get(run.vehicle_type)
        if vt is None:
            continue
        where = f"{run.vehicle} run {run.run}"
        at = _along(run.path, closed)
        if at is not None:
            day.bad("closed_road", where, f"drives a road closed today near {at}", run=run)
        key = tuple(sorted(vt.avoid_road_classes))
        if key and key not in avoided:
            avoided[key] = _lines(network, (), key)
        at = _along(run.path, avoided.get(key))
        if at is not None:
            day.bad(
                "road_profile",
                where,
                f"drives a road of a class {vt.name} avoids near {at}",
                run=run,
            )
