"""Put a three-tier day together: runs by tier, transfers, per-parcel costs, summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from routing.allocation import split_fen, to_fen
from routing.model import Plan, Run, Summary, Unassigned, VillageCost
from routing.tiers.hours import base_id
from routing.tiers.model import Station, Transfer
from routing.tiers.overnight import duty_s
from routing.tiers.problem import TierProblem
from routing.units import format_clock


@dataclass(frozen=True)
class StationDay:
    """A station's feeder runs and the load they leave for the trunk."""

    station: Station
    runs: tuple[Run, ...]
    unassigned: tuple[Unassigned, ...]
    release_s: int
    """When the produce is ready for the trunk: last feeder back plus handling."""
    on_board_left_s: int | None
    """Perishables: seconds left for the trunk leg from ``release_s``; None: no limit."""

    @property
    def pickup_ids(self) -> tuple[str, ...]:
        """Pickups the feeders collected."""
        return tuple(s.pickup_id for r in self.runs for s in r.stops)

    def total(self, field: str) -> float:
        """Sum of a stop field over the feeder stops (parcels, weight_kg...)."""
        return sum(float(getattr(s, field)) for r in self.runs for s in r.stops)


def label(run: Run) -> str:
    """How transfers name a run."""
    return f"{run.vehicle} run {run.run}"


def transfers_for(runs: Sequence[Run], days: Mapping[str, StationDay]) -> list[Transfer]:
    """One transfer per trunk stop at a station, with each pickup's onward cost."""
    out: list[Transfer] = []
    for r in runs:
        for st in r.stops:
            day = days.get(base_id(st.pickup_id))
            if day is None:
                continue
            stops = [s for fr in day.runs for s in fr.stops]
            handling_fen = to_fen(
                (st.parcels + st.delivery_parcels) * day.station.handling_rmb_per_parcel
            )
            shares = split_fen(
                to_fen(st.cost_rmb) + handling_fen,
                [s.parcels + s.delivery_parcels for s in stops],
                [s.pickup_id for s in stops],
            )
            out.append(
                Transfer(
                    station_id=day.station.id,
                    parcels=st.parcels,
                    weight_kg=st.weight_kg,
                    delivery_parcels=st.delivery_parcels,
                    from_runs=tuple(label(fr) for fr in day.runs),
                    to_run=label(r),
                    pickup_ids=tuple(s.pickup_id for s in stops),
                    ready=day.release_s,
                    ready_time=format_clock(day.release_s),
                    loaded=st.departure,
                    loaded_time=format_clock(st.departure),
                    handling_rmb=handling_fen / 100,
                    pickup_cost_rmb={
                        s.pickup_id: f / 100 for s, f in zip(stops, shares, strict=True)
                    },
                )
            )
    return out


def tier_plan(
    tp: TierProblem,
    runs: Sequence[Run],
    transfers: Sequence[Transfer],
    unassigned: Sequence[Unassigned],
    *,
    solver: str = "",
    timings_s: Mapping[str, float] | None = None,
) -> Plan:
    """The plan: summary and per-village costs count every leg and the handling."""
    problem = tp.problem
    onward: dict[str, int] = defaultdict(int)
    for t in transfers:
        for pid, rmb in t.pickup_cost_rmb.items():
            onward[pid] += to_fen(rmb)
    # Village stops on any run (a trunk run may collect villages on its way too).
    stations = {st.id for st in tp.stations}
    stops = [s for r in runs for s in r.stops if base_id(s.pickup_id) not in stations]
    township = {p.id: p.township for p in problem.pickups}
    per_village: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in stops:
        row = per_village[(s.village, township.get(base_id(s.pickup_id), ""))]
        row[0] += 1
        row[1] += s.parcels + s.delivery_parcels
        row[2] += to_fen(s.cost_rmb) + onward.get(s.pickup_id, 0)
    villages = tuple(
        VillageCost(
            village=v,
            township=t,
            pickups=row[0],
            parcels=row[1],
            cost_rmb=row[2] / 100,
            cost_per_parcel_rmb=round(row[2] / 100 / row[1], 2) if row[1] else None,
        )
        for (v, t), row in sorted(per_village.items())
    )
    total_fen = sum(to_fen(r.cost_rmb) for r in runs) + sum(
        to_fen(t.handling_rmb) for t in transfers
    )
    parcels = sum(s.parcels for s in stops)
    handled = parcels + sum(s.delivery_parcels for s in stops)
    order = {p.id: i for i, p in enumerate(problem.pickups)}
    summary = Summary(
        total_cost_rmb=total_fen / 100,
        cost_per_parcel_rmb=round(total_fen / 100 / handled, 2) if handled else None,
        parcels=parcels,
        delivery_parcels=handled - parcels,
        weight_kg=round(sum(s.weight_kg for s in stops), 1),
        distance_km=round(sum(r.distance for r in runs) / 1000, 1),
        duration_h=round(sum(duty_s(r) for r in runs) / 3600, 2),
        runs=len(runs),
        vehicles=len({r.vehicle for r in runs}),
        unassigned=len(unassigned),
        pickups=len(problem.pickups),
        solver=solver,
        timings_s=dict(timings_s or {}),
    )
    feeder_types = tuple(f.vehicle.model_copy(update={"hub_id": f.station_id}) for f in tp.feeders)
    return Plan(
        name=problem.name,
        hubs=problem.hubs,
        vehicle_types=problem.vehicle_types + feeder_types,
        summary=summary,
        runs=tuple(runs),
        unassigned=tuple(sorted(unassigned, key=lambda u: order.get(u.pickup_id, len(order)))),
        villages=villages,
        stations=tp.stations,
        transfers=tuple(transfers),
    )
