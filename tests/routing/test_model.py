"""Domain model validation: every bad field is caught and named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from routing.errors import InputError
from routing.model import PickupPoint, Problem, VehicleType, problem_from_dict
from tests.routing.factories import HUB, pickup, van


def test_clock_times_accept_hh_mm_and_seconds() -> None:
    p = pickup("A", 0.1, 0.1, ready_s="10:30", close_s=17 * 3600)
    assert p.ready_s == 10 * 3600 + 30 * 60
    assert p.close_s == 61200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("parcels", -1),
        ("weight_kg", -0.5),
        ("lon", 181.0),
        ("lat", -91.0),
        ("ready_s", "25:99"),
        ("service_min", -3),
    ],
)
def test_bad_pickup_fields_are_rejected(field: str, value: object) -> None:
    data = pickup("A", 0.1, 0.1).model_dump()
    data[field] = value
    with pytest.raises(ValidationError) as err:
        PickupPoint.model_validate(data)
    assert field in str(err.value)


def test_window_closing_before_it_opens_is_rejected() -> None:
    with pytest.raises(ValidationError, match="before ready_s"):
        pickup("A", 0.1, 0.1, ready_s="12:00", close_s="10:00")


def test_models_are_frozen() -> None:
    p = pickup("A", 0.1, 0.1)
    with pytest.raises(ValidationError):
        p.parcels = 3  # type: ignore[misc]


def test_shift_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="shift_end_s"):
        van(shift_start_s="18:00", shift_end_s="07:00")


def test_problem_reports_every_duplicate_and_unknown_reference_at_once() -> None:
    data = {
        "hubs": [HUB.model_dump()],
        "pickups": [
            pickup("A", 0.1, 0.1).model_dump(),
            pickup("A", 0.2, 0.1).model_dump(),
            pickup("B", 0.1, 0.2, allowed_vehicle_types=("bus",)).model_dump(),
        ],
        "vehicle_types": [van().model_dump()],
    }
    with pytest.raises(InputError) as err:
        problem_from_dict(data)
    text = str(err.value)
    assert "pickup 'A'" in text
    assert "unique" in text
    assert "unknown vehicle type 'bus'" in text


def test_problem_from_dict_names_the_record_and_field() -> None:
    bad = pickup("V17", 0.1, 0.1).model_dump()
    bad["parcels"] = -5
    data = {"hubs": [HUB.model_dump()], "pickups": [bad], "vehicle_types": [van().model_dump()]}
    with pytest.raises(InputError) as err:
        problem_from_dict(data)
    (problem,) = err.value.problems
    assert problem.record == "pickup 'V17'"
    assert problem.field == "parcels"


def test_empty_pickup_list_is_rejected() -> None:
    with pytest.raises(ValidationError, match="pickups"):
        Problem(hubs=(HUB,), pickups=(), vehicle_types=(van(),))


def test_profile_names_the_avoided_road_classes() -> None:
    assert van().profile == "all"
    assert (
        VehicleType(
            name="t", capacity_parcels=1, capacity_kg=1, avoid_road_classes=("track", "village")
        ).profile
        == "track+village"
    )
