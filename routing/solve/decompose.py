"""Decomposition for large instances: split by route, solve the parts, merge.

Cluster-first, route-second on a starting solution: its routes are grouped by the
polar angle of their barycentre around the depot (HGS-style), each group's clients
and vehicles become a sub-instance that keeps the group's routes as its warm start,
the parts are solved independently (in parallel by the portfolio), and the parts'
routes are merged back. Because every part keeps the vehicles its routes used (plus a
share of the idle ones), the merged solution never uses more vehicles than exist.
Without a starting solution the clients themselves are split into angular sectors
of balanced load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from routing.solve.instance import Instance, IntArray, Route, Solution, Trip, VehicleTypeData


@dataclass(frozen=True)
class Part:
    """One sub-problem: the sub-instance, how to map it back, and its warm start."""

    instance: Instance
    clients: IntArray
    """Client indices of the full instance, in the sub-instance's order."""
    type_offsets: tuple[int, ...]
    """First vehicle (within its type) of the full instance this part may use."""
    initial: Solution | None


def _angles(instance: Instance, points: IntArray | np.ndarray) -> np.ndarray:
    """Polar angle of planar points around the first depot."""
    if instance.coords is None:
        return np.zeros(len(points))
    depot = instance.coords[0].astype(np.float64)
    delta = np.asarray(points, dtype=np.float64) - depot
    angles: np.ndarray = np.arctan2(delta[:, 1], delta[:, 0])
    return angles


def can_decompose(instance: Instance) -> bool:
    """True when splitting by angle around a depot is meaningful for this instance.

    Must-collect and optional clients alike: a part keeps its clients' prizes, and
    clients a starting plan leaves out join the part nearest them in angle
    (:func:`split_by_routes`), so each part may still take them.
    """
    return instance.coords is not None and instance.num_depots == 1 and not instance.locked


def _rotate_to_gap(order: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Start the angular order after the widest empty sector, not at an arbitrary cut."""
    if len(order) < 2:
        return order
    sorted_angles = angles[order]
    gaps = np.diff(np.append(sorted_angles, sorted_angles[0] + 2 * math.pi))
    start = (int(np.argmax(gaps)) + 1) % len(order)
    return np.roll(order, -start)


def sub_instance(
    instance: Instance, clients: IntArray, vehicles: list[int], *, name: str
) -> Instance:
    """Return the instance restricted to ``clients`` with ``vehicles[t]`` of type ``t``.

    Vehicle types left without vehicles keep one (never used by a merged plan beyond
    what exists, since the part's counts are taken from the full fleet).
    """
    nodes = np.concatenate([np.arange(instance.num_depots), instance.num_depots + clients])
    grid = np.ix_(np.arange(instance.distance.shape[0]), nodes, nodes)
    distance = instance.distance[grid]
    cost_distance = None if instance.cost_distance is None else instance.cost_distance[grid]
    duration = distance if instance.duration is instance.distance else instance.duration[grid]
    types = tuple(
        replace(vt, num_available=max(1, n))
        for vt, n in zip(instance.vehicle_types, vehicles, strict=True)
    )
    max_on_board = instance.max_on_board
    if max_on_board.size == instance.num_clients:
        max_on_board = max_on_board[clients]
    return replace(
        instance,
        name=name,
        distance=distance,
        duration=duration,
        cost_distance=cost_distance,
        pickup=instance.pickup[clients],
        delivery=instance.delivery[clients],
        service=instance.service[clients],
        tw_early=instance.tw_early[clients],
        tw_late=instance.tw_late[clients],
        release=instance.release[clients],
        prize=instance.prize[clients],
        required=instance.required[clients],
        allowed=instance.allowed[clients],
        vehicle_types=types,
        max_on_board=max_on_board,
        client_ids=tuple(instance.client_ids[c] for c in clients) if instance.client_ids else (),
        coords=None if instance.coords is None else instance.coords[nodes],
        locked=(),
    )


def split_by_routes(
    instance: Instance, solution: Solution, num_parts: int, *, rotation: float = 0.0
) -> list[Part]:
    """Split ``solution``'s routes into ``num_parts`` angular groups of similar size.

    Parameters
    ----------
    instance
        The full instance (see :func:`can_decompose`).
    solution
        A complete starting solution; its routes become the parts' warm starts.
    num_parts
        How many parts (at most the number of routes).
    rotation
        Fraction of a part by which the angular cuts are turned, so that repeated
        splits put the borders elsewhere (0 starts at the widest empty sector).

    Returns
    -------
    list[Part]
        Parts covering every served client once.
    """
    routes = [r for r in solution.routes if any(t.clients for t in r.trips)]
    num_parts = max(1, min(num_parts, len(routes)))
    assert instance.coords is not None
    centres = np.array(
        [
            instance.coords[[instance.client_node(c) for t in r.trips for c in t.clients]].mean(
                axis=0
            )
            for r in routes
        ]
    )
    angles = _angles(instance, centres)
    order = _rotate_to_gap(np.argsort(angles, kind="stable"), angles)
    order = np.roll(order, -round(rotation * len(order) / num_parts))
    sizes = np.array([sum(len(t.clients) for t in routes[i].trips) for i in order])
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(1, num_parts) * sizes.sum() / num_parts)
    groups = [g for g in np.split(order, cuts) if len(g)]
    extra = _unserved_by_group(instance, solution, [angles[g] for g in groups])

    num_types = len(instance.vehicle_types)
    used = [sum(1 for r in routes if r.vehicle_type == t) for t in range(num_types)]
    idle = [vt.num_available - used[t] for t, vt in enumerate(instance.vehicle_types)]
    parts: list[Part] = []
    offsets = [0] * num_types
    for g_idx, group in enumerate(groups):
        part_routes = [routes[i] for i in group]
        counts = []
        for t in range(num_types):
            mine = sum(1 for r in part_routes if r.vehicle_type == t)
            share = idle[t] // len(groups) + (1 if g_idx < idle[t] % len(groups) else 0)
            counts.append(mine + share)
        clients = np.array(
            [c for r in part_routes for t in r.trips for c in t.clients] + extra[g_idx],
            dtype=np.int64,
        )
        local = {int(c): i for i, c in enumerate(clients)}
        next_vehicle = [0] * num_types
        init_routes = []
        for r in part_routes:
            init_routes.append(
                Route(
                    vehicle_type=r.vehicle_type,
                    vehicle=next_vehicle[r.vehicle_type],
                    trips=tuple(Trip(tuple(local[c] for c in t.clients)) for t in r.trips),
                )
            )
            next_vehicle[r.vehicle_type] += 1
        sub = sub_instance(instance, clients, counts, name=f"{instance.name}/part{g_idx + 1}")
        initial = Solution(routes=tuple(init_routes), unassigned=(), cost=0, engine="split")
        parts.append(Part(sub, clients, tuple(offsets), initial))
        offsets = [o + n for o, n in zip(offsets, counts, strict=True)]
    return parts


def _unserved_by_group(
    instance: Instance, solution: Solution, group_angles: list[np.ndarray]
) -> list[list[int]]:
    """Clients ``solution`` leaves out, each given to the group nearest it in angle."""
    served = solution.served()
    left = np.array([c for c in range(instance.num_clients) if c not in served], dtype=np.int64)
    out: list[list[int]] = [[] for _ in group_angles]
    if not len(left) or instance.coords is None:
        return out
    assert instance.coords is not None
    angles = _angles(instance, instance.coords[instance.num_depots + left])
    centre = np.array([math.atan2(np.sin(a).mean(), np.cos(a).mean()) for a in group_angles])
    gap = np.abs(np.angle(np.exp(1j * (angles[:, None] - centre[None, :]))))
    for c, g in zip(left.tolist(), np.argmin(gap, axis=1).tolist(), strict=True):
        out[g].append(c)
    return out


def split_by_angle(instance: Instance, num_parts: int) -> list[Part]:
    """Split the clients into angular sectors of similar total load (no warm start).

    The fleet is shared out in proportion to each sector's load, at least one vehicle
    of each type per part.
    """
    assert instance.coords is not None
    points = instance.coords[instance.num_depots :]
    angles = _angles(instance, points)
    order = _rotate_to_gap(np.argsort(angles, kind="stable"), angles)
    load = (instance.delivery + instance.pickup).sum(axis=1)[order].astype(np.float64) + 1e-9
    cuts = np.searchsorted(np.cumsum(load), np.arange(1, num_parts) * load.sum() / num_parts)
    groups = [g for g in np.split(order, cuts) if len(g)]
    parts: list[Part] = []
    offsets = [0] * len(instance.vehicle_types)
    for g_idx, group in enumerate(groups):
        counts = [
            vt.num_available // len(groups) + (1 if g_idx < vt.num_available % len(groups) else 0)
            for vt in instance.vehicle_types
        ]
        clients = np.sort(group).astype(np.int64)
        sub = sub_instance(instance, clients, counts, name=f"{instance.name}/part{g_idx + 1}")
        parts.append(Part(sub, clients, tuple(offsets), None))
        offsets = [o + n for o, n in zip(offsets, counts, strict=True)]
    return parts


def merge(instance: Instance, parts: list[Part], solutions: list[Solution]) -> Solution:
    """Merge part solutions into one solution of the full instance.

    Vehicle ``v`` of type ``t`` in part ``p`` becomes vehicle ``offset[p][t] + v``;
    vehicles past the full fleet are renumbered into the lowest free indices.
    """
    routes: list[Route] = []
    taken: set[tuple[int, int]] = set()
    overflow: list[Route] = []
    for part, sol in zip(parts, solutions, strict=True):
        for r in sol.routes:
            trips = tuple(
                Trip(tuple(int(part.clients[c]) for c in t.clients)) for t in r.trips if t.clients
            )
            if not trips:
                continue
            vehicle = part.type_offsets[r.vehicle_type] + r.vehicle
            route = Route(vehicle_type=r.vehicle_type, vehicle=vehicle, trips=trips)
            vt: VehicleTypeData = instance.vehicle_types[r.vehicle_type]
            if vehicle >= vt.num_available or (r.vehicle_type, vehicle) in taken:
                overflow.append(route)
                continue
            taken.add((r.vehicle_type, vehicle))
            routes.append(route)
    for route in overflow:
        free = next(
            (
                v
                for v in range(instance.vehicle_types[route.vehicle_type].num_available)
                if (route.vehicle_type, v) not in taken
            ),
            instance.vehicle_types[route.vehicle_type].num_available,
        )
        taken.add((route.vehicle_type, free))
        routes.append(replace(route, vehicle=free))
    served = {c for r in routes for t in r.trips for c in t.clients}
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(c for c in range(instance.num_clients) if c not in served),
        cost=sum(s.cost for s in solutions),
        engine="+".join(sorted({s.engine for s in solutions})) or "merge",
    )
