"""Tests for routing.bench.vrplib: reading VRPLIB instances in the sets' integer units."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.bench.vrplib import ROUND_FUNCS, read_instance
from routing.errors import InputError
from tests.routing.bench.instances import smallest


def test_rounding_follows_the_set() -> None:
    """VRPTW is read times 10 (DIMACS), CVRP to the nearest integer; cost scale 1."""
    tw = read_instance(smallest("VRPTW"))
    as_round = read_instance(smallest("VRPTW"), round_func="round")
    assert tw.cost_scale == 1
    assert abs(int(tw.distance[0, 0, 1]) - 10 * int(as_round.distance[0, 0, 1])) <= 10


def test_vehicles_with_equal_fields_share_a_type_named_by_their_positions() -> None:
    """HFVRP vehicle types list their 0-based positions in the file."""
    inst = read_instance(smallest("HFVRP"))
    positions = sorted(int(i) for vt in inst.vehicle_types for i in vt.name.split(","))
    assert positions == list(range(sum(vt.num_available for vt in inst.vehicle_types)))
    assert len(inst.vehicle_types) > 1


def test_unknown_rounding_is_refused_naming_the_choices() -> None:
    with pytest.raises(InputError) as err:
        read_instance(smallest("CVRP"), round_func="ceil")
    assert "round_func" in str(err.value)
    assert all(name in str(err.value) for name in ROUND_FUNCS)


def test_a_file_that_is_not_vrplib_is_refused_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vrp"
    bad.write_text("NAME : x\nDIMENSION : three\n")
    with pytest.raises(InputError) as err:
        read_instance(bad)
    assert str(bad) in str(err.value)
    assert "check the file format" in str(err.value)
