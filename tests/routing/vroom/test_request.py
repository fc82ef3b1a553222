"""Bad VROOM input: every problem reported at once, each naming its key path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from routing.errors import InputError
from routing.vroom.request import parse_request

GOOD: dict[str, Any] = {
    "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [4]}],
    "jobs": [{"id": 7, "location_index": 1, "delivery": [1], "time_windows": [[0, 100]]}],
    "matrices": {"car": {"durations": [[0, 5], [5, 0]], "distances": [[0, 50], [50, 0]]}},
}


def fields_of(data: dict[str, Any]) -> set[str]:
    """The key paths an invalid request is rejected with."""
    with pytest.raises(InputError) as info:
        parse_request(data)
    return {p.field for p in info.value.problems}


def test_good_request_parses_with_defaults() -> None:
    """VROOM's defaults: per_hour 3600, car profile, open vehicle window."""
    problem = parse_request(GOOD)
    (v,) = problem.vehicles
    assert (v.per_hour, v.per_km, v.profile, v.speed_factor) == (3600, 0, "car", 1.0)
    assert problem.tasks[0].time_windows == ((0, 100),)
    assert problem.dims == 1
    assert problem.has_distances


def test_unknown_keys_are_named_at_every_level() -> None:
    """Unknown keys are never ignored: each is reported with its full path."""
    data = copy.deepcopy(GOOD)
    data["colour"] = "red"
    data["jobs"][0]["volume"] = 3
    data["vehicles"][0]["costs"] = {"per_mile": 2}
    data["vehicles"][0]["breaks"] = [{"id": 1, "time_windows": [[0, 9]], "length": 5}]
    data["options"] = {"g": True, "verbose": 1}
    assert fields_of(data) == {
        "colour",
        "jobs[0].volume",
        "vehicles[0].costs.per_mile",
        "vehicles[0].breaks[0].length",
        "options.verbose",
    }


def test_bad_types_and_values_are_named() -> None:
    """Wrong types, inverted or overlapping windows and bad amounts name their key."""
    data = copy.deepcopy(GOOD)
    data["jobs"][0]["service"] = "ten"
    data["jobs"][0]["time_windows"] = [[0, 10], [50, 20]]
    data["jobs"][0]["priority"] = 101
    data["jobs"][0]["pickup"] = [1, 2]
    data["vehicles"][0]["speed_factor"] = 9
    data["vehicles"][0]["time_window"] = [10]
    assert fields_of(data) == {
        "jobs[0].service",
        "jobs[0].time_windows[1]",
        "jobs[0].priority",
        "jobs[0].delivery",
        "vehicles[0].capacity",
        "vehicles[0].speed_factor",
        "vehicles[0].time_window",
    }


def test_cross_record_problems_are_named() -> None:
    """Indices beyond the matrix, duplicate ids, unknown step ids, per_km without distances."""
    data = copy.deepcopy(GOOD)
    data["jobs"].append({"id": 7, "location_index": 5})
    del data["matrices"]["car"]["distances"]
    data["vehicles"][0]["costs"] = {"per_km": 10}
    data["vehicles"][0]["steps"] = [{"type": "job", "id": 99}]
    assert fields_of(data) == {
        "jobs[0].id",
        "jobs[1].id",
        "jobs[1].location_index",
        "vehicles[0].costs.per_km",
        "vehicles[0].steps[0].id",
    }


def test_matrices_must_be_square_integers() -> None:
    """A ragged or negative matrix is named down to the cell."""
    data = copy.deepcopy(GOOD)
    data["matrices"]["car"]["durations"] = [[0, -5], [5, 0]]
    assert fields_of(data) == {"matrices.car.durations[0][1]"}
    data["matrices"]["car"]["durations"] = [[0, 5], [5]]
    assert fields_of(data) == {"matrices.car.durations[1]"}


@pytest.mark.parametrize("body", [[], "x", {"vehicles": "all"}, {"vehicles": [3], "jobs": [None]}])
def test_any_json_is_an_input_error_not_a_crash(body: Any) -> None:
    """Whatever the JSON, the answer is an InputError naming a key."""
    with pytest.raises(InputError) as info:
        parse_request(body)
    assert all(p.message for p in info.value.problems)
