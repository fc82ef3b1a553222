"""Entry points for a quote: the pickup asked about (a village or a position), the plan's files."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from routing.cost_model import (
    CostModel,
    read_cost_model,
)
from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.model import PickupPoint, Plan, Problem
from routing.network import RoadNetwork
from routing.quote import PickupRequest, Quote, QuoteContext

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------- entry points


def _village_point(plan: Plan, village: str, problem: Problem | None) -> tuple[float, float, str]:
    """(lon, lat, name) of a village named in the plan, its problem or its unassigned."""
    places: dict[str, tuple[float, float]] = {}
    for r in plan.runs:
        for s in r.stops:
            places.setdefault(s.village, s.location)
    for u in plan.unassigned:
        if u.location is not None:
            places.setdefault(u.village, u.location)
    if problem is not None:
        for p in problem.pickups:
            places.setdefault(p.village, p.location)
    want = village.strip().casefold()
    for name, loc in places.items():
        words = name.casefold().split()
        if name.casefold() == want or (words and words[0] == want) or want in words:
            return loc[0], loc[1], name
    close = difflib.get_close_matches(village, list(places), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise InputError(
        [InputProblem("request", "village", f"no village {village!r} in the plan{hint}")]
    )


def make_request(
    plan: Plan,
    *,
    village: str | None = None,
    at: tuple[float, float] | None = None,
    parcels: int,
    weight_kg: float | None = None,
    ready_s: int = 0,
    close_s: int = 2 * 86_400,
    service_min: float = 10.0,
    problem: Problem | None = None,
) -> PickupRequest:
    """Build a :class:`PickupRequest` from a village name or a ``(lon, lat)``.

    Without ``weight_kg`` the plan's mean kg per parcel is used.

    Raises
    ------
    InputError
        If neither or both of ``village`` and ``at`` are given, or the village is unknown.
    """
    if (village is None) == (at is None):
        raise InputError(
            [InputProblem("request", "village/at", "give exactly one of a village or LON,LAT")]
        )
    if at is not None:
        lon, lat, name = at[0], at[1], ""
    else:
        assert village is not None
        lon, lat, name = _village_point(plan, village, problem)
    if weight_kg is None:
        s = plan.summary
        weight_kg = parcels * (s.weight_kg / s.parcels if s.parcels else 10.0)
    return PickupRequest(
        village=name,
        lon=lon,
        lat=lat,
        parcels=parcels,
        weight_kg=round(weight_kg, 3),
        ready_s=ready_s,
        close_s=close_s,
        service_min=service_min,
    )


def quote_pickup(
    plan: Plan,
    pickup: PickupPoint,
    *,
    problem: Problem | None = None,
    network: RoadNetwork | None = None,
    cost_model: CostModel | None = None,
) -> Quote:
    """Quote one :class:`~routing.model.PickupPoint` against ``plan`` (no reuse)."""
    ctx = QuoteContext(plan, network, problem=problem, cost_model=cost_model)
    return ctx.quote(
        PickupRequest(
            village=pickup.village,
            lon=pickup.lon,
            lat=pickup.lat,
            parcels=max(1, pickup.parcels),
            weight_kg=pickup.weight_kg,
            ready_s=pickup.ready_s,
            close_s=pickup.close_s,
            service_min=pickup.service_s / 60,
        )
    )


def quote_from_files(
    plan_path: str | Path,
    *,
    village: str | None = None,
    at: tuple[float, float] | None = None,
    parcels: int,
    weight_kg: float | None = None,
    network_path: str | Path | None = None,
    cost_model_path: str | Path | None = None,
) -> Quote:
    """Quote from a ``plan.json``: what ``hubroute quote`` runs.

    Parameters
    ----------
    plan_path
        The plan; its ``sources`` may name ``network`` (road file), ``scenario``
        (for the stops' windows) and ``cost_model``, relative to the plan's folder or
        absolute.
    village, at
        Where: a village name in the plan, or ``(lon, lat)``.
    parcels, weight_kg
        How much (weight defaults to the plan's mean kg per parcel).
    network_path, cost_model_path
        Override the plan's ``sources``.

    Raises
    ------
    InputError
        Unknown village, unreadable files, a point off the roads.
    """
    from routing.io import read_plan, read_scenario
    from routing.road_file import network_from_file

    plan_path = Path(plan_path)
    plan = read_plan(plan_path)

    def source(key: str, given: str | Path | None) -> Path | None:
        raw = given if given is not None else plan.sources.get(key)
        if raw is None or raw == "":
            return None
        p = Path(raw)
        if not p.is_absolute() and not p.exists():
            p = plan_path.parent / p
        return p

    net_path = source("network", network_path)
    scenario_path = source("scenario", None)
    cm_path = source("cost_model", cost_model_path)
    network = network_from_file(net_path) if net_path is not None else None
    problem = read_scenario(scenario_path).problem if scenario_path is not None else None
    cost_model = read_cost_model(cm_path) if cm_path is not None else None
    request = make_request(
        plan, village=village, at=at, parcels=parcels, weight_kg=weight_kg, problem=problem
    )
    return QuoteContext(plan, network, problem=problem, cost_model=cost_model).quote(request)
