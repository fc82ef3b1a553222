"""Travel matrices over the hub, the stations and the pickups, and road paths to draw."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from routing.matrix import (
    MatrixProvider,
    RoadMatrixProvider,
    StraightLineMatrixProvider,
    TravelMatrix,
)
from routing.model import Hub, Plan
from routing.network import RoadNetwork
from routing.pipeline import matrices_for, road_paths, snap_kinds
from routing.plan import PathFn
from routing.tiers.problem import TierProblem


def flat_problem(tp: TierProblem) -> TierProblem:
    """``tp`` with its stations listed as extra hubs (ids: hubs, stations, pickups)."""
    hubs = tp.problem.hubs + tuple(
        Hub(id=s.id, name=s.name or s.id, lon=s.lon, lat=s.lat) for s in tp.stations
    )
    types = tp.problem.vehicle_types + tuple(
        f.vehicle.model_copy(update={"hub_id": None}) for f in tp.feeders
    )
    flat = tp.problem.model_copy(update={"hubs": hubs, "vehicle_types": types})
    return tp.model_copy(update={"problem": flat})


def tier_matrices(
    tp: TierProblem, network: RoadNetwork | None, *, max_snap_m: float = 2000.0
) -> tuple[dict[str, TravelMatrix], PathFn | None]:
    """One matrix per road profile over hub, station and pickup ids; a path drawer.

    Raises
    ------
    NetworkError
        Naming every hub, station or pickup too far from the roads.
    """
    flat = flat_problem(tp).problem
    if network is None:
        return matrices_for(flat, StraightLineMatrixProvider()), None
    station_ids = {s.id for s in tp.stations}
    node_of = snap_kinds(
        network,
        (
            ("hub", [(h.id, h.lon, h.lat) for h in flat.hubs if h.id not in station_ids]),
            ("station", [(s.id, s.lon, s.lat) for s in tp.stations]),
            ("pickup", [(p.id, p.lon, p.lat) for p in flat.pickups]),
        ),
        max_snap_m=max_snap_m,
    )
    provider: MatrixProvider = RoadMatrixProvider(network, max_snap_m=max_snap_m)
    paths = road_paths(network, flat, node_of)
    return matrices_for(flat, provider), paths


def sub_matrices(
    matrices: Mapping[str, TravelMatrix], ids: Sequence[str], profiles: Sequence[str]
) -> dict[str, TravelMatrix]:
    """The rows and columns of ``ids`` (in that order) for the given profiles."""
    out: dict[str, TravelMatrix] = {}
    for prof in dict.fromkeys(profiles):
        m = matrices[prof]
        index = {i: n for n, i in enumerate(m.ids)}
        take = [index[i] for i in ids]
        sel = np.ix_(take, take)
        out[prof] = TravelMatrix(
            ids=tuple(ids), distance_m=m.distance_m[sel], duration_s=m.duration_s[sel], profile=prof
        )
    return out


def draw_paths(plan: Plan, paths: PathFn) -> Plan:
    """Give every run of ``plan`` its path along the roads (one batch per profile)."""
    profile = {vt.name: vt.profile for vt in plan.vehicle_types}
    by_profile: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for n, r in enumerate(plan.runs):
        seq = [r.hub_id, *[s.pickup_id for s in r.stops]]
        if r.overnight is not None and r.overnight.station_id != seq[-1]:
            seq.append(r.overnight.station_id)
        by_profile[profile[r.vehicle_type]].append((n, [*seq, r.hub_id]))
    runs = list(plan.runs)
    for prof, items in by_profile.items():
        drawn = paths([seq for _, seq in items], prof)
        for (n, _), line in zip(items, drawn, strict=True):
            runs[n] = runs[n].model_copy(
                update={"path": tuple((round(x, 6), round(y, 6)) for x, y in line)}
            )
    return plan.model_copy(update={"runs": tuple(runs)})
