"""Batch manifests carry the whole day: cost model, closed roads, locked runs, options."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.batch_manifest import read_manifest
from routing.errors import InputError

SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "small"
COSTS = SMALL.parent / "costs" / "xinping.toml"


def _manifest(tmp_path: Path, problem: str, top: str = "") -> Path:
    path = tmp_path / "batch.toml"
    path.write_text(
        f'name = "t"\n{top}\n[[problem]]\nname = "day"\n'
        f'pickups = "{SMALL / "pickups.csv"}"\nfleet = "{SMALL / "fleet.toml"}"\n'
        f'network = "{SMALL / "roads.geojson"}"\n{problem}\n'
        '[problem.hub]\nid = "hub"\nlon = 101.99\nlat = 24.07\n',
        encoding="utf-8",
    )
    return path


def test_manifest_day_has_its_closures_locked_run_cost_model_and_options(
    tmp_path: Path,
) -> None:
    """Every key reaches the problem or its SolveOptions; top-level keys are defaults."""
    path = _manifest(
        tmp_path,
        'closed_roads = ["s03"]\nallocation = ["standalone"]\nengines = ["ortools"]\n'
        'iterations = 20\n[[problem.locked_runs]]\nvehicle = "van-1"\npickup_ids = ["C"]\n',
        top=f'cost_model = "{COSTS}"\nbaselines = false',
    )
    (item,) = read_manifest(path).problems
    assert item.problem.closed_roads == ("s03",)
    assert [(r.vehicle, r.run, r.pickup_ids) for r in item.problem.locked_runs] == [
        ("van-1", 1, ("C",))
    ]
    assert item.options.cost_model is not None
    assert item.options.cost_model.name == "xinping-hub-2026"
    assert item.options.allocation == ("standalone",)
    assert item.options.engines == ("ortools",)
    assert item.options.iterations == 20
    assert item.options.baselines is False
    assert item.options.workers == 1


def test_bad_day_keys_are_all_reported_at_once(tmp_path: Path) -> None:
    """A bad closure list, cost model and options are each named."""
    path = _manifest(
        tmp_path,
        f'closed_roads = 5\ncost_model = "{tmp_path / "missing.toml"}"\n'
        'engines = ["gurobi"]\nallocation = "fair"\n',
    )
    with pytest.raises(InputError) as info:
        read_manifest(path)
    fields = {p.field for p in info.value.problems}
    assert {"closed_roads", "cost_model", "engines", "allocation"} <= fields
    assert all("problem #1 'day'" in p.record for p in info.value.problems)


def test_unknown_closed_road_is_named_before_solving(tmp_path: Path) -> None:
    """A closed road id the road file does not have is an input error of that problem."""
    path = _manifest(tmp_path, 'closed_roads = ["s99"]\n')
    with pytest.raises(InputError) as info:
        read_manifest(path)
    (problem,) = info.value.problems
    assert problem.field == "closed_roads"
    assert "s99" in problem.message


def test_csv_manifest_takes_lists_separated_by_semicolons(tmp_path: Path) -> None:
    """CSV cells hold closed roads, allocation and engines as ``a;b`` lists."""
    path = tmp_path / "batch.csv"
    path.write_text(
        "name,hub_lon,hub_lat,pickups,network,fleet,cost_model,closed_roads,allocation,engines\n"
        f"day,101.99,24.07,{SMALL / 'pickups.csv'},{SMALL / 'roads.geojson'},"
        f"{SMALL / 'fleet.toml'},{COSTS},s03;s04,proportional;standalone,ortools\n",
        encoding="utf-8",
    )
    (item,) = read_manifest(path).problems
    assert item.problem.closed_roads == ("s03", "s04")
    assert item.options.allocation == ("proportional", "standalone")
    assert item.options.engines == ("ortools",)
    assert item.options.cost_model is not None


def test_locked_run_of_an_unknown_pickup_is_named(tmp_path: Path) -> None:
    """A locked run naming a pickup the day does not have is an input error."""
    path = _manifest(
        tmp_path, '[[problem.locked_runs]]\nvehicle = "van-1"\npickup_ids = ["NOPE"]\n'
    )
    with pytest.raises(InputError) as info:
        read_manifest(path)
    assert any("NOPE" in str(p) for p in info.value.problems)
