"""SRTM tiles (1 and 3 arc-second, plain, zipped, folders) and the grade model."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from routing.errors import NetworkError
from routing.roads.elevation import load_elevation, write_hgt
from tests.routing.roads.helpers import DATA, SHARED_OSM, day_on, vehicle


def _slope_tile(folder: Path, size: int = 1201, per_post_m: int = 20) -> Path:
    """N45E010: rising eastward, ``per_post_m`` metres per post (the short road: 30 %)."""
    heights = np.tile(np.arange(size, dtype=np.int64) * per_post_m, (size, 1)) % 30000
    return write_hgt(folder / "N45E010.hgt", heights)


def test_plain_zipped_and_folder_tiles_agree(tmp_path: Path) -> None:
    """The same tile read three ways gives the same bilinear heights."""
    tile = _slope_tile(tmp_path)
    packed = tmp_path / "zips" / "N45E010.hgt.zip"
    packed.parent.mkdir()
    with zipfile.ZipFile(packed, "w") as z:
        z.write(tile, "N45E010.hgt")
    lon, lat = np.array([10.0, 10.5, 10.00125]), np.array([45.5, 45.2, 45.7])
    expected = (lon - 10.0) * 1200 * 20
    for source in (tile, packed, packed.parent):
        got = load_elevation(source).elevation_m(lon, lat)
        assert got == pytest.approx(expected, abs=1e-6)


def test_one_arc_second_tiles(tmp_path: Path) -> None:
    """3601 x 3601 posts are read at their own spacing."""
    tile = _slope_tile(tmp_path, size=3601, per_post_m=1)
    got = load_elevation(tile).elevation_m(np.array([10.5]), np.array([45.5]))
    assert got[0] == pytest.approx(1800.0)


def test_bad_tiles_are_reported(tmp_path: Path) -> None:
    """Wrong size, a name without its corner, an empty folder, a missing path."""
    (tmp_path / "N45E010.hgt").write_bytes(b"\x00" * 100)
    with pytest.raises(NetworkError, match="1201x1201"):
        load_elevation(tmp_path / "N45E010.hgt")
    named = tmp_path / "named"
    named.mkdir()
    write_hgt(named / "tile.hgt", np.zeros((1201, 1201)))
    with pytest.raises(NetworkError, match="south-west"):
        load_elevation(named)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NetworkError, match=r"no \.hgt"):
        load_elevation(empty)
    with pytest.raises(NetworkError, match="not found"):
        load_elevation(tmp_path / "nowhere")


def test_voids_are_filled_from_neighbours(tmp_path: Path) -> None:
    """-32768 posts take the nearest height, so no sample is lost."""
    heights = np.full((1201, 1201), 500, dtype=np.int64)
    heights[600, 600] = -32768
    model = load_elevation(write_hgt(tmp_path / "N45E010.hgt", heights))
    assert model.elevation_m(np.array([10.5]), np.array([45.5]))[0] == 500.0


def test_uphill_is_slower_than_downhill_for_a_loaded_truck(tmp_path: Path) -> None:
    """On a 30 % slope the hub (west, low) to the village (east, high) takes longer."""
    _slope_tile(tmp_path)
    truck = vehicle("truck", weight_t=12.0)
    van = vehicle("van", weight_t=1.5)
    day = day_on("plain.osm", truck, van, elevation=tmp_path)
    t = day.profiles[truck.profile]
    v = day.profiles[van.profile]
    assert t.ascent_m[0, 1] == pytest.approx(240, abs=3)
    assert t.descent_m[1, 0] == pytest.approx(240, abs=3)
    up, down = t.matrix.duration_s[0, 1], t.matrix.duration_s[1, 0]
    assert up > down
    # 10 + 8 x 12 = 106 s per 100 m climbed; descents steeper than 6 % cost a quarter.
    assert up - down == pytest.approx(1.06 * 240 * 0.75, abs=3)
    assert v.matrix.duration_s[0, 1] < up


def test_real_andorra_tile() -> None:
    """Andorra la Vella lies at about 1,020 m; the Port d'Envalira road above 2,000 m."""
    model = load_elevation(SHARED_OSM / "N42E001.hgt.zip")
    town, pass_ = model.elevation_m(np.array([1.5212, 1.7189]), np.array([42.5069, 42.5402]))
    assert 950 < town < 1150
    assert pass_ > 2000


def test_no_tile_under_the_roads_means_flat(tmp_path: Path) -> None:
    """Roads off every tile climb nothing (and the load does not fail)."""
    write_hgt(tmp_path / "N10E010.hgt", np.full((1201, 1201), 100))
    day = day_on("plain.osm", vehicle("van"), elevation=tmp_path)
    assert day.profiles["all"].ascent_m.max() == 0
    assert (DATA / "plain.osm").is_file()
