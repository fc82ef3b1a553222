"""Problem → integer instance, and the reasons for pickups no vehicle can serve."""

from __future__ import annotations

import numpy as np
import pytest

from routing.build import build_instance, check_fits, split_oversize
from routing.errors import InputError
from routing.matrix import StraightLineMatrixProvider, TravelMatrix
from routing.model import Problem, UnassignedReason
from routing.pipeline import matrices_for
from routing.units import UNREACHABLE
from tests.routing.factories import HUB, pickup, truck, van


def straight(problem: Problem) -> dict[str, TravelMatrix]:
    return matrices_for(problem, StraightLineMatrixProvider())


def test_instance_holds_integers_in_stated_units() -> None:
    p = Problem(
        hubs=(HUB,),
        pickups=(pickup("A", 0.1, 0.0, weight_kg=12.5, parcels=3),),
        vehicle_types=(van(rmb_per_km=1.25, rmb_per_hour=36, fixed_rmb_per_run=50),),
    )
    inst = build_instance(p, straight(p)).instance
    assert inst.pickup.tolist() == [[3, 12_500]]
    vt = inst.vehicle_types[0]
    assert vt.unit_distance_cost == 125  # 1.25 RMB/km = 125 units per metre
    assert vt.unit_duration_cost == 1000  # 36 RMB/h = 1000 units per second
    assert vt.fixed_cost == 5_000_000
    assert inst.distance.dtype == np.int64
    assert inst.duration.dtype == np.int64


def test_speed_factor_gives_its_own_slower_profile() -> None:
    p = Problem(
        hubs=(HUB,),
        pickups=(pickup("A", 0.1, 0.0),),
        vehicle_types=(van(), van(name="slow", speed_factor=0.5)),
    )
    inst = build_instance(p, straight(p)).instance
    assert inst.duration.shape[0] == 2
    assert inst.duration[1, 0, 1] == pytest.approx(2 * inst.duration[0, 0, 1], abs=1)


def test_screening_gives_each_reason() -> None:
    p = Problem(
        hubs=(HUB,),
        pickups=(
            pickup("ok", 0.05, 0.0),
            pickup("cut_off", 0.06, 0.0),
            pickup("far", 3.0, 0.0),
            pickup("late", 0.05, 0.01, ready_s="18:59", close_s="19:00"),
            pickup("trucks_only", 0.05, 0.02, allowed_vehicle_types=("truck",)),
        ),
        vehicle_types=(van(), truck(count=0)),
    )
    m = dict(straight(p))
    for key, tm in list(m.items()):
        dist, dur = tm.distance_m.copy(), tm.duration_s.copy()
        dist[0, 2] = dur[0, 2] = UNREACHABLE
        m[key] = TravelMatrix(ids=tm.ids, distance_m=dist, duration_s=dur, profile=tm.profile)
    built = build_instance(p, m)
    reasons = {u.pickup_id: u.reason for u in built.screened}
    assert reasons == {
        "cut_off": UnassignedReason.UNREACHABLE,
        "far": UnassignedReason.SHIFT_TOO_SHORT,
        "late": UnassignedReason.TIME_WINDOW,
        "trucks_only": UnassignedReason.NO_VEHICLE_FITS,
    }
    assert [q.id for q in built.pickups] == ["ok"]
    assert built.instance.num_clients == len(built.pickups)


def test_pickup_bigger_than_every_vehicle_is_an_input_error_naming_it() -> None:
    p = Problem(
        hubs=(HUB,),
        pickups=(pickup("huge", 0.1, 0.0, parcels=900, weight_kg=9000),),
        vehicle_types=(van(), truck()),
    )
    with pytest.raises(InputError) as err:
        check_fits(p)
    (problem,) = err.value.problems
    assert problem.record == "pickup 'huge'"
    assert problem.field == "parcels"
    assert "split" in problem.message


def test_split_oversize_makes_parts_that_fit_and_keep_the_total() -> None:
    p = Problem(
        hubs=(HUB,),
        pickups=(pickup("huge", 0.1, 0.0, parcels=900, weight_kg=9000), pickup("s", 0.1, 0.1)),
        vehicle_types=(van(), truck()),
        split_oversize=True,
    )
    q = split_oversize(p)
    parts = [x for x in q.pickups if x.id.startswith("huge#")]
    assert len(parts) == 3
    assert sum(x.parcels for x in parts) == 900
    assert sum(x.weight_kg for x in parts) == pytest.approx(9000)
    assert all(x.parcels <= 350 and x.weight_kg <= 5000 for x in parts)
    check_fits(q)
