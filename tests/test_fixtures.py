"""The committed fixtures: deterministic generator, sane Xinping day, calibration.

The Xinping tests need the county facts in ``../shared/xinping`` (beside the
repository); they are skipped when that folder is absent.
"""

from __future__ import annotations

import csv
import functools
import itertools
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from routing.io import PICKUP_COLUMNS

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "fixtures"
XP = FIX / "xinping"
SMALL = FIX / "small"
SHARED = REPO.parent / "shared"
GENERATOR = FIX / "make_xinping.py"
SPEED_KPH = {
    "expressway": 80.0,
    "trunk": 50.0,
    "primary": 40.0,
    "secondary": 30.0,
    "county": 25.0,
    "village": 18.0,
    "track": 10.0,
}
TO_XY = Transformer.from_crs("EPSG:4326", "EPSG:32647", always_xy=True)


def needs_shared(fn):  # type: ignore[no-untyped-def]
    """../shared/xinping is part of the checkout's surroundings (CI has it): fail loudly."""

    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert (SHARED / "xinping" / "townships.csv").is_file(), f"{SHARED}/xinping is missing"
        return fn(*args, **kwargs)

    return functools.wraps(fn)(wrapped)


def _toml(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _pickups(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _lines_xy(roads: dict) -> list[shapely.LineString]:
    out = []
    for f in roads["features"]:
        arr = np.asarray(f["geometry"]["coordinates"])
        out.append(shapely.LineString(np.column_stack(TO_XY.transform(arr[:, 0], arr[:, 1]))))
    return out


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), "--shared", str(SHARED), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def seeds() -> dict:
    return _toml(REPO / "seeds" / "xinping.toml")


@pytest.fixture(scope="module")
def roads() -> dict:
    return json.loads((XP / "roads.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenario() -> dict:
    return _toml(XP / "scenario.toml")


@pytest.fixture(scope="module")
def pickups() -> list[dict[str, str]]:
    return _pickups(XP / "pickups.csv")


# ----------------------------------------------------------------- determinism


@needs_shared
@pytest.mark.slow
def test_generator_is_deterministic_and_matches_committed_files(tmp_path: Path) -> None:
    """Two runs give identical bytes, identical to the committed fixtures/xinping."""
    for name in ("a", "b"):
        done = _run("--out", tmp_path / name)
        assert done.returncode == 0, done.stdout + done.stderr
    for f in ("roads.geojson", "pickups.csv", "fleet.toml", "scenario.toml"):
        first = (tmp_path / "a" / f).read_bytes()
        assert first == (tmp_path / "b" / f).read_bytes(), f"{f} differs between runs"
        assert first == (XP / f).read_bytes(), f"fixtures/xinping/{f} is stale; rerun the generator"


# ----------------------------------------------------------------- the road file


def test_roads_schema_and_size(roads: dict) -> None:
    """LineStrings in WGS84 with id, road_class, name, oneway and synthetic=true; < 2 MB."""
    assert (XP / "roads.geojson").stat().st_size < 2_000_000
    ids = set()
    classes = set()
    for f in roads["features"]:
        p = f["properties"]
        assert f["geometry"]["type"] == "LineString"
        assert p["road_class"] in SPEED_KPH
        assert isinstance(p["oneway"], bool)
        assert p["synthetic"] is True
        assert p["name"]
        ids.add(p["id"])
        classes.add(p["road_class"])
        lon, lat = np.asarray(f["geometry"]["coordinates"]).T
        assert (lon > 101.0).all()
        assert (lon < 102.5).all()
        assert (lat > 23.4).all()
        assert (lat < 24.6).all()
    assert len(ids) == len(roads["features"])
    assert classes == set(SPEED_KPH), "every road class appears"
    assert sum(f["properties"]["oneway"] for f in roads["features"]) >= 4


def test_roads_meet_only_at_end_points(roads: dict) -> None:
    """No road end touches another road except at that road's own end points."""
    lines = _lines_xy(roads)
    tree = shapely.STRtree(lines)
    for i, line in enumerate(lines):
        for end in (shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])):
            for j in tree.query(end, predicate="dwithin", distance=1.0):
                if j == i:
                    continue
                other = lines[int(j)]
                d = min(end.distance(shapely.Point(other.coords[k])) for k in (0, -1))
                assert d < 1.0, f"road {i} ends on the middle of road {int(j)}"


def test_village_roads_wind(roads: dict) -> None:
    """Village roads and tracks are polylines with many vertices."""
    village = [f for f in roads["features"] if f["properties"]["road_class"] == "village"]
    vertices = [len(f["geometry"]["coordinates"]) for f in village]
    assert np.median(vertices) >= 10


# ----------------------------------------------------------------- the day


def test_pickup_columns_and_counts(pickups: list[dict[str, str]], seeds: dict) -> None:
    """Exact columns; 80-120 pickups; about a day's navel oranges plus other produce."""
    with open(XP / "pickups.csv", encoding="utf-8") as fh:
        assert tuple(fh.readline().strip().split(",")) == PICKUP_COLUMNS
    assert 80 <= len(pickups) <= 120
    assert len({p["id"] for p in pickups}) == len(pickups)
    kg = sum(float(p["weight_kg"]) for p in pickups)
    per_day_kg = seeds["season"]["navel_orange_t_per_day"] * 1000
    assert per_day_kg <= kg <= 1.3 * per_day_kg
    parcels = sum(int(p["parcels"]) for p in pickups)
    assert 10 <= kg / parcels <= 20


def test_pickups_weighted_to_fruit_townships(
    pickups: list[dict[str, str]], seeds: dict, scenario: dict
) -> None:
    """Gasa and Mosha (the Red River valley) carry most of the produce."""
    fruit = set(seeds["xinping"]["fruit_townships"])
    kg = sum(float(p["weight_kg"]) for p in pickups)
    fruit_kg = sum(float(p["weight_kg"]) for p in pickups if p["township"] in fruit)
    assert fruit_kg / kg > 0.5
    ids = {p["id"] for p in pickups}
    assert set(scenario["produce"]["navel_orange_pickups"]) <= ids


def test_pickup_features(pickups: list[dict[str, str]], seeds: dict) -> None:
    """Tight windows, optional prizes, busy stations (80-90 items), narrow roads."""
    st = seeds["stations"]
    tight = [p for p in pickups if p["ready"] == "10:00" and p["close"] == "17:00"]
    assert len(tight) >= 3
    assert 1 <= sum(1 for p in pickups if p["prize_rmb"]) <= 5
    busiest = max(int(p["delivery_parcels"] or 0) for p in pickups)
    assert st["station_items_per_day_min"] <= busiest <= st["station_items_per_day_max"]
    assert any(p["allowed_vehicle_types"] for p in pickups)
    for p in pickups:
        assert int(p["parcels"]) > 0
        assert float(p["weight_kg"]) > 0


@needs_shared
def test_pickups_inside_county_outline(pickups: list[dict[str, str]]) -> None:
    """Every pickup lies inside Xinping's real outline (Vonng/adcode)."""
    outline = json.loads(
        (SHARED / "xinping" / "county_boundary_wgs84.geojson").read_text(encoding="utf-8")
    )
    poly = shapely.geometry.shape(outline["features"][0]["geometry"])
    outside = [
        p["id"]
        for p in pickups
        if not poly.contains(shapely.Point(float(p["lon"]), float(p["lat"])))
    ]
    assert outside == []


def test_every_pickup_within_2_km_of_a_road(roads: dict, pickups: list[dict[str, str]]) -> None:
    """Each pickup is on or within 2 km of a road."""
    tree = shapely.STRtree(_lines_xy(roads))
    pts = shapely.points([TO_XY.transform(float(p["lon"]), float(p["lat"])) for p in pickups])
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    assert float(np.max(dist)) <= 2000


# ----------------------------------------------------------------- calibration


def _check_calibration(
    graph: nx.MultiDiGraph, hub: object, nodes: dict[str, object], seeds: dict, orange: set[str]
) -> tuple[float, float]:
    times = nx.single_source_dijkstra_path_length(graph, hub, weight="travel_time_s")
    far = max((i for i in orange if nodes[i] in times), key=lambda i: times[nodes[i]])
    path = nx.dijkstra_path(graph, hub, nodes[far], weight="travel_time_s")
    m = s = 0.0
    for u, v in itertools.pairwise(path):
        e = min(graph[u][v].values(), key=lambda d: d["travel_time_s"])
        m += e["length_m"]
        s += e["travel_time_s"]
    c = seeds["calibration"]
    km, h = m / 1000, s / 3600
    tol_km = c["farthest_community_road_km"] * c["road_km_tolerance_pct"] / 100
    assert abs(km - c["farthest_community_road_km"]) <= tol_km, f"{far}: {km:.1f} km"
    assert abs(h - c["farthest_community_drive_h"]) <= c["drive_h_tolerance_h"], f"{far}: {h:.2f} h"
    return km, h


def test_calibration_with_networkx(
    roads: dict, pickups: list[dict[str, str]], scenario: dict, seeds: dict
) -> None:
    """Farthest navel-orange pickup: 130 km ±10% and 8 h ±1 h on the fastest path (class speeds)."""
    g = nx.MultiDiGraph()
    for f, line in zip(roads["features"], _lines_xy(roads), strict=True):
        p = f["properties"]
        a, b = line.coords[0], line.coords[-1]
        u, v = (round(a[0]), round(a[1])), (round(b[0]), round(b[1]))
        d = {
            "length_m": line.length,
            "travel_time_s": line.length / (SPEED_KPH[p["road_class"]] / 3.6),
        }
        g.add_edge(u, v, **d)
        if not p["oneway"]:
            g.add_edge(v, u, **d)
    node_list = list(g.nodes)
    kd = np.asarray(node_list, dtype=float)

    def nearest(lon: float, lat: float) -> object:
        x, y = TO_XY.transform(lon, lat)
        return node_list[int(np.argmin(np.hypot(kd[:, 0] - x, kd[:, 1] - y)))]

    hub = nearest(scenario["hub"]["lon"], scenario["hub"]["lat"])
    nodes = {p["id"]: nearest(float(p["lon"]), float(p["lat"])) for p in pickups}
    orange = set(scenario["produce"]["navel_orange_pickups"])
    km, h = _check_calibration(g, hub, nodes, seeds, orange)
    assert scenario["calibration"]["road_km"] == pytest.approx(km, abs=0.5)
    assert scenario["calibration"]["drive_h"] == pytest.approx(h, abs=0.05)


def test_calibration_through_routing_network(
    pickups: list[dict[str, str]], scenario: dict, seeds: dict
) -> None:
    """The same check through routing.network (its snapping and class speeds)."""
    import routing.paths as paths
    import routing.road_file as road_file

    net = road_file.network_from_file(XP / "roads.geojson")
    points = [("hub", scenario["hub"]["lon"], scenario["hub"]["lat"])]
    points += [(p["id"], float(p["lon"]), float(p["lat"])) for p in pickups]
    snap = paths.snap_points(net, points, max_snap_m=2000)
    nodes = dict(zip([p[0] for p in points], snap.nodes, strict=True))
    orange = set(scenario["produce"]["navel_orange_pickups"])
    _check_calibration(net.graph, nodes["hub"], nodes, seeds, orange)


# ----------------------------------------------------------------- fleet and scenario


def test_fleet_and_scenario(scenario: dict) -> None:
    """Vans, 5-t trucks that avoid tracks, a long-shift 4x4; scenario points at the files."""
    fleet = _toml(XP / "fleet.toml")["vehicle_type"]
    by_name = {v["name"]: v for v in fleet}
    assert by_name["truck_5t"]["avoid_road_classes"] == ["track"]
    assert by_name["truck_5t"]["capacity_kg"] == 5000
    assert by_name["van"]["capacity_kg"] <= 1500
    for v in fleet:
        assert "hub_id" not in v
        assert v["shift_start"] < v["shift_end"]
    for key in ("roads", "pickups", "fleet"):
        assert (XP / scenario["files"][key]).is_file()
    assert scenario["solve"]["time_limit_s"] == 20
    assert "CC BY 4.0" in scenario["source"]
    assert scenario["synthetic"]


def test_scenario_reads_with_routing_io() -> None:
    """routing.io accepts the Xinping and small scenarios."""
    import routing.io as rio

    xp = rio.read_scenario(XP / "scenario.toml")
    assert len(xp.problem.pickups) == len(_pickups(XP / "pickups.csv"))
    small = rio.read_scenario(SMALL / "scenario.toml")
    assert len(small.problem.pickups) == 5
    assert len(small.problem.vehicle_types) == 2


# ----------------------------------------------------------------- scaled and batch


@needs_shared
@pytest.mark.slow
def test_scaled_and_batch_generation(tmp_path: Path) -> None:
    """--pickups N writes N pickups and a bigger fleet; --hubs K writes K problems."""
    done = _run("--pickups", "500", "--out", tmp_path / "p500")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _pickups(tmp_path / "p500" / "pickups.csv")
    assert len(rows) == 500
    assert len({r["id"] for r in rows}) == 500
    fleet = _toml(tmp_path / "p500" / "fleet.toml")["vehicle_type"]
    assert sum(v["count"] for v in fleet) > 13
    done = _run("--hubs", "3", "--out", tmp_path / "h3")
    assert done.returncode == 0, done.stdout + done.stderr
    batch = _toml(tmp_path / "h3" / "batch.toml")
    assert len(batch["problem"]) == 3
    for prob in batch["problem"]:
        assert {"name", "hub", "pickups", "network", "fleet", "time_limit_s"} <= set(prob)
        assert (tmp_path / "h3" / prob["pickups"]).is_file()
        assert (tmp_path / "h3" / prob["network"]).is_file()


# ----------------------------------------------------------------- small and bad


def test_small_fixture_shape_and_unreachable_pickup() -> None:
    """~10 segments, 5 pickups, 2 vehicle types; pickup Y is cut off from the hub."""
    roads = json.loads((SMALL / "roads.geojson").read_text(encoding="utf-8"))
    assert len(roads["features"]) == 10
    g = nx.MultiDiGraph()
    for f in roads["features"]:
        c = f["geometry"]["coordinates"]
        u, v = tuple(c[0]), tuple(c[-1])
        g.add_edge(u, v)
        if not f["properties"]["oneway"]:
            g.add_edge(v, u)
    scen = _toml(SMALL / "scenario.toml")
    hub = (scen["hub"]["lon"], scen["hub"]["lat"])
    rows = {r["id"]: (float(r["lon"]), float(r["lat"])) for r in _pickups(SMALL / "pickups.csv")}
    assert set(rows) == {"C", "E", "F", "H", "Y"}
    reach = {k: nx.has_path(g, hub, v) and nx.has_path(g, v, hub) for k, v in rows.items()}
    assert reach == {"C": True, "E": True, "F": True, "H": True, "Y": False}
    assert len(_toml(SMALL / "fleet.toml")["vehicle_type"]) == 2


BAD = FIX / "bad"


def test_bad_fixtures_fail_as_named() -> None:
    """Each bad file carries exactly the defect its name says."""
    assert _pickups(BAD / "pickups_empty.csv") == []
    ids = [r["id"] for r in _pickups(BAD / "pickups_duplicate_ids.csv")]
    assert len(ids) != len(set(ids))
    assert any(int(r["parcels"]) < 0 for r in _pickups(BAD / "pickups_negative_parcels.csv"))
    assert any(abs(float(r["lon"])) > 180 for r in _pickups(BAD / "pickups_lon_out_of_range.csv"))
    with open(BAD / "pickups_malformed.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len({len(r) for r in rows}) > 1
    assert "ten" in rows[1]
    with pytest.raises(tomllib.TOMLDecodeError):
        _toml(BAD / "fleet_malformed.toml")
    assert "capacity_kg" not in _toml(BAD / "fleet_missing_field.toml")["vehicle_type"][0]
    fleet = _toml(SMALL / "fleet.toml")["vehicle_type"]
    big = max(_pickups(BAD / "pickups_too_big.csv"), key=lambda r: float(r["weight_kg"]))
    assert all(
        int(big["parcels"]) > v["capacity_parcels"] and float(big["weight_kg"]) > v["capacity_kg"]
        for v in fleet
    )
    roads = json.loads((SMALL / "roads.geojson").read_text(encoding="utf-8"))
    tree = shapely.STRtree(_lines_xy(roads))
    far = next(r for r in _pickups(BAD / "pickups_off_network.csv") if r["id"] == "FAR")
    _, d = tree.query_nearest(
        shapely.Point(TO_XY.transform(float(far["lon"]), float(far["lat"]))), return_distance=True
    )
    assert float(np.min(d)) >= 5000
