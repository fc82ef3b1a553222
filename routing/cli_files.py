"""Files the plan commands read and write around a plan: the road file, the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from routing.console import console
from routing.model import Plan
from routing.network import RoadNetwork


def read_network(
    path: Path | None,
    elevation: Path | None,
    road_profile: str,
    step: Callable[[str], None],
    timings: dict[str, float],
) -> RoadNetwork | None:
    """The road file, timed; a note on OSM values the road profile skipped."""
    import time as _time

    from routing.road_file import network_from_file

    if path is None:
        return None
    step("road network")
    t0 = _time.perf_counter()
    network = network_from_file(path, elevation=elevation, road_profile=road_profile)
    timings["network"] = round(_time.perf_counter() - t0, 3)
    if network.graph.graph.get("tag_issues"):
        console.print(
            f"OSM tags: {len(network.graph.graph['tag_issues'])} values not "
            "understood (listed by `hubroute network info`)",
            highlight=False,
        )
    return network


def write_report_files(plan: Plan, out: Path, network: RoadNetwork | None) -> list[Path]:
    """report.html and map.png beside the plan; unassigned pickups drawn too."""
    from routing.report import write_map_png, write_report

    unassigned = {u.pickup_id: u.location for u in plan.unassigned if u.location is not None}
    return [
        write_report(plan, out, network=network, pickups_unassigned_lonlat=unassigned),
        write_map_png(plan, out / "map.png", network=network, pickups_unassigned_lonlat=unassigned),
    ]
