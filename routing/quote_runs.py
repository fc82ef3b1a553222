"""A plan's runs as the quote's insertion search sees them: legs, windows, loads, times.

:class:`RunData` holds one run's legs (seconds, metres, factor-weighted metres), its
stops' windows and service times, the load on board after each stop and the time the
run may take between the vehicle's other runs; :func:`schedule` replays a run with a
stop inserted, leaving as late as the windows allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array

from routing.cost_model import RunRates
from routing.model import Hub, PickupPoint, Run, VehicleType
from routing.network import ROAD_CLASSES, RoadNetwork, profile_graph
from routing.road_classes import edge_road_class

FloatArray = npt.NDArray[np.float64]


@dataclass
class RunData:
    """One run of the plan, ready for insertions."""

    index: int
    run: Run
    vt: VehicleType
    hub: Hub
    rates: RunRates
    factors: FloatArray  # per road class
    unknown: float  # factor on km whose road class is unknown
    locs: list[int]  # location index: hub, stops..., hub
    leg_s: list[int]
    leg_m: list[float]
    leg_w: list[float]  # factor-weighted metres
    ready: list[int]
    close: list[int]
    service: list[int]
    load_p: list[int]  # parcels on board after leaving the hub / each stop
    load_kg: list[float]
    earliest: int
    latest_end: int
    base_duration: int
    base_ok: bool


def simulate(
    start: int, leg_s: Sequence[int], ready: Sequence[int], service: Sequence[int]
) -> tuple[list[int], list[int], int]:
    """Earliest schedule from ``start``: arrival and service start per stop, return."""
    t = start
    arrivals: list[int] = []
    begins: list[int] = []
    for k in range(len(ready)):
        a = t + leg_s[k]
        b = max(a, ready[k])
        arrivals.append(a)
        begins.append(b)
        t = b + service[k]
    return arrivals, begins, t + leg_s[len(ready)]


def schedule(
    earliest: int,
    leg_s: Sequence[int],
    ready: Sequence[int],
    close: Sequence[int],
    service: Sequence[int],
    latest_end: int,
) -> tuple[int, int, list[int]] | None:
    """Start, end and arrivals leaving as late as windows allow; None if infeasible."""
    arrivals, begins, end = simulate(earliest, leg_s, ready, service)
    waited = 0
    room: int | None = None
    for a, b, c in zip(arrivals, begins, close, strict=True):
        if b > c:
            return None
        waited += b - a
        room = c - b + waited if room is None else min(room, c - b + waited)
    if end > latest_end:
        return None
    delay = max(0, min(waited, room if room is not None else 0))
    if delay:
        arrivals, begins, end = simulate(earliest + delay, leg_s, ready, service)
    return earliest + delay, end, arrivals


def profile_arrays(
    network: RoadNetwork, avoid: tuple[str, ...]
) -> tuple[csr_array, csr_array, FloatArray]:
    """A profile's travel times (forward and reversed) and each edge's metres per class."""
    g = profile_graph(network, avoid_road_classes=avoid)
    cls = edge_road_class(network, avoid)
    values = np.zeros((len(cls), 1 + len(ROAD_CLASSES)))
    values[:, 0] = g.length_m
    values[np.arange(len(cls)), 1 + cls] = g.length_m
    return g.travel_time_s, g.travel_time_s.T.tocsr(), values


def stop_windows(
    r: Run, vt: VehicleType, windows: Mapping[str, PickupPoint]
) -> tuple[list[int], list[int], list[int], list[int], list[float]]:
    """Each stop's window and service time, and the load after each stop (parcels, kg).

    Without the problem's pickup, a stop is taken as ready when the plan began
    serving it (if it waited) and open until the shift's end.
    """
    ready: list[int] = []
    close: list[int] = []
    service: list[int] = []
    p_on = sum(s.delivery_parcels for s in r.stops)
    kg_on = sum(s.delivery_weight_kg for s in r.stops)
    load_p, load_kg = [p_on], [kg_on]
    for s in r.stops:
        p = windows.get(s.pickup_id) or windows.get(s.pickup_id.split("#", 1)[0])
        begin = s.arrival + s.waiting_time
        if p is not None:
            ready.append(p.ready_s)
            close.append(p.close_s)
        else:
            ready.append(begin if s.waiting_time > 0 else 0)
            close.append(vt.shift_end_s)
        service.append(s.departure - begin)
        p_on += s.parcels - s.delivery_parcels
        kg_on += s.weight_kg - s.delivery_weight_kg
        load_p.append(p_on)
        load_kg.append(kg_on)
    return ready, close, service, load_p, load_kg
