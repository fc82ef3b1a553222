"""The hubs this service plans for: read from a TOML file at start-up.

Each hub has a location, an optional road network file, named fleets (fleet TOML
files) and a village gazetteer (a CSV with village names and coordinates) so that a
request may name a village instead of giving coordinates. Relative paths in the TOML
are relative to the TOML file. See ``service/hubs.example.toml``.
"""

from __future__ import annotations

import csv
import difflib
import logging
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from routing import CostModel, read_cost_model
from routing.errors import InputError, NetworkError
from routing.errors import Problem as InputProblem
from routing.io import read_fleet
from routing.model import Hub, Lat, Lon, VehicleType, input_error_from_validation
from routing.units import parse_clock

if TYPE_CHECKING:
    from routing.network import RoadNetwork

log = logging.getLogger("service.hubs")


class HubConfig(BaseModel):
    """One ``[[hubs]]`` table of the hubs file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=128, pattern=r"^[^\s,;/]+$")
    scenario: Path | None = Field(
        None,
        description="A scenario TOML ([hub], [files] pickups/fleet/roads) filling the "
        "location, road file, gazetteer (its pickups CSV) and a fleet named 'default'.",
    )
    name: str = ""
    lon: Lon
    lat: Lat
    open: str = "00:00"
    close: str = "24:00"
    roads: Path | None = Field(None, description="Road network file (GeoJSON/GeoPackage).")
    villages: Path | None = Field(None, description="Gazetteer CSV: village, lon, lat.")
    fleets: dict[str, Path] = Field(default_factory=dict, description="name -> fleet TOML.")
    default_fleet: str | None = None
    cost_model: Path | None = Field(
        None,
        description="The hub's cost model TOML (see fixtures/costs/xinping.toml); plans "
        "and quotes are priced with it as `hubroute plan --cost-model` prices them. "
        "Omit: the fleet files' rates.",
    )


class HubsFile(BaseModel):
    """The hubs file: a list of ``[[hubs]]`` tables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hubs: tuple[HubConfig, ...] = Field(min_length=1)


def normalise_village(name: str) -> str:
    """Key for gazetteer look-ups: NFKC, case-folded, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@dataclass(frozen=True)
class Village:
    """A gazetteer entry: its id, its name and every other name it is found by."""

    name: str
    lon: float
    lat: float
    township: str = ""
    id: str = ""
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class HubRuntime:
    """A hub ready to serve: its config, fleets, gazetteer and (optional) road network."""

    config: HubConfig
    hub: Hub
    fleets: Mapping[str, tuple[VehicleType, ...]]
    villages: Mapping[str, Village]
    network: RoadNetwork | None = None
    network_path: str | None = None
    notes: tuple[str, ...] = field(default=())
    cost_model: CostModel | None = None

    @property
    def id(self) -> str:
        """The hub id."""
        return self.config.id

    def village(self, name: str) -> Village | None:
        """Look a village up by any of its names (case and width insensitive)."""
        return self.villages.get(normalise_village(name))

    def closest_villages(self, name: str, n: int = 3) -> list[str]:
        """The names of up to ``n`` villages whose names are closest to ``name``."""
        keys = difflib.get_close_matches(normalise_village(name), self.villages, n=3 * n)
        out: list[str] = []
        for key in keys:
            found = self.villages[key].name
            if found not in out:
                out.append(found)
        return out[:n]

    def gazetteer(self) -> list[Village]:
        """Each village once, in the gazetteer's order."""
        return list({id(v): v for v in self.villages.values()}.values())

    @cached_property
    def report_roads(self) -> tuple[list[list[tuple[float, float]]], list[str]]:
        """The road network as the report map's background: lines and their road classes.

        Drawn on first use from the network loaded at start-up (else from this process's
        network cache) and kept with the hub: simplifying every road of a county takes
        seconds, too long to repeat for each report. No lines without a road network.
        """
        network = self.network
        if network is None and self.network_path:
            from service.jobs import network_for

            network = network_for(self.network_path)
        if network is None:
            return [], []
        from routing.report import roads_from_network

        return roads_from_network(network)


_NAME_COLS = ("village", "name", "village_name", "name_zh", "village_zh")
_LON_COLS = ("lon", "longitude", "lon_wgs84", "lng", "x")
_LAT_COLS = ("lat", "latitude", "lat_wgs84", "y")
_ID_COLS = ("village_id", "id")


def read_gazetteer(path: Path) -> dict[str, Village]:
    """Read a village CSV (columns ``village``/``name``, ``lon``, ``lat``) keyed by every name.

    A village goes by its name, by the other name columns of its row (``name_zh``...)
    and by each word of a name when no other village has that word, so "Qingshu 青树",
    "Qingshu" and "青树" are one village. Its id is the ``village_id``/``id`` column, else
    ``v<row>``. Rows without coordinates are skipped; the first row of a repeated name wins.

    Raises
    ------
    InputError
        If the file cannot be read or lacks the columns.
    """
    record = f"gazetteer {str(path)!r}"
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            cols = {c.strip().lower(): c for c in reader.fieldnames or ()}
            name_cols = [cols[c] for c in _NAME_COLS if c in cols]
            lon_col = next((cols[c] for c in _LON_COLS if c in cols), None)
            lat_col = next((cols[c] for c in _LAT_COLS if c in cols), None)
            if not (name_cols and lon_col and lat_col):
                raise InputError(
                    InputProblem(record, "", "needs columns village (or name), lon and lat")
                )
            id_col = next((cols[c] for c in _ID_COLS if c in cols), None)
            town_col = cols.get("township") or cols.get("township_zh")
            rows = [
                _gazetteer_row(row, n, name_cols, (lon_col, lat_col), id_col, town_col)
                for n, row in enumerate(reader, start=1)
            ]
    except OSError as exc:
        raise InputError(InputProblem(record, "", f"cannot be read ({exc})")) from None
    return _index_villages([r for r in rows if r is not None])


def _gazetteer_row(
    row: dict[str, str],
    n: int,
    name_cols: list[str],
    lonlat_cols: tuple[str, str],
    id_col: str | None,
    town_col: str | None,
) -> Village | None:
    try:
        lon, lat = float(row[lonlat_cols[0]]), float(row[lonlat_cols[1]])
    except (TypeError, ValueError):
        return None
    names = [(row.get(c) or "").strip() for c in name_cols]
    names = list(dict.fromkeys(x for x in names if x))
    if not names:
        return None
    town = (row.get(town_col) or "").strip() if town_col else ""
    vid = ((row.get(id_col) or "").strip() if id_col else "") or f"v{n}"
    return Village(names[0], lon, lat, town, vid, tuple(names))


def _index_villages(rows: list[Village]) -> dict[str, Village]:
    out: dict[str, Village] = {}
    kept: list[Village] = []
    for village in rows:
        if normalise_village(village.name) in out:
            continue
        kept.append(village)
        for name in village.names:
            out.setdefault(normalise_village(name), village)
    # "Yani 亚尼" is also found as "Yani" or "亚尼" when that word is its alone.
    words: dict[str, list[tuple[Village, str]]] = {}
    for village in kept:
        for name in village.names:
            for word in name.split():
                if len(name.split()) > 1:
                    words.setdefault(normalise_village(word), []).append((village, word))
    extra: dict[int, list[str]] = {}
    for key, found in words.items():
        if len({id(v) for v, _ in found}) == 1 and key not in out:
            out[key] = found[0][0]
            extra.setdefault(id(found[0][0]), []).append(found[0][1])
    # Each village (as one object under all its keys) lists every name it goes by.
    whole = {id(v): replace(v, names=(*v.names, *extra.get(id(v), ()))) for v in kept}
    return {key: whole[id(v)] for key, v in out.items()}


def read_fleet_file(path: Path) -> tuple[VehicleType, ...]:
    """Read a fleet TOML (``[[vehicle_type]]`` tables) with :func:`routing.io.read_fleet`.

    Raises
    ------
    InputError
        Naming each bad vehicle type and field.
    """
    return tuple(read_fleet(path))


def _resolve(base: Path, p: Path | None) -> Path | None:
    if p is None:
        return None
    return p if p.is_absolute() else (base / p).resolve()


def _from_scenario(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Fill a hub table's missing fields from the scenario TOML it names."""
    path = _resolve(base, Path(raw["scenario"]))
    assert path is not None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(InputProblem(f"hub {raw.get('id')!r}", "scenario", str(exc))) from None
    hub = data.get("hub") or (data.get("hubs") or [{}])[0]
    files = data.get("files", {})
    out = dict(raw)
    out["scenario"] = str(path)
    if "location" in hub and isinstance(hub["location"], str):
        lon, lat = (float(x) for x in hub["location"].split(","))
        hub = {**hub, "lon": lon, "lat": lat}
    for key in ("name", "lon", "lat"):
        if key in hub:
            out.setdefault(key, hub[key])
    for key, names in (("open", ("open", "open_s")), ("close", ("close", "close_s"))):
        for name in names:
            if name in hub:
                value = hub[name]
                out.setdefault(key, value if isinstance(value, str) else _hhmm(int(value)))
    root = path.parent
    if files.get("roads"):
        out.setdefault("roads", str(root / files["roads"]))
    if files.get("pickups"):
        out.setdefault("villages", str(root / files["pickups"]))
    fleets = dict(out.get("fleets", {}))
    if files.get("fleet"):
        fleets.setdefault("default", str(root / files["fleet"]))
        out.setdefault("default_fleet", "default")
    out["fleets"] = fleets
    return out


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{(seconds % 3600) // 60:02d}"


def read_hubs_file(path: Path) -> tuple[HubConfig, ...]:
    """Parse and validate the hubs TOML; paths become absolute.

    Raises
    ------
    InputError
        Naming each bad hub and field.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(InputProblem(f"hubs file {str(path)!r}", "", str(exc))) from None
    base = path.resolve().parent
    if isinstance(data.get("hubs"), list):
        data = {
            **data,
            "hubs": [
                _from_scenario(h, base) if isinstance(h, dict) and h.get("scenario") else h
                for h in data["hubs"]
            ],
        }
    try:
        parsed = HubsFile.model_validate(data)
    except ValidationError as exc:
        raise input_error_from_validation(exc, data) from None
    hubs = tuple(
        h.model_copy(
            update={
                "roads": _resolve(base, h.roads),
                "villages": _resolve(base, h.villages),
                "fleets": {k: _resolve(base, v) for k, v in h.fleets.items()},
                "cost_model": _resolve(base, h.cost_model),
            }
        )
        for h in parsed.hubs
    )
    ids = [h.id for h in hubs]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise InputError(InputProblem("hubs file", "id", f"duplicate hub ids {dups}"))
    return hubs


def load_hub(config: HubConfig, *, max_hub_snap_m: float, load_network: bool = True) -> HubRuntime:
    """Load a hub's fleets, gazetteer and road network (once, at start-up).

    Parameters
    ----------
    config
        The hub's table of the hubs file.
    max_hub_snap_m
        Farthest the hub may lie from a road of its network, metres (the setting
        ``max_hub_snap_m``).
    load_network
        Read the road file (else planning reads it in the solver processes).

    Raises
    ------
    InputError
        If a file named in the config is missing or invalid, or the hub lies farther
        than ``max_hub_snap_m`` from its roads (every plan would be refused).
    """
    hub = Hub(
        id=config.id,
        name=config.name or config.id,
        lon=config.lon,
        lat=config.lat,
        open_s=parse_clock(config.open),
        close_s=parse_clock(config.close),
    )
    fleets = {name: read_fleet_file(p) for name, p in config.fleets.items()}
    villages = read_gazetteer(config.villages) if config.villages else {}
    cost_model = read_cost_model(config.cost_model) if config.cost_model else None
    network = None
    notes: list[str] = []
    if config.roads is not None and load_network:
        from routing.road_file import network_from_file

        network = network_from_file(config.roads)
        check_hub_on_roads(hub, network, config.roads, max_hub_snap_m=max_hub_snap_m)
    elif config.roads is None:
        notes.append("no road network configured: travel times are straight-line estimates")
    return HubRuntime(
        config=config,
        hub=hub,
        fleets=fleets,
        villages=villages,
        network=network,
        network_path=str(config.roads) if config.roads else None,
        notes=tuple(notes),
        cost_model=cost_model,
    )


def check_hub_on_roads(
    hub: Hub, network: RoadNetwork, roads: Path, *, max_hub_snap_m: float
) -> None:
    """Refuse a hub farther than ``max_hub_snap_m`` from the roads it plans on.

    Raises
    ------
    NetworkError
        Naming the hub, its distance from the nearest road and the fix.
    """
    from routing.paths import snap_points

    fix = (
        f"of its road network {str(roads)!r}; check the hub's lon/lat in the hubs file, "
        "give a road file that covers it, or raise HUBROUTE_MAX_HUB_SNAP_M"
    )
    try:
        snap_points(network, [(hub.id, hub.lon, hub.lat)], max_snap_m=max_hub_snap_m, kind="hub")
    except NetworkError as exc:
        raise NetworkError(
            [
                InputProblem(
                    p.record, p.field, f"{p.message.removesuffix('; check its coordinates')} {fix}"
                )
                for p in exc.problems
            ]
        ) from None
    except ValueError as exc:
        # A position the network's projection cannot place (far off the map).
        raise NetworkError(
            InputProblem(f"hub {hub.id!r}", "lon/lat", f"cannot be placed ({exc}) {fix}")
        ) from None


def load_hubs(
    path: Path | None, *, max_hub_snap_m: float, load_networks: bool = True
) -> dict[str, HubRuntime]:
    """Load every hub of the hubs file (none if ``path`` is None).

    Raises
    ------
    InputError
        Naming each bad hub and field (a hub off its roads included).
    """
    if path is None:
        log.warning("no hubs_file configured: the service knows no hubs")
        return {}
    hubs = {}
    for config in read_hubs_file(path):
        hubs[config.id] = load_hub(
            config, load_network=load_networks, max_hub_snap_m=max_hub_snap_m
        )
        log.info("loaded hub %s", config.id, extra={"hub": config.id})
    return hubs


def hub_payload(runtime: HubRuntime) -> dict[str, Any]:
    """The hub as plain data for a job payload."""
    return runtime.hub.model_dump(mode="json")
