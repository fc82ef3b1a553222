"""Elevation from SRTM tiles, and the climbs along road geometry.

SRTM ``.hgt`` tiles cover one degree each and are named after their south-west
corner (``N42E001.hgt``); they hold big-endian int16 metres on a grid of 1201 x 1201
(3 arc-seconds, ~90 m) or 3601 x 3601 (1 arc-second, ~30 m) posts, rows from north to
south. Voids are -32768. :func:`load_elevation` reads one tile, a zip holding tiles,
or every tile in a folder.

The grade model
---------------
Each road piece is sampled every :data:`SAMPLE_STEP_M` metres (bilinear between
posts); the rises between samples sum to the piece's ascent, the falls to its
descent, and the falls on grades steeper than :data:`STEEP_GRADE` to its steep
descent. A vehicle's time on a road is then (:mod:`routing.roads.vehicle`)::

    time on the flat + climb_s_per_100m x ascent / 100
                     + climb_s_per_100m / 4 x steep descent / 100

which is a grade-dependent speed (at grade g, seconds per metre are ``1/v + g x
climb/100``), additive along a road so that contracted chains keep it exactly, and
direction-dependent: the same road takes longer uphill than downhill. The default
climbing rate, ``10 + 8 x weight_t`` seconds per 100 m, puts a loaded 5-t truck at
50 s per 100 m (a 1,000 m climb costs it about 8 minutes over its flat-road time) and
a 1.5-t van at 22 s. Descents cost a quarter of that, and only where steep, for
engine braking.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.ndimage import distance_transform_edt

from routing.errors import NetworkError, Problem
from routing.network import FloatArray, IntArray

#: Metres between elevation samples along a road.
SAMPLE_STEP_M: Final = 30.0

#: Descents steeper than this (6 %) count as steep: trucks brake on the engine.
STEEP_GRADE: Final = 0.06

#: SRTM void value.
VOID: Final = -32768

_NAME = re.compile(r"([NS])(\d{2})([EW])(\d{3})", re.IGNORECASE)
_SIZES: Final = {1201 * 1201 * 2: 1201, 3601 * 3601 * 2: 3601}


@dataclass(frozen=True, eq=False)
class ElevationModel:
    """SRTM tiles keyed by their south-west corner ``(lat, lon)`` in whole degrees."""

    tiles: dict[tuple[int, int], npt.NDArray[np.float64]]
    source: str

    def elevation_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """Bilinear elevation in metres; ``nan`` off the tiles (voids are filled on load)."""
        out = np.full(len(lon), np.nan)
        eps = 1e-7  # a point on a tile's edge (45.0 read back as 44.99999999999999)
        for (tlat, tlon), grid in self.tiles.items():
            sel = np.flatnonzero(
                np.isnan(out)
                & (lat >= tlat - eps)
                & (lat <= tlat + 1 + eps)
                & (lon >= tlon - eps)
                & (lon <= tlon + 1 + eps)
            )
            if sel.size == 0:
                continue
            size = grid.shape[0] - 1
            row = (tlat + 1 - lat[sel]) * size  # rows run north to south
            col = (lon[sel] - tlon) * size
            r0 = np.clip(np.floor(row).astype(np.int64), 0, size - 1)
            c0 = np.clip(np.floor(col).astype(np.int64), 0, size - 1)
            fr, fc = np.clip(row - r0, 0.0, 1.0), np.clip(col - c0, 0.0, 1.0)
            out[sel] = (
                grid[r0, c0] * (1 - fr) * (1 - fc)
                + grid[r0, c0 + 1] * (1 - fr) * fc
                + grid[r0 + 1, c0] * fr * (1 - fc)
                + grid[r0 + 1, c0 + 1] * fr * fc
            )
        return out


def _tile_corner(name: str) -> tuple[int, int] | None:
    match = _NAME.search(Path(name).name)
    if match is None:
        return None
    lat = int(match.group(2)) * (1 if match.group(1).upper() == "N" else -1)
    lon = int(match.group(4)) * (1 if match.group(3).upper() == "E" else -1)
    return lat, lon


def _grid(raw: bytes, record: str) -> npt.NDArray[np.float64]:
    size = _SIZES.get(len(raw))
    if size is None:
        raise NetworkError(
            Problem(
                record,
                "",
                f"has {len(raw)} bytes; an SRTM tile has 1201x1201 or 3601x3601 "
                "int16 posts (2,884,802 or 25,934,402 bytes)",
            )
        )
    grid = np.frombuffer(raw, dtype=">i2").reshape(size, size).astype(np.float64)
    void = grid == VOID
    if void.all():
        grid[:] = np.nan
    elif void.any():
        # Fill voids (steep slopes, radar shadow) from the nearest post with data, so
        # heights stay one continuous surface and a closed run climbs what it descends.
        _, (rows, cols) = distance_transform_edt(void, return_indices=True)
        grid = grid[rows, cols]
    return grid


def _tiles_in(path: Path) -> Iterable[tuple[str, bytes]]:
    """``(name, bytes)`` of every ``.hgt`` in a tile file or a zip."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.filename.lower().endswith(".hgt"):
                        yield info.filename, archive.read(info)
        except zipfile.BadZipFile:
            raise NetworkError(
                Problem(f"elevation file {str(path)!r}", "", "is not a readable zip")
            ) from None
    else:
        yield path.name, path.read_bytes()


def load_elevation(path: str | Path) -> ElevationModel:
    """Read SRTM tiles from a ``.hgt`` file, a zip of tiles, or a folder of either.

    Raises
    ------
    NetworkError
        If the path is missing, holds no tile, or a tile has the wrong size or a name
        without its corner (``N42E001.hgt``).
    """
    path = Path(path)
    record = f"elevation {str(path)!r}"
    if not path.exists():
        raise NetworkError(Problem(record, "", "not found; give an SRTM .hgt file, zip or folder"))
    files = (
        sorted(p for p in path.iterdir() if p.suffix.lower() in (".hgt", ".zip"))
        if path.is_dir()
        else [path]
    )
    tiles: dict[tuple[int, int], npt.NDArray[np.float64]] = {}
    problems: list[Problem] = []
    for file in files:
        for name, raw in _tiles_in(file):
            corner = _tile_corner(name)
            if corner is None:
                problems.append(
                    Problem(
                        f"elevation tile {name!r}",
                        "name",
                        "rename it after its south-west corner, e.g. N42E001.hgt",
                    )
                )
                continue
            tiles[corner] = _grid(raw, f"elevation tile {name!r}")
    if problems:
        raise NetworkError(problems)
    if not tiles:
        raise NetworkError(Problem(record, "", "holds no .hgt tile"))
    return ElevationModel(tiles, str(path))


def write_hgt(path: str | Path, heights: npt.NDArray[np.integer]) -> Path:
    """Write a square grid of metres as an ``.hgt`` tile (big-endian int16)."""
    path = Path(path)
    path.write_bytes(np.asarray(heights, dtype=">i2").tobytes())
    return path


def sum_by(group: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Sum ``values`` per ``group`` index into an array of ``size`` floats."""
    out: FloatArray = np.bincount(group, weights=values, minlength=size).astype(np.float64)
    return out


def climbs(
    coords_lonlat: FloatArray,
    coords_xy: FloatArray,
    offsets: IntArray,
    model: ElevationModel,
    *,
    step_m: float = SAMPLE_STEP_M,
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """Ascent, descent and steep descent in metres of each polyline, in its direction.

    Parameters
    ----------
    coords_lonlat, coords_xy
        The vertices of all polylines, WGS84 and projected metres, one after another.
    offsets
        Polyline ``i`` is vertices ``offsets[i] .. offsets[i+1]-1`` (at least two).
    model
        The elevation tiles.
    step_m
        Largest distance between samples.

    Returns
    -------
    (ascent_m, descent_m, steep_descent_m, covered)
        Per polyline; ``covered`` is the share of samples that had an elevation
        (rises next to a void or off the tiles count as flat).
    """
    n_lines = len(offsets) - 1
    piece_line = np.repeat(np.arange(n_lines), np.diff(offsets) - 1)
    last = np.zeros(len(coords_xy), dtype=bool)
    last[offsets[1:] - 1] = True
    start = np.flatnonzero(~last)[: len(piece_line)]
    seg_len = np.hypot(*(coords_xy[start + 1] - coords_xy[start]).T)
    steps = np.maximum(1, np.ceil(seg_len / step_m)).astype(np.int64)
    # Samples k/steps along each piece, k = 0 .. steps.
    piece_of = np.repeat(np.arange(len(start)), steps + 1)
    first_sample = np.concatenate([[0], np.cumsum(steps + 1)[:-1]])
    k = np.arange(len(piece_of)) - first_sample[piece_of]
    frac = k / steps[piece_of]
    a, b = coords_lonlat[start[piece_of]], coords_lonlat[start[piece_of] + 1]
    pts = a + (b - a) * frac[:, None]
    height = model.elevation_m(pts[:, 0], pts[:, 1])
    covered = float(np.isfinite(height).mean()) if len(height) else 1.0
    rise = np.diff(height)
    same = piece_of[1:] == piece_of[:-1]
    rise = np.where(same & np.isfinite(rise), rise, 0.0)
    run_m = (seg_len / steps)[piece_of[1:]]
    line = piece_line[piece_of[1:]]
    up = sum_by(line, np.maximum(rise, 0.0), n_lines)
    down = sum_by(line, np.maximum(-rise, 0.0), n_lines)
    steep = np.where(-rise > STEEP_GRADE * run_m, -rise, 0.0)
    steep_down = sum_by(line, steep, n_lines)
    return up, down, steep_down, covered


def default_climb_s_per_100m(weight_t: float | None) -> float:
    """Seconds per 100 m climbed for a vehicle of ``weight_t`` tonnes loaded (2 t if unknown)."""
    return 10.0 + 8.0 * (2.0 if weight_t is None else weight_t)
