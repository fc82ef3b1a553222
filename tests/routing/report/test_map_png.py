"""Tests for routing.report.map_png: the static map PNG."""

from __future__ import annotations

import struct
from pathlib import Path

from routing.report import (
    DemoPlan,
    demo_plan,
    write_map_png,
)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_map_png_is_a_small_valid_png(small: DemoPlan, tmp_path: Path) -> None:
    out = write_map_png(
        small.plan,
        tmp_path / "map.png",
        roads=small.roads,
        road_classes=small.road_classes,
        hub=small.hub,
        pickups_unassigned_lonlat=small.unassigned_lonlat,
    )
    width, height = _png_size(out)
    assert 900 <= width <= 1300
    assert 300 <= height <= 1800
    assert out.stat().st_size < 500_000


def test_map_png_of_a_chinese_plan_name_does_not_fail(tmp_path: Path) -> None:
    """Without a CJK font the glyphs are boxes, but the map is still written."""
    plan = demo_plan(1, 3, seed=4).plan.model_copy(update={"name": "新平 戛洒镇"})
    _png_size(write_map_png(plan, tmp_path / "map.png", width_px=600))
