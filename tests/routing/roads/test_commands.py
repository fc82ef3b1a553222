"""``hubroute network info`` and ``hubroute network export``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from typer.testing import CliRunner

from routing.cli import app
from tests.routing.roads.helpers import DATA


def test_info_reports_raw_and_contracted_counts_and_tag_problems(tmp_path: Path) -> None:
    """Counts, km per class and each odd tag value once."""
    odd = tmp_path / "odd.osm"
    odd.write_text(
        (DATA / "plain.osm")
        .read_text()
        .replace(
            '<tag k="highway" v="secondary"/>\n  </way>\n  <way id="2">',
            '<tag k="highway" v="secondary"/>\n    <tag k="maxspeed" v="fast"/>\n'
            '  </way>\n  <way id="2">',
        ),
    )
    result = CliRunner().invoke(app, ["network", "info", str(odd)])
    assert result.exit_code == 0, result.output
    assert "5 nodes, 10 edges" in result.output
    assert "secondary 3.8" in result.output
    assert "maxspeed='fast' on 1 way" in result.output


def test_export_writes_roads_and_limits_to_a_geopackage(tmp_path: Path) -> None:
    """One line per directed edge with its limits; a wrong suffix is refused."""
    out = tmp_path / "roads.gpkg"
    result = CliRunner().invoke(
        app, ["network", "export", str(DATA / "maxweight.osm"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    roads = gpd.read_file(out, layer="roads")
    assert len(roads) == 4
    assert sorted(roads["max_weight_t"].dropna()) == [7.5, 7.5]
    bad = CliRunner().invoke(
        app, ["network", "export", str(DATA / "plain.osm"), "--out", str(tmp_path / "x.shp")]
    )
    assert bad.exit_code == 2
    assert "must end in .gpkg" in bad.output


def test_info_on_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """Exit code 2 and the file named."""
    result = CliRunner().invoke(app, ["network", "info", str(tmp_path / "nope.osm.pbf")])
    assert result.exit_code == 2
    assert "not found" in result.output
