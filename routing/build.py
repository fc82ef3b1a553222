"""Build the solver's integer :class:`Instance` from a planner's :class:`Problem`.

This is the one place where RMB, kilograms and clock times become the integers the
engines need (see :mod:`routing.units`). It also screens out pickups that no vehicle
could ever serve, so that they are reported with a precise reason (``unreachable``,
``no_vehicle_fits``, ``shift_too_short``, ``time_window``) rather than a vague
"dropped by the solver".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from routing.cost_model import RunRates
from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.matrix import TravelMatrix
from routing.model import Hub, PickupPoint, Problem, Unassigned, UnassignedReason, VehicleType
from routing.road_cost import scaled_durations
from routing.solve.instance import NO_LIMIT, Instance, LockedTrip, VehicleTypeData
from routing.units import COST_UNITS_PER_RMB, UNREACHABLE, kg_to_grams, rmb_to_units

if TYPE_CHECKING:
    from routing.road_cost import RoadCosting

#: Penalty for leaving out a pickup that must be collected, per priority step. It is
#: far above any run's cost, so the solver only drops such a pickup when no vehicle
#: can take it; a higher priority makes dropping it costlier still.
MUST_SERVE_PENALTY_RMB = 100_000.0

#: An unlimited vehicle type is offered to the solver as this many vehicles at most
#: (never more than one per pickup).
UNLIMITED_CAP = 200


@dataclass(frozen=True)
class BuiltInstance:
    """The instance plus what is needed to map its solution back to the problem."""

    instance: Instance
    pickups: tuple[PickupPoint, ...]
    """The pickups that are clients of the instance, in client order."""
    screened: tuple[Unassigned, ...]
    """Pickups left out before solving, with the reason."""
    profile_of_type: tuple[str, ...]
    """Road-access profile (matrix key) of each vehicle type."""


#: An instance profile: road profile, speed factor, and the engine metres' weights on
#: charged metres and on metres climbed (:class:`routing.road_cost.EnergyCharge`).
ProfileKey = tuple[str, float, tuple[float, float]]


def _profile_key(
    vt: VehicleType, problem: Problem | None = None, costing: RoadCosting | None = None
) -> ProfileKey:
    weights = (
        (1.0, 0.0)
        if costing is None or problem is None
        else costing.energy_charge(vt, problem.hub_of(vt).id).weights
    )
    return (vt.profile, vt.speed_factor, weights)


def vehicle_fits(vt: VehicleType, p: PickupPoint) -> bool:
    """True when the pickup's produce and its outbound parcels each fit the vehicle."""
    return (
        p.parcels <= vt.capacity_parcels
        and p.weight_kg <= vt.capacity_kg + 1e-9
        and p.delivery_parcels <= vt.capacity_parcels
        and p.delivery_weight_kg <= vt.capacity_kg + 1e-9
    )


def check_fits(problem: Problem) -> None:
    """Raise one :class:`InputError` listing every pickup bigger than every vehicle.

    A planner usually wants to hear this before planning (split the pickup over two
    days or two vehicles), so it is an input error unless ``split_oversize`` is used.
    """
    found = []
    for p in problem.pickups:
        types = [
            vt
            for vt in problem.vehicle_types
            if p.allowed_vehicle_types is None or vt.name in p.allowed_vehicle_types
        ]
        if not any(vehicle_fits(vt, p) for vt in types):
            biggest = max(types or problem.vehicle_types, key=lambda v: v.capacity_kg)
            # Name the load that does not fit: collected produce or parcels to drop.
            checks = [
                ("parcels", p.parcels > biggest.capacity_parcels),
                ("weight_kg", p.weight_kg > biggest.capacity_kg + 1e-9),
                ("delivery_parcels", p.delivery_parcels > biggest.capacity_parcels),
                ("delivery_weight_kg", p.delivery_weight_kg > biggest.capacity_kg + 1e-9),
            ]
            field = next((f for f, over in checks if over), "parcels")
            load = (
                f"{p.delivery_parcels} parcels / {p.delivery_weight_kg:g} kg to drop"
                if field.startswith("delivery")
                else f"{p.parcels} parcels / {p.weight_kg:g} kg to collect"
            )
            found.append(
                InputProblem(
                    f"pickup {p.id!r}",
                    field,
                    f"{load} is more than any vehicle it may use takes (largest: "
                    f"{biggest.name}, {biggest.capacity_parcels} parcels / "
                    f"{biggest.capacity_kg:g} kg); split it into several pickups or "
                    "plan with split_oversize",
                )
            )
    if found:
        raise InputError(found)


def split_oversize(problem: Problem) -> Problem:
    """Split each pickup larger than every vehicle into visits that each fit one.

    The parts keep the pickup's id with a ``#k`` suffix and share its window, so they
    may be collected by different vehicles or by one vehicle on several runs.
    """
    out: list[PickupPoint] = []
    for p in problem.pickups:
        types = [
            vt
            for vt in problem.vehicle_types
            if p.allowed_vehicle_types is None or vt.name in p.allowed_vehicle_types
        ] or list(problem.vehicle_types)
        if any(vehicle_fits(vt, p) for vt in types):
            out.append(p)
            continue
        big = max(types, key=lambda v: (v.capacity_kg, v.capacity_parcels))
        parts = max(
            math.ceil(p.parcels / big.capacity_parcels),
            math.ceil(p.weight_kg / big.capacity_kg),
            math.ceil(p.delivery_parcels / big.capacity_parcels),
            math.ceil(p.delivery_weight_kg / big.capacity_kg),
            1,
        )
        for k in range(parts):
            share_p = p.parcels // parts + (1 if k < p.parcels % parts else 0)
            share_d = p.delivery_parcels // parts + (1 if k < p.delivery_parcels % parts else 0)
            out.append(
                p.model_copy(
                    update={
                        "id": f"{p.id}#{k + 1}",
                        "parcels": share_p,
                        "weight_kg": p.weight_kg / parts,
                        "delivery_parcels": share_d,
                        "delivery_weight_kg": p.delivery_weight_kg / parts,
                    }
                )
            )
    return problem.model_copy(update={"pickups": tuple(out)})


def instance_profiles(problem: Problem, costing: RoadCosting | None = None) -> list[ProfileKey]:
    """Distinct (road profile, speed factor, climb weights), in first-seen order.

    Vehicle types on one road profile that pay differently for climbing get their own
    instance profile: their engine metres differ.
    """
    seen: list[ProfileKey] = []
    for vt in problem.vehicle_types:
        key = _profile_key(vt, problem, costing)
        if key not in seen:
            seen.append(key)
    return seen


def build_instance(
    problem: Problem,
    matrices: Mapping[str, TravelMatrix],
    *,
    costing: RoadCosting | None = None,
) -> BuiltInstance:
    """Translate ``problem`` into integers, leaving out what cannot be served.

    Parameters
    ----------
    problem
        The validated problem.
    matrices
        One travel matrix per road profile (:attr:`VehicleType.profile`), whose ids
        are the hub ids followed by the pickup ids of ``problem``.
    costing
        The hub's cost model over these matrices (:func:`routing.road_cost.road_costing`):
        the engines then minimise exactly what the plan will be charged — the model's
        rates per vehicle type, energy on class-weighted metres plus, with its
        climbs, the climbing energy (``Instance.cost_distance``), and an optional
        pickup's prize net of its handling. None: the fleet file's rates on plain
        metres.

    Returns
    -------
    BuiltInstance
        The instance, the pickups it contains, and the pickups screened out.
    """
    hubs = problem.hubs
    _check_matrices(problem, matrices)
    hub_index = {h.id: i for i, h in enumerate(hubs)}
    profiles = instance_profiles(problem, costing)
    nh = len(hubs)
    keep, screened, allowed_rows = _screen(problem, _Durations(matrices), hub_index)
    kept = [problem.pickups[j] for j in keep]
    rows = list(range(nh)) + [nh + j for j in keep]  # hubs, then the kept pickups
    distance, duration = _stacked_matrices(matrices, profiles, rows)
    n = len(kept)
    pickup, delivery = _amounts(kept)
    prize = _prizes(problem, kept, costing)
    vts = [
        _vehicle_type_data(problem, vt, hub_index, profiles, n, costing)
        for vt in problem.vehicle_types
    ]
    instance = Instance(
        name=problem.name,
        num_depots=nh,
        distance=distance,
        duration=duration,
        pickup=pickup.reshape(n, 2),
        delivery=delivery.reshape(n, 2),
        service=np.array([p.service_s for p in kept], dtype=np.int64),
        tw_early=np.array([p.ready_s for p in kept], dtype=np.int64),
        tw_late=np.array([p.close_s for p in kept], dtype=np.int64),
        release=np.zeros(n, dtype=np.int64),
        prize=prize,
        required=np.zeros(n, dtype=bool),
        allowed=np.array(allowed_rows, dtype=bool).reshape(n, len(problem.vehicle_types)),
        vehicle_types=tuple(vts),
        depot_tw=np.array([[h.open_s, h.close_s] for h in hubs], dtype=np.int64),
        max_on_board=np.array(
            [round(p.max_on_board_min * 60) if p.max_on_board_min else 0 for p in kept],
            dtype=np.int64,
        ),
        dimension_names=("parcels", "grams"),
        client_ids=tuple(p.id for p in kept),
        depot_ids=tuple(h.id for h in hubs),
        profile_names=tuple(_profile_name(key) for key in profiles),
        cost_scale=COST_UNITS_PER_RMB,
        coords=_local_coords(hubs, kept),
        locked=_locked_trips(problem, kept),
        cost_distance=None if costing is None else _cost_distance(problem, costing, profiles, rows),
    )
    return BuiltInstance(
        instance=instance,
        pickups=tuple(kept),
        screened=tuple(screened),
        profile_of_type=tuple(vt.profile for vt in problem.vehicle_types),
    )


def _amounts(kept: Sequence[PickupPoint]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Parcels and grams collected and dropped at each kept pickup."""
    pickup = np.array([[p.parcels, kg_to_grams(p.weight_kg)] for p in kept], dtype=np.int64)
    delivery = np.array(
        [[p.delivery_parcels, kg_to_grams(p.delivery_weight_kg)] for p in kept], dtype=np.int64
    )
    return pickup, delivery


def _prizes(
    problem: Problem, kept: Sequence[PickupPoint], costing: RoadCosting | None
) -> npt.NDArray[np.int64]:
    """What leaving each pickup out costs the engines: an optional pickup's prize net of
    its handling, or a must-collect pickup's penalty (higher with its priority)."""
    return np.array(
        [
            rmb_to_units(p.prize_rmb - _handling_rmb(p, problem, costing))
            if p.prize_rmb is not None
            else rmb_to_units(MUST_SERVE_PENALTY_RMB * (1 + p.priority))
            for p in kept
        ],
        dtype=np.int64,
    ).clip(min=0)


def _check_matrices(problem: Problem, matrices: Mapping[str, TravelMatrix]) -> None:
    ids = [h.id for h in problem.hubs] + [p.id for p in problem.pickups]
    for key in {vt.profile for vt in problem.vehicle_types}:
        if key not in matrices:
            raise InputError(f"no travel matrix for road profile {key!r}")
        if list(matrices[key].ids) != ids:
            raise InputError(f"travel matrix {key!r} ids do not match hubs + pickups")


class _Durations:
    """Travel times of a vehicle type: its profile's matrix divided by its speed factor
    (scaled once per matrix and factor, :func:`routing.road_cost.scaled_durations`)."""

    def __init__(self, matrices: Mapping[str, TravelMatrix]) -> None:
        self._matrices = matrices

    def __call__(self, vt: VehicleType) -> np.ndarray:
        return scaled_durations(self._matrices[vt.profile], vt.speed_factor)


def _screen(
    problem: Problem, dur: _Durations, hub_index: Mapping[str, int]
) -> tuple[list[int], list[Unassigned], list[list[bool]]]:
    """Which pickup can which vehicle type serve at all? Kept pickups' positions, the
    pickups no vehicle can serve (with a reason), and the kept ones' allowed types."""
    nh = len(problem.hubs)
    keep: list[int] = []
    screened: list[Unassigned] = []
    allowed_rows: list[list[bool]] = []
    for j, p in enumerate(problem.pickups):
        reasons: list[UnassignedReason] = []
        row: list[bool] = []
        for vt in problem.vehicle_types:
            h = hub_index[problem.hub_of(vt).id]
            ok_type = p.allowed_vehicle_types is None or vt.name in p.allowed_vehicle_types
            if not ok_type or vt.count == 0:
                row.append(False)
                continue
            reason = _why_not(vt, p, dur(vt), h, nh + j)
            if reason is not None:
                reasons.append(reason)
            row.append(reason is None)
        if any(row):
            keep.append(j)
            allowed_rows.append(row)
        else:
            screened.append(_screened(p, reasons))
    return keep, screened, allowed_rows


def _why_not(
    vt: VehicleType, p: PickupPoint, duration_s: np.ndarray, hub: int, node: int
) -> UnassignedReason | None:
    """Why a vehicle of type ``vt`` cannot serve ``p`` on its own, or None if it can."""
    out_s, back_s = int(duration_s[hub, node]), int(duration_s[node, hub])
    if out_s >= UNREACHABLE or back_s >= UNREACHABLE:
        return UnassignedReason.UNREACHABLE
    if not vehicle_fits(vt, p):
        return UnassignedReason.NO_VEHICLE_FITS
    shift_s = vt.shift_end_s - vt.shift_start_s
    if out_s + p.service_s + back_s > shift_s:
        return UnassignedReason.SHIFT_TOO_SHORT
    arrive = max(vt.shift_start_s + out_s, p.ready_s)
    if arrive > p.close_s or arrive + p.service_s + back_s > vt.shift_end_s:
        return UnassignedReason.TIME_WINDOW
    return None


_REASON_ORDER = (
    UnassignedReason.TIME_WINDOW,
    UnassignedReason.SHIFT_TOO_SHORT,
    UnassignedReason.NO_VEHICLE_FITS,
    UnassignedReason.UNREACHABLE,
)
_REASON_DETAIL = {
    UnassignedReason.UNREACHABLE: "no road connects it with the hub",
    UnassignedReason.NO_VEHICLE_FITS: "larger than every vehicle allowed there",
    UnassignedReason.SHIFT_TOO_SHORT: "the round trip is longer than any shift",
    UnassignedReason.TIME_WINDOW: "no vehicle can arrive inside its window",
}


def _screened(p: PickupPoint, reasons: list[UnassignedReason]) -> Unassigned:
    """The pickup left out, with the reason closest to being servable."""
    reason = next((r for r in _REASON_ORDER if r in reasons), UnassignedReason.NO_VEHICLE_FITS)
    detail = _REASON_DETAIL[reason]
    if p.allowed_vehicle_types is not None and not reasons:
        detail = "none of its allowed vehicle types is in the fleet"
    return Unassigned(pickup_id=p.id, village=p.village, reason=reason, detail=detail)


def _stacked_matrices(
    matrices: Mapping[str, TravelMatrix], profiles: list[ProfileKey], nodes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Distance and duration per (profile, speed factor), over the kept nodes.

    Filled in place, one copy per matrix: at 5,000 pickups each is 200 MB, and
    temporaries from selecting, scaling and stacking took most of a 15-s build.
    """
    n = len(nodes)
    distance = np.empty((len(profiles), n, n), dtype=np.int64)
    duration = np.empty((len(profiles), n, n), dtype=np.int64)
    for k, (name, factor, _) in enumerate(profiles):
        m = matrices[name]
        distance[k] = _select(m.distance_m, nodes)
        duration[k] = _select(scaled_durations(m, factor), nodes)
    return distance, duration


def _select(array: np.ndarray, nodes: list[int]) -> np.ndarray:
    """Rows and columns ``nodes`` of a square matrix (no copy when that is all of it)."""
    if len(nodes) == array.shape[0] and nodes == list(range(len(nodes))):
        return array
    return array[np.ix_(nodes, nodes)]


def _handling_rmb(p: PickupPoint, problem: Problem, costing: RoadCosting | None) -> float:
    """What handling a pickup's parcels costs at the (first) hub under the cost model."""
    if costing is None:
        return 0.0
    rate = costing.hub_model(problem.hubs[0].id).handling_rmb_per_parcel
    return rate * (p.parcels + p.delivery_parcels)


def _profile_name(key: ProfileKey) -> str:
    name, factor, (_, per_ascent_m) = key
    return f"{name}@{factor:g}" + (f"+climb{per_ascent_m:g}" if per_ascent_m else "")


def _cost_distance(
    problem: Problem, costing: RoadCosting, profiles: list[ProfileKey], nodes: list[int]
) -> np.ndarray:
    """Engine metres per instance profile, over the kept nodes: class-weighted metres,
    plus the metres of driving each metre climbed costs (with elevation data).

    An instance profile's vehicle types share one hub's class factors (the hub of its
    first vehicle type): hubs with their own factors get their own road profile only
    through their vehicle types' ``profile``.
    """
    out = np.empty((len(profiles), len(nodes), len(nodes)), dtype=np.int64)
    for k, key in enumerate(profiles):
        vt = next(v for v in problem.vehicle_types if _profile_key(v, problem, costing) == key)
        out[k] = _select(costing.engine_metres(key[0], problem.hub_of(vt).id, key[2]), nodes)
    return out


def _vehicle_type_data(
    problem: Problem,
    vt: VehicleType,
    hub_index: Mapping[str, int],
    profiles: list[ProfileKey],
    n: int,
    costing: RoadCosting | None = None,
) -> VehicleTypeData:
    """A vehicle type in integers: fen, metres, seconds, grams."""
    hub = problem.hub_of(vt)
    h = hub_index[hub.id]
    count = vt.count if vt.count is not None else min(UNLIMITED_CAP, max(1, n))
    brk = vt.driver_break
    rates = RunRates.of(vt) if costing is None else costing.rates(vt, hub.id)
    unit_distance_cost = (
        round(rates.rmb_per_km * COST_UNITS_PER_RMB / 1000)
        if costing is None
        else costing.energy_charge(vt, hub.id).unit_cost
    )
    return VehicleTypeData(
        name=vt.name,
        num_available=count,
        capacity=(vt.capacity_parcels, kg_to_grams(vt.capacity_kg)),
        start_depot=h,
        end_depot=h,
        fixed_cost=rmb_to_units(rates.fixed_rmb_per_run + rates.fixed_rmb_per_day),
        trip_fixed_cost=rmb_to_units(rates.fixed_rmb_per_run) if vt.max_runs_per_day > 1 else 0,
        unit_distance_cost=unit_distance_cost,
        unit_duration_cost=round(rates.rmb_per_hour * COST_UNITS_PER_RMB / 3600),
        tw_early=vt.shift_start_s,
        tw_late=vt.shift_end_s,
        max_duration=vt.shift_end_s - vt.shift_start_s,
        max_distance=(round(vt.max_distance_km * 1000) if vt.max_distance_km else NO_LIMIT),
        profile=profiles.index(_profile_key(vt, problem, costing)),
        max_trips=vt.max_runs_per_day,
        reload_duration=round(vt.reload_min * 60),
        break_window=(brk.earliest_s, brk.latest_s) if brk else None,
        break_duration=round(brk.duration_min * 60) if brk else 0,
    )


def _locked_trips(problem: Problem, kept: list[PickupPoint]) -> tuple[LockedTrip, ...]:
    """Runs already on the road, by vehicle type, vehicle and run index."""
    client_of = {p.id: i for i, p in enumerate(kept)}
    locked = []
    type_index = {vt.name: i for i, vt in enumerate(problem.vehicle_types)}
    for lr in problem.locked_runs:
        name, _, num = lr.vehicle.rpartition("-")
        if name not in type_index or not num.isdigit():
            raise InputError(
                [
                    InputProblem(
                        f"locked run {lr.vehicle!r}",
                        "vehicle",
                        "expected '<vehicle type>-<n>' as in the plan",
                    )
                ]
            )
        locked.append(
            LockedTrip(
                vehicle_type=type_index[name],
                vehicle=int(num) - 1,
                trip=lr.run - 1,
                clients=tuple(client_of[pid] for pid in lr.pickup_ids if pid in client_of),
            )
        )
    return tuple(locked)


def _local_coords(hubs: Sequence[Hub], kept: list[PickupPoint]) -> np.ndarray:
    """Whole metres east and north of the hubs' centre (for engines that want coordinates)."""
    lon0 = float(np.mean([h.lon for h in hubs]))
    lat0 = float(np.mean([h.lat for h in hubs]))
    pts = [(h.lon, h.lat) for h in hubs] + [(p.lon, p.lat) for p in kept]
    return np.array(
        [
            (
                round((lon - lon0) * 111_320 * math.cos(math.radians(lat0))),
                round((lat - lat0) * 110_540),
            )
            for lon, lat in pts
        ],
        dtype=np.int64,
    )
