"""Instant quotes: what adding one more pickup to a finished plan would cost.

A quote is the *marginal* cost of the request: the cheapest feasible insertion into an
existing run (between two of its stops, keeping every stop's window, the vehicle's
capacity, its shift end and its next run), or else a new run for a vehicle that has
runs left, or else a vehicle not yet used. The answer is RMB in total and per parcel,
and which run would take it; the plan itself is not changed.

Speed: :class:`QuoteContext` does the per-plan work once (snapping every stop, the
legs of every run, earliest starts and latest ends). Each request then snaps one point,
grows one forward and one backward shortest-path tree from it per road profile (scipy
Dijkstra on the profile's CSR graph), reads the detour of every insertion slot at once
with numpy, and checks the schedule exactly only for the cheapest few slots.

What a quote does not model (it is an estimate, not a re-plan): the driver break is
not moved, perishables' on-board limits of the existing stops are not re-checked,
windows of existing stops are the problem's when a problem is given (otherwise the
stops' planned times are taken as their windows' earliest and the shift end as their
latest), and the other runs are not re-optimised. Hub overheads per day do not change
with one more pickup, so they are not in the marginal cost; handling per parcel is.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, computed_field
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from routing.costs import (
    CostModel,
    RunRates,
    leg_values,
    run_cost_rmb,
    to_fen,
    tree_sums,
)
from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.matrix import EARTH_RADIUS_M
from routing.model import Hub, PickupPoint, Plan, Problem, Run, VehicleType
from routing.network import ROAD_CLASSES, RoadNetwork, profile_graph
from routing.paths import snap_points
from routing.quote_runs import RunData, profile_arrays, schedule, stop_windows
from routing.units import format_clock

FloatArray = npt.NDArray[np.float64]

#: Insertion slots whose schedule is checked exactly, cheapest estimate first.
MAX_EXACT_CHECKS = 200
#: Feasible insertions compared exactly before the cheapest is taken.
FEASIBLE_TO_COMPARE = 8
#: Straight-line fallback (no road network), as routing.matrix.StraightLineMatrixProvider.
_DETOUR_FACTOR = 1.5
_SPEED_MS = 25.0 / 3.6


class PickupRequest(BaseModel):
    """A pickup to price: where, how much and, optionally, when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    village: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    parcels: int = Field(gt=0)
    weight_kg: float = Field(ge=0)
    ready_s: int = Field(0, ge=0, description="Window opens, seconds since midnight.")
    close_s: int = Field(2 * 86_400, ge=0, description="Window closes.")
    service_min: float = Field(10.0, ge=0, description="Minutes at the stop.")


class Quote(BaseModel):
    """The marginal cost of adding one pickup to a plan.

    ``position`` is the 0-based index the new stop would take among the run's stops
    (0: first after leaving the hub). ``cost_rmb`` is None when nothing can take it.
    """

    model_config = ConfigDict(frozen=True)

    request: PickupRequest
    feasible: bool
    cost_rmb: float | None
    cost_per_parcel_rmb: float | None
    vehicle: str | None = None
    run: int | None = None
    position: int | None = None
    new_run: bool = False
    new_vehicle: bool = False
    detour_km: float = 0.0
    extra_minutes: float = 0.0
    arrival_time: str | None = None
    notes: tuple[str, ...] = ()
    detail: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def marginal_cost_rmb(self) -> float | None:
        """Same as ``cost_rmb`` (the service's name for it)."""
        return self.cost_rmb


def _haversine_m(lon: FloatArray, lat: FloatArray, lon0: float, lat0: float) -> FloatArray:
    la, lo, la0, lo0 = np.radians(lat), np.radians(lon), math.radians(lat0), math.radians(lon0)
    h = np.sin((la - la0) / 2) ** 2 + np.cos(la) * math.cos(la0) * np.sin((lo - lo0) / 2) ** 2
    out: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return out


class QuoteContext:
    """A plan made ready for many quotes.

    Parameters
    ----------
    plan
        A finished plan with ``vehicle_types`` and ``hubs`` filled.
    network
        The road network the plan was made on; None uses the straight-line estimate
        (only right for plans made without a network).
    problem
        The problem behind the plan, for the existing stops' windows; optional.
    cost_model
        The rates the plan was costed with; None: the fleet's own.
    max_snap_m
        Farthest a request may lie from the nearest road, metres.
    """

    def __init__(
        self,
        plan: Plan,
        network: RoadNetwork | None = None,
        *,
        problem: Problem | None = None,
        cost_model: CostModel | None = None,
        max_snap_m: float = 2000.0,
    ) -> None:
        if not plan.hubs or not plan.vehicle_types:
            raise InputError(
                [InputProblem("plan", "hubs/vehicle_types", "missing; re-plan with this version")]
            )
        self.plan = plan
        self.network = network
        self.model = cost_model
        self.max_snap_m = max_snap_m
        self.types = {v.name: v for v in plan.vehicle_types}
        self.hubs = {h.id: h for h in plan.hubs}
        self.notes: list[str] = []
        windows = {p.id: p for p in problem.pickups} if problem is not None else {}
        if problem is None:
            self.notes.append("existing stops' windows assumed open until the shift end")
        hub_loc, stop_loc = self._locations()
        self.loc_node: list[int] = []
        if network is not None:
            pts = [(f"loc{i}", lon, lat) for i, (lon, lat) in enumerate(self.loc_lonlat)]
            self.loc_node = list(snap_points(network, pts, max_snap_m=max_snap_m * 2).nodes)
        self.profiles = sorted({v.avoid_road_classes for v in plan.vehicle_types})
        self._graphs: dict[tuple[str, ...], tuple[csr_array, csr_array, FloatArray]] = {}
        if network is not None:
            for avoid in self.profiles:
                self._graphs[avoid] = profile_arrays(network, avoid)
        by_vehicle: dict[str, list[Run]] = {}
        for r in plan.runs:
            by_vehicle.setdefault(r.vehicle, []).append(r)
        self.by_vehicle = {k: sorted(v, key=lambda x: x.run) for k, v in by_vehicle.items()}
        legs = self._run_legs(hub_loc, stop_loc)
        self.runs: list[RunData] = [
            self._run_data(
                i, r, [hub_loc[r.hub_id], *stop_loc[i], hub_loc[r.hub_id]], legs[i], windows
            )
            for i, r in enumerate(plan.runs)
        ]
        self._build_slots()

    def _locations(self) -> tuple[dict[str, int], list[list[int]]]:
        """Number the hubs, then every stop: each hub's and each run's stops' locations."""
        self.loc_lonlat: list[tuple[float, float]] = [h.location for h in self.plan.hubs]
        hub_loc = {h.id: i for i, h in enumerate(self.plan.hubs)}
        stop_loc: list[list[int]] = []
        for r in self.plan.runs:
            locs = []
            for s in r.stops:
                locs.append(len(self.loc_lonlat))
                self.loc_lonlat.append(s.location)
            stop_loc.append(locs)
        lonlat = np.array(self.loc_lonlat, dtype=np.float64)
        self.loc_lon, self.loc_lat = lonlat[:, 0], lonlat[:, 1]
        return hub_loc, stop_loc

    def _run_legs(
        self, hub_loc: Mapping[str, int], stop_loc: Sequence[Sequence[int]]
    ) -> dict[int, list[FloatArray]]:
        """Each run's legs (time, metres, metres per road class), per profile in one batch."""
        pairs_by_profile: dict[tuple[str, ...], list[tuple[int, int, int]]] = {}
        for i, r in enumerate(self.plan.runs):
            vt = self.types[r.vehicle_type]
            seq = [hub_loc[r.hub_id], *stop_loc[i], hub_loc[r.hub_id]]
            pairs_by_profile.setdefault(vt.avoid_road_classes, []).extend(
                (i, a, b) for a, b in itertools.pairwise(seq)
            )
        legs: dict[int, list[FloatArray]] = {i: [] for i in range(len(self.plan.runs))}
        for avoid, items in pairs_by_profile.items():
            vals = self._pair_values([(a, b) for _, a, b in items], avoid)
            for (i, _, _), row in zip(items, vals, strict=True):
                legs[i].append(row)
        return legs

    def _run_data(
        self,
        i: int,
        r: Run,
        locs: list[int],
        legs: list[FloatArray],
        windows: Mapping[str, PickupPoint],
    ) -> RunData:
        """A run as the insertion search needs it: legs, windows, loads and time bounds."""
        vt = self.types[r.vehicle_type]
        hub = self.hubs[r.hub_id]
        model = self._model(r.hub_id)
        rates = model.rates_for(vt) if model is not None else RunRates.of(vt)
        factors = model.class_factors() if model is not None else np.ones(len(ROAD_CLASSES))
        rows = np.array(legs).reshape(-1, 2 + len(ROAD_CLASSES))
        leg_s = [self._dur(t, vt) for t in rows[:, 0]]
        ready, close, service, load_p, load_kg = stop_windows(r, vt, windows)
        earliest, latest_end = self._bounds(r, vt, hub)
        sched = schedule(earliest, leg_s, ready, close, service, max(latest_end, r.end))
        return RunData(
            index=i,
            run=r,
            vt=vt,
            hub=hub,
            rates=rates,
            factors=factors,
            unknown=model.unknown_road_factor if model is not None else 1.0,
            locs=locs,
            leg_s=leg_s,
            leg_m=[float(round(x)) for x in rows[:, 1]],
            leg_w=self._weighted(rows, factors, model),
            ready=ready,
            close=close,
            service=service,
            load_p=load_p,
            load_kg=load_kg,
            earliest=earliest,
            latest_end=max(latest_end, r.end),
            base_duration=(sched[1] - sched[0]) if sched is not None else r.duration,
            base_ok=sched is not None,
        )

    def _bounds(self, r: Run, vt: VehicleType, hub: Hub) -> tuple[int, int]:
        """Earliest start and latest end of run ``r``, between the vehicle's other runs."""
        runs_of_vehicle = self.by_vehicle[r.vehicle]
        k = runs_of_vehicle.index(r)
        earliest = max(vt.shift_start_s, hub.open_s)
        if k > 0:
            earliest = runs_of_vehicle[k - 1].end + round(vt.reload_min * 60)
        latest_end = min(vt.shift_end_s, hub.close_s)
        if k + 1 < len(runs_of_vehicle):
            latest_end = min(latest_end, runs_of_vehicle[k + 1].start - round(vt.reload_min * 60))
        return earliest, latest_end

    # ------------------------------------------------------------------ helpers

    def _model(self, hub_id: str) -> CostModel | None:
        return self.model.for_hub(hub_id) if self.model is not None else None

    @staticmethod
    def _dur(time_s: float, vt: VehicleType) -> int:
        t = round(float(time_s)) if math.isfinite(time_s) else 10**12
        return t if vt.speed_factor == 1.0 else round(t / vt.speed_factor)

    def _weighted(
        self, rows: FloatArray, factors: FloatArray, model: CostModel | None
    ) -> list[float]:
        if self.network is None:
            f = model.unknown_road_factor if model is not None else 1.0
            return [float(x) * f for x in rows[:, 1]]
        return [float(x) for x in rows[:, 2:] @ factors]

    def _pair_values(self, pairs: Sequence[tuple[int, int]], avoid: tuple[str, ...]) -> FloatArray:
        """Seconds, metres, metres per class between location pairs."""
        if self.network is not None:
            node_pairs = [(self.loc_node[a], self.loc_node[b]) for a, b in pairs]
            return leg_values(self.network, node_pairs, avoid_road_classes=avoid)
        out = np.zeros((len(pairs), 2 + len(ROAD_CLASSES)))
        for k, (a, b) in enumerate(pairs):
            d = float(
                _haversine_m(
                    self.loc_lon[[b]], self.loc_lat[[b]], self.loc_lon[a], self.loc_lat[a]
                )[0]
            )
            out[k, 1] = round(d * _DETOUR_FACTOR)
            out[k, 0] = round(out[k, 1] / _SPEED_MS)
        return out

    def _build_slots(self) -> None:
        """Flat arrays over every insertion slot of every run, per profile."""
        self.slots: dict[tuple[str, ...], dict[str, npt.NDArray[Any]]] = {}
        for avoid in self.profiles:
            cols: dict[str, list[float]] = {
                k: []
                for k in (
                    "run",
                    "pos",
                    "prev",
                    "next",
                    "old_s",
                    "old_w",
                    "cap_p",
                    "cap_kg",
                    "load_p",
                    "load_kg",
                )
            }
            for rd in self.runs:
                if rd.vt.avoid_road_classes != avoid or not rd.base_ok:
                    continue
                m = len(rd.locs) - 1
                suffix_p = np.maximum.accumulate(np.array(rd.load_p[::-1]))[::-1]
                suffix_kg = np.maximum.accumulate(np.array(rd.load_kg[::-1]))[::-1]
                for i in range(m):
                    cols["run"].append(rd.index)
                    cols["pos"].append(i)
                    cols["prev"].append(rd.locs[i])
                    cols["next"].append(rd.locs[i + 1])
                    cols["old_s"].append(rd.leg_s[i])
                    cols["old_w"].append(rd.leg_w[i])
                    cols["cap_p"].append(rd.vt.capacity_parcels)
                    cols["cap_kg"].append(rd.vt.capacity_kg)
                    # Load from this slot on rises by the new parcels.
                    cols["load_p"].append(float(suffix_p[i]))
                    cols["load_kg"].append(float(suffix_kg[i]))
            arrays: dict[str, npt.NDArray[Any]] = {
                k: np.array(v, dtype=np.int64 if k in ("run", "pos", "prev", "next") else float)
                for k, v in cols.items()
            }
            runs = [self.runs[int(i)] for i in arrays["run"]]
            arrays["speed"] = np.array([rd.vt.speed_factor for rd in runs], dtype=float)
            arrays["factors"] = np.array([rd.factors for rd in runs], dtype=float).reshape(
                len(runs), len(ROAD_CLASSES)
            )
            arrays["unknown"] = np.array([rd.unknown for rd in runs], dtype=float)
            arrays["km_rate"] = np.array([rd.rates.rmb_per_km for rd in runs], dtype=float)
            arrays["h_rate"] = np.array([rd.rates.rmb_per_hour for rd in runs], dtype=float)
            self.slots[avoid] = arrays

    def _from_to(
        self, lon: float, lat: float, avoid: tuple[str, ...]
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Seconds and per-class metres from the point to every location and back.

        Returns ``(t_from, m_from, t_to, m_to)``; the metre arrays have columns
        metres, then metres per road class.
        """
        nloc = len(self.loc_lonlat)
        if self.network is None:
            d = np.rint(_haversine_m(self.loc_lon, self.loc_lat, lon, lat) * _DETOUR_FACTOR)
            t = np.rint(d / _SPEED_MS)
            m = np.zeros((nloc, 1 + len(ROAD_CLASSES)))
            m[:, 0] = d
            return t, m, t.copy(), m.copy()
        node = self._snap(lon, lat)
        csr, csr_t, values = self._graphs[avoid]
        g = profile_graph(self.network, avoid_road_classes=avoid)
        src = np.array([g.index[node]], dtype=np.int64)
        rows = np.array([g.index[n] for n in self.loc_node], dtype=np.int64)
        out: list[FloatArray] = []
        for matrix, reverse in ((csr, False), (csr_t, True)):
            t, pred = dijkstra(matrix, directed=True, indices=src, return_predecessors=True)
            t, pred = np.atleast_2d(t), np.atleast_2d(pred)
            sums = tree_sums(g, pred, values, reverse=reverse)[0]
            out.extend([np.rint(t[0, rows]), sums[rows]])
        return out[0], out[1], out[2], out[3]

    def _snap(self, lon: float, lat: float) -> int:
        assert self.network is not None
        (node,) = snap_points(
            self.network, [("request", lon, lat)], max_snap_m=self.max_snap_m, kind="request"
        ).nodes
        return node

    # ------------------------------------------------------------------ quoting

    def quote(self, request: PickupRequest) -> Quote:
        """Price ``request``: cheapest insertion, else a new run, else a new vehicle."""
        handling_fen = 0
        best: tuple[int, dict[str, object]] | None = None
        service = round(60 * request.service_min)
        for avoid in self.profiles:
            t_from, m_from, t_to, m_to = self._from_to(request.lon, request.lat, avoid)
            found = self._best_insertion(request, avoid, t_from, m_from, t_to, m_to, service)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
            fresh = self._best_new_run(request, avoid, t_from, m_from, t_to, m_to, service)
            if fresh is not None and (best is None or fresh[0] < best[0]):
                best = fresh
        notes = tuple(self.notes)
        if best is None:
            return Quote(
                request=request,
                feasible=False,
                cost_rmb=None,
                cost_per_parcel_rmb=None,
                notes=notes,
                detail="no run, free vehicle or shift can take it (capacity, window or shift)",
            )
        fen, info = best
        hub_id = str(info.pop("hub_id"))
        model = self._model(hub_id)
        if model is not None:
            handling_fen = to_fen(model.handling_rmb_per_parcel * request.parcels)
        total = fen + handling_fen
        return Quote(
            request=request,
            feasible=True,
            cost_rmb=total / 100,
            cost_per_parcel_rmb=round(total / 100 / request.parcels, 2),
            notes=notes,
            **info,
        )

    def _cost_fen(self, rd_rates: RunRates, d_w: float, d_s: float, fixed: float = 0.0) -> int:
        """The fen ``d_w`` weighted metres and ``d_s`` seconds cost, priced as a plan's run."""
        parts = run_cost_rmb(
            distance_m=d_w,
            duration_s=d_s,
            fixed_rmb=fixed,
            rmb_per_km=rd_rates.rmb_per_km,
            rmb_per_hour=rd_rates.rmb_per_hour,
        )
        return to_fen(parts[0] + parts[1] + parts[2])

    def _best_insertion(
        self,
        req: PickupRequest,
        avoid: tuple[str, ...],
        t_from: FloatArray,
        m_from: FloatArray,
        t_to: FloatArray,
        m_to: FloatArray,
        service: int,
    ) -> tuple[int, dict[str, object]] | None:
        sl = self.slots[avoid]
        if len(sl["run"]) == 0:
            return None
        prev, nxt = sl["prev"], sl["next"]
        ok = (
            (sl["load_p"] + req.parcels <= sl["cap_p"])
            & (sl["load_kg"] + req.weight_kg <= sl["cap_kg"] + 1e-9)
            & np.isfinite(t_to[prev])
            & np.isfinite(t_from[nxt])
        )
        if not ok.any():
            return None
        run_idx = sl["run"].astype(np.int64)
        speed, factors, unknown = sl["speed"], sl["factors"], sl["unknown"]
        km_rate, h_rate = sl["km_rate"], sl["h_rate"]
        w_in = self._w(m_to[prev], factors, unknown)
        w_out = self._w(m_from[nxt], factors, unknown)
        s_in = np.rint(np.nan_to_num(t_to[prev], posinf=1e12) / speed)
        s_out = np.rint(np.nan_to_num(t_from[nxt], posinf=1e12) / speed)
        d_s = s_in + service + s_out - sl["old_s"]
        d_w = w_in + w_out - sl["old_w"]
        est = km_rate * d_w / 1000 + h_rate * d_s / 3600
        est[~ok] = np.inf
        order = np.argsort(est, kind="stable")
        best: tuple[int, dict[str, object]] | None = None
        feasible = 0
        for k in order[:MAX_EXACT_CHECKS]:
            if not np.isfinite(est[k]):
                break
            rd = self.runs[int(run_idx[k])]
            i = int(sl["pos"][k])
            leg_s = [*rd.leg_s[:i], int(s_in[k]), int(s_out[k]), *rd.leg_s[i + 1 :]]
            ready = [*rd.ready[:i], req.ready_s, *rd.ready[i:]]
            close = [*rd.close[:i], req.close_s, *rd.close[i:]]
            serv = [*rd.service[:i], service, *rd.service[i:]]
            sched = schedule(rd.earliest, leg_s, ready, close, serv, rd.latest_end)
            if sched is None:
                continue
            start, end, arrivals = sched
            d_m = float(m_to[rd.locs[i], 0] + m_from[rd.locs[i + 1], 0]) - rd.leg_m[i]
            if rd.vt.max_distance_km is not None and (
                rd.run.distance + d_m > rd.vt.max_distance_km * 1000
            ):
                continue
            extra_s = (end - start) - rd.base_duration
            fen = self._cost_fen(rd.rates, float(d_w[k]), float(extra_s))
            if best is None or fen < best[0]:
                best = (
                    fen,
                    {
                        "hub_id": rd.hub.id,
                        "vehicle": rd.run.vehicle,
                        "run": rd.run.run,
                        "position": i,
                        "new_run": False,
                        "detour_km": round(d_m / 1000, 2),
                        "extra_minutes": round(extra_s / 60, 1),
                        "arrival_time": format_clock(arrivals[i]),
                    },
                )
            feasible += 1
            if feasible >= FEASIBLE_TO_COMPARE:
                break
        return best

    @staticmethod
    def _w(m: FloatArray, factors: FloatArray, unknown: FloatArray) -> FloatArray:
        """Factor-weighted metres; rows without road classes use the unknown factor."""
        by_class = m[:, 1:]
        weighted = np.einsum("ij,ij->i", by_class, factors)
        has = by_class.sum(axis=1) > 0
        out: FloatArray = np.where(has, weighted, m[:, 0] * unknown)
        return out

    def _best_new_run(
        self,
        req: PickupRequest,
        avoid: tuple[str, ...],
        t_from: FloatArray,
        m_from: FloatArray,
        t_to: FloatArray,
        m_to: FloatArray,
        service: int,
    ) -> tuple[int, dict[str, object]] | None:
        best: tuple[int, dict[str, object]] | None = None
        used: dict[str, set[int]] = {}
        for name in self.by_vehicle:
            t, _, num = name.rpartition("-")
            if num.isdigit():
                used.setdefault(t, set()).add(int(num))
        hub_loc = {h.id: i for i, h in enumerate(self.plan.hubs)}
        for vt in self.plan.vehicle_types:
            if vt.avoid_road_classes != avoid:
                continue
            if req.parcels > vt.capacity_parcels or req.weight_kg > vt.capacity_kg + 1e-9:
                continue
            hub = self.hubs.get(vt.hub_id or self.plan.hubs[0].id, self.plan.hubs[0])
            h = hub_loc[hub.id]
            if not (np.isfinite(t_from[h]) and np.isfinite(t_to[h])):
                continue
            s_out = self._dur(float(t_to[h]), vt)  # hub -> request (tree *to* the point)
            s_back = self._dur(float(t_from[h]), vt)
            model = self._model(hub.id)
            rates = model.rates_for(vt) if model is not None else RunRates.of(vt)
            factors = model.class_factors() if model is not None else np.ones(len(ROAD_CLASSES))
            unknown = np.array([model.unknown_road_factor if model is not None else 1.0])
            w = float(
                self._w(m_to[[h]], factors[None, :], unknown)[0]
                + self._w(m_from[[h]], factors[None, :], unknown)[0]
            )
            metres = float(m_to[h, 0] + m_from[h, 0])
            if vt.max_distance_km is not None and metres > vt.max_distance_km * 1000:
                continue
            latest = min(vt.shift_end_s, hub.close_s)
            options: list[tuple[str, int, int, bool]] = []
            for name, runs in self.by_vehicle.items():
                if runs[0].vehicle_type == vt.name and len(runs) < vt.max_runs_per_day:
                    options.append(
                        (name, runs[-1].run + 1, runs[-1].end + round(vt.reload_min * 60), False)
                    )
            taken = used.get(vt.name, set())
            if vt.count is None or len(taken) < vt.count:
                k = next(i for i in range(1, len(taken) + 2) if i not in taken)
                options.append((f"{vt.name}-{k}", 1, max(vt.shift_start_s, hub.open_s), True))
            for name, run_no, earliest, fresh in options:
                sched = schedule(
                    earliest, [s_out, s_back], [req.ready_s], [req.close_s], [service], latest
                )
                if sched is None:
                    continue
                start, end, arrivals = sched
                fixed = rates.fixed_rmb_per_run + (rates.fixed_rmb_per_day if fresh else 0.0)
                fen = self._cost_fen(rates, w, float(end - start), fixed)
                if best is None or fen < best[0]:
                    best = (
                        fen,
                        {
                            "hub_id": hub.id,
                            "vehicle": name,
                            "run": run_no,
                            "position": 0,
                            "new_run": True,
                            "new_vehicle": fresh,
                            "detour_km": round(metres / 1000, 2),
                            "extra_minutes": round((end - start) / 60, 1),
                            "arrival_time": format_clock(arrivals[0]),
                        },
                    )
        return best
