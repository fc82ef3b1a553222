"""A plan request as problem data: villages and fleets resolved, every problem named.

Validation that needs no solver happens here (villages, fleets, the domain model,
points too far from the hub's roads), before a job is queued, so bad input is a 422
at once even for background plans.
"""

from __future__ import annotations

import re
from typing import Any

from routing.errors import InputError, NetworkError
from routing.errors import Problem as InputProblem
from routing.io import ALIASES as LIBRARY_NAMES
from routing.io import to_file_names as api_names
from routing.model import problem_from_dict
from service.hubs import HubRuntime
from service.schemas import PickupIn, PlanRequest, VehicleTypeIn


def _pickup_data(
    hub: HubRuntime, index: int, p: PickupIn, problems: list[InputProblem]
) -> dict[str, Any]:
    data = library_names(p.model_dump(exclude_none=True))
    where = f"pickups[{index}]"
    if p.lon is None or p.lat is None:
        if p.lon is not None or p.lat is not None:
            problems.append(
                InputProblem(
                    f"pickup {p.id!r}", f"{where}.lon", "give both lon and lat, or neither"
                )
            )
        elif p.village is None:
            problems.append(
                InputProblem(
                    f"pickup {p.id!r}",
                    f"{where}.village",
                    "give lon and lat, or a village the hub knows",
                )
            )
        else:
            found = hub.village(p.village)
            if found is None:
                problems.append(
                    InputProblem(f"pickup {p.id!r}", f"{where}.village", _unknown(hub, p.village))
                )
            else:
                data["lon"], data["lat"] = found.lon, found.lat
                if not p.township and found.township:
                    data["township"] = found.township
    known = hub.village(p.village) if p.village else None
    if known is not None:
        # One village, one name in the plan, whichever of its names the request used.
        data["village"] = known.name
    data.setdefault("village", p.id)
    return data


def library_names(data: dict[str, Any]) -> dict[str, Any]:
    """The request's clock fields under the library's names (``ready`` -> ``ready_s``)."""
    out = {LIBRARY_NAMES.get(k, k): v for k, v in data.items()}
    if isinstance(out.get("driver_break"), dict):
        out["driver_break"] = library_names(out["driver_break"])
    return out


_COST_FIELDS = ("rmb_per_km", "rmb_per_hour", "fixed_rmb_per_run", "fixed_rmb_per_day")


def _uncosted(hub: HubRuntime, fleet: list[VehicleTypeIn]) -> list[InputProblem]:
    """An inline vehicle type that states none of its rates would plan at RMB 0.00.

    Rates given as 0 are a statement (a vehicle the hub does not pay for by the km or
    hour) and are kept; rates left out are refused rather than guessed.
    """
    instead = (
        f", or name one of the hub's fleets instead ({', '.join(sorted(hub.fleets))}; "
        "GET /v1/hub lists their rates)"
        if hub.fleets
        else ""
    )
    return [
        InputProblem(
            f"vehicle type {v.name!r}",
            f"fleet[{i}].rmb_per_km",
            "no rates given, so every run would cost RMB 0.00; give rmb_per_km and "
            "rmb_per_hour (and fixed_rmb_per_run, fixed_rmb_per_day if any; 0 for a cost "
            f"the hub does not pay){instead}",
        )
        for i, v in enumerate(fleet)
        if not v.model_fields_set & set(_COST_FIELDS)
    ]


def _unknown(hub: HubRuntime, name: str) -> str:
    close = hub.closest_villages(name)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return (
        f"unknown village {name!r} at hub {hub.id!r}; {hint}"
        "check the spelling (GET /v1/hub lists the villages) or give lon and lat"
    )


def problem_data(hub: HubRuntime, req: PlanRequest) -> dict[str, Any]:
    """Turn a request into plain problem data for :func:`routing.model.problem_from_dict`.

    Resolves villages through the hub's gazetteer and a named fleet through the hub's
    fleets, and reports every problem at once.

    Raises
    ------
    InputError
        Naming each field (``pickups[3].village``, ``fleet``...).
    """
    problems: list[InputProblem] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(req.pickups):
        if p.id in seen:
            problems.append(
                InputProblem(
                    f"pickup {p.id!r}",
                    f"pickups[{i}].id",
                    f"duplicate id (also pickups[{seen[p.id]}]); ids must be unique",
                )
            )
        seen.setdefault(p.id, i)
    pickups = [_pickup_data(hub, i, p, problems) for i, p in enumerate(req.pickups)]
    vehicle_types: list[dict[str, Any]] = []
    if isinstance(req.fleet, list):
        names = [v.name for v in req.fleet]
        for i, vt_name in enumerate(names):
            if names.index(vt_name) != i:
                problems.append(
                    InputProblem(f"vehicle type {vt_name!r}", f"fleet[{i}].name", "duplicate name")
                )
        problems.extend(_uncosted(hub, req.fleet))
        vehicle_types = [library_names(v.model_dump(exclude_none=True)) for v in req.fleet]
        for vt, given in zip(vehicle_types, req.fleet, strict=True):
            if given.count is None:
                vt["count"] = None
    else:
        name: str | None = (
            req.fleet
            or hub.config.default_fleet
            or (next(iter(hub.fleets)) if len(hub.fleets) == 1 else None)
        )
        if name is None:
            problems.append(
                InputProblem(
                    "",
                    "fleet",
                    f"hub {hub.id!r} has no default fleet; give the fleet inline"
                    + (f" or name one of {sorted(hub.fleets)}" if hub.fleets else ""),
                )
            )
        elif name not in hub.fleets:
            problems.append(
                InputProblem(
                    "", "fleet", f"unknown fleet {name!r}; use one of {sorted(hub.fleets)}"
                )
            )
        else:
            vehicle_types = [
                v.model_dump(mode="json", exclude={"hub_id"}) for v in hub.fleets[name]
            ]
    if problems:
        raise InputError(problems)
    return {
        "name": req.name,
        "hubs": [hub.hub.model_dump(mode="json")],
        "pickups": pickups,
        "vehicle_types": vehicle_types,
        "closed_roads": list(req.closed_roads),
        "locked_runs": [r.model_dump() for r in req.locked_runs],
        "split_oversize": req.split_oversize,
    }


def check_problem(hub: HubRuntime, data: dict[str, Any], *, max_snap_m: float) -> None:
    """Validate the problem with the library, and snap pickups to the hub's roads.

    Raises
    ------
    InputError
        Every problem, pickups too far from the roads included.
    """
    try:
        problem = problem_from_dict(data)
    except InputError as exc:
        raise InputError(_request_paths(exc.problems, data)) from None
    if hub.network is None:
        return
    from routing.paths import snap_points

    found: list[InputProblem] = []
    for kind, points in (
        ("hub", [(h.id, h.lon, h.lat) for h in problem.hubs]),
        ("pickup", [(p.id, p.lon, p.lat) for p in problem.pickups]),
    ):
        try:
            snap_points(hub.network, points, max_snap_m=max_snap_m, kind=kind)
        except NetworkError as exc:
            found.extend(exc.problems)
        except ValueError as exc:
            # A point the road network's projection cannot place (e.g. 0,0, far off
            # the map) is the caller's input, not a server error.
            found.append(
                InputProblem("", f"{kind}s", f"cannot be placed on the hub's roads: {exc}")
            )
    if found:
        raise NetworkError(found)


_LEADING_KEY = re.compile(r"^(\w+)[: ]")


def _request_paths(problems: tuple[InputProblem, ...], data: dict[str, Any]) -> list[InputProblem]:
    """Name library problems by their paths and words in the request (``pickups[3].ready``).

    Records are matched as the library writes them (``pickup 'P3'``, the id's repr), so
    ids with quotes or unusual characters are found too.
    """
    records: dict[str, tuple[str, str, int]] = {}
    for kind, where, items in (
        ("pickup", "pickups", data["pickups"]),
        ("vehicle type", "fleet", data["vehicle_types"]),
    ):
        for index, item in enumerate(items):
            records.setdefault(f"{kind} {item.get(_ID[kind])!r}", (kind, where, index))
    out = []
    for problem in problems:
        record, message = problem.record, api_names(problem.message)
        if not record:
            # A model validator's problem arrives as one message: "pickup 'P0': ...".
            record = next((r for r in records if message.startswith(f"{r}: ")), "")
            message = message.removeprefix(f"{record}: ") if record else message
        if record not in records:
            out.append(InputProblem(problem.record, api_names(problem.field), message))
            continue
        kind, where, index = records[record]
        field = api_names(problem.field)
        if not field:
            lead = _LEADING_KEY.match(message)
            field = lead.group(1) if lead and lead.group(1) in _FIELDS[kind] else ""
        out.append(
            InputProblem(record, f"{where}[{index}]" + (f".{field}" if field else ""), message)
        )
    return out


_ID = {"pickup": "id", "vehicle type": "name"}
_FIELDS = {"pickup": set(PickupIn.model_fields), "vehicle type": set(VehicleTypeIn.model_fields)}


def tier_data(req: PlanRequest, data: dict[str, Any]) -> dict[str, Any] | None:
    """Stations, feeders and driving rules of a three-tier request (None: one tier),
    validated against the problem so that every mistake is reported at once.

    Raises
    ------
    InputError
        Naming each station, feeder or rule.
    """
    if not req.stations:
        if req.feeders:
            raise InputError(
                InputProblem("", "feeders", "feeders need stations; add 'stations' or drop them")
            )
        return None
    from routing.tiers.io import tier_problem

    stations = [s.model_dump(mode="json") for s in req.stations]
    feeders = [
        {**f.model_dump(mode="json", exclude_none=True), "count": f.count} for f in req.feeders
    ]
    hours = {k: v.model_dump(mode="json") for k, v in req.driver_hours.items()}
    tier_problem(problem_from_dict(data), stations, feeders, hours, source="request")
    tiers: dict[str, Any] = {"stations": stations, "feeders": feeders, "hours": hours}
    return tiers
