"""Each vehicle type's own view of an OSM network: the roads it may use, at its speed.

A road is closed to a vehicle type when a legal limit is below its figure
(``maxweight`` < ``weight_t``, ``maxaxleload`` < its axle load, ``maxheight`` <
``height_m``, ``maxwidth`` < ``width_m``, ``maxlength`` < ``length_m``) or when the
road is unpaved and the type avoids unpaved roads. A type that gives ``weight_t`` but
no ``axle_load_t`` is taken to carry 60 % of its weight on its heaviest axle (a
two-axle truck loaded behind). Its time on each remaining road follows the grade
model of :mod:`routing.roads.elevation`; road classes it avoids
(``avoid_road_classes``) stay in the view and are left out by the usual profile
graph, so road-class logic lives in one place.

Views are cached per network and per :func:`vehicle_key`; nodes are the network's.
"""

from __future__ import annotations

import math
import weakref
from typing import Final

import numpy as np

from routing.model import VehicleType
from routing.network import RoadNetwork
from routing.roads.elevation import default_climb_s_per_100m
from routing.roads.graph import RoadEdges, edges_of, is_osm, node_positions, to_network

#: Share of a vehicle's weight on its heaviest axle when the fleet does not say.
AXLE_SHARE: Final = 0.6

#: Steep descents cost this share of the climbing time per metre (engine braking).
DESCENT_SHARE: Final = 0.25

VehicleKey = tuple[float, float, float, float, float, bool, float]

_VIEWS: weakref.WeakKeyDictionary[RoadNetwork, dict[VehicleKey, RoadNetwork]] = (
    weakref.WeakKeyDictionary()
)


def vehicle_key(vt: VehicleType) -> VehicleKey:
    """What decides a vehicle type's roads and times: its limits, unpaved, climb rate."""
    weight = vt.weight_t if vt.weight_t is not None else 0.0
    axle = vt.axle_load_t if vt.axle_load_t is not None else AXLE_SHARE * weight
    climb = (
        vt.climb_s_per_100m
        if vt.climb_s_per_100m is not None
        else default_climb_s_per_100m(vt.weight_t)
    )
    return (
        weight,
        axle,
        vt.height_m or 0.0,
        vt.width_m or 0.0,
        vt.length_m or 0.0,
        vt.avoid_unpaved,
        climb,
    )


def allowed_edges(edges: RoadEdges, key: VehicleKey) -> np.ndarray:
    """Mask of the edges a vehicle with ``key`` may use."""
    weight, axle, height, width, length, avoid_unpaved, _ = key
    ok = (
        (edges.max_weight_t >= weight)
        & (edges.max_axle_load_t >= axle)
        & (edges.max_height_m >= height)
        & (edges.max_width_m >= width)
        & (edges.max_length_m >= length)
    )
    if avoid_unpaved:
        ok &= ~edges.unpaved
    return ok


def vehicle_times(edges: RoadEdges, climb_s_per_100m: float) -> np.ndarray:
    """Seconds on each edge on the grade: flat time plus climbing and steep-descent time."""
    per_m = climb_s_per_100m / 100.0
    return (
        edges.base_time_s + per_m * edges.ascent_m + DESCENT_SHARE * per_m * edges.steep_descent_m
    )


def network_for_vehicle(network: RoadNetwork, vt: VehicleType) -> RoadNetwork:
    """The roads ``vt`` may use, with its times; the network itself if it is not from OSM.

    Road files other than OSM carry no limits or climbs: for them the vehicle's
    ``avoid_road_classes`` (handled by the profile graph) is the whole story.
    """
    if not is_osm(network):
        return network
    key = vehicle_key(vt)
    cache = _VIEWS.setdefault(network, {})
    view = cache.get(key)
    if view is None:
        edges = edges_of(network)
        mask = allowed_edges(edges, key)
        kept = edges.take(mask)
        kept = kept.with_times(vehicle_times(kept, key[-1]))
        lonlat, xy = node_positions(network)
        meta = dict(network.graph.graph)
        meta.pop("crs", None)
        meta["closed_to_vehicle"] = int(np.count_nonzero(~mask))
        meta["climb_s_per_100m"] = key[-1]
        view = to_network(lonlat, kept, crs=network.crs, meta=meta, node_xy=xy)
        cache[key] = view
    return view


def describe_key(key: VehicleKey) -> str:
    """A readable form of a vehicle key for messages."""
    weight, axle, height, width, length, unpaved, climb = key
    parts = [
        f"{name} {value:g}{unit}"
        for name, value, unit in (
            ("weight", weight, " t"),
            ("axle", axle, " t"),
            ("height", height, " m"),
            ("width", width, " m"),
            ("length", length, " m"),
        )
        if value > 0 and math.isfinite(value)
    ]
    if unpaved:
        parts.append("paved roads only")
    parts.append(f"climb {climb:g} s/100 m")
    return ", ".join(parts)
