"""Real roads: OpenStreetMap networks, road profiles, elevation and vehicle-specific routing.

``read_roads(path)`` reads an ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` or
osmnx ``.graphml`` file through a road profile, merges degree-2 chains and, with SRTM
tiles, adds the climbs; the result is an ordinary
:class:`~routing.network.RoadNetwork` with extra edge attributes, so everything that
takes a road network takes it.
"""

from __future__ import annotations

from pathlib import Path

from routing.network import RoadNetwork
from routing.roads.osm import OSM_SUFFIXES, is_osm_path
from routing.roads.profile import DEFAULT_PROFILE

__all__ = ["OSM_SUFFIXES", "is_osm_path", "read_roads"]


def read_roads(
    path: str | Path,
    *,
    profile: str | Path = DEFAULT_PROFILE,
    elevation: str | Path | None = None,
) -> RoadNetwork:
    """Read an OpenStreetMap road file into a contracted, routable network.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz`` or osmnx ``.graphml``.
    profile
        A shipped road profile (``rural_china``, ``europe``) or a profile TOML.
    elevation
        An SRTM ``.hgt`` tile, a zip of tiles or a folder of them.

    Raises
    ------
    NetworkError
        If a file cannot be read or no road may be driven; InputError for a bad profile.
    """
    from routing.roads.contract import contract
    from routing.roads.elevation import load_elevation
    from routing.roads.osm import read_raw
    from routing.roads.profile import load_profile

    rules = load_profile(profile)
    dem = load_elevation(elevation) if elevation is not None else None
    raw = read_raw(path, rules)
    return contract(raw, elevation=dem, meta={"profile": rules.name, "file": str(path)})
