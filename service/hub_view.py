"""``GET /v1/hub``: what a planner needs to know about their hub before asking for a plan.

The hub's position and hours, every village of its gazetteer with each name the service
accepts for it, its fleets, how costs are counted and the road network plans run on.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from routing.model import VehicleType
from service.hubs import HubRuntime, _hhmm


class VillageOut(BaseModel):
    """A village of the hub's gazetteer."""

    id: str
    name: str = Field(description="The name plans and cost tables use.")
    names: list[str] = Field(description="Every name a request may use for this village.")
    lon: float
    lat: float
    township: str = ""


class VehicleTypeOut(BaseModel):
    """A vehicle type of a fleet, with its rates."""

    name: str
    count: int | None = Field(description="How many; null for unlimited.")
    capacity_parcels: int
    capacity_kg: float
    fixed_rmb_per_run: float
    fixed_rmb_per_day: float
    rmb_per_km: float
    rmb_per_hour: float
    shift_start: str
    shift_end: str
    max_runs_per_day: int


class CostModelOut(BaseModel):
    """How a plan's cost is counted at this hub."""

    basis: str
    uncosted_vehicle_types: list[str] = Field(
        description="Vehicle types with every rate 0: their runs cost RMB 0.00."
    )


class RoadNetworkOut(BaseModel):
    """The roads plans at this hub run on."""

    travel_times: str = Field(description="'roads' or 'straight-line estimates'.")
    file: str | None = None
    nodes: int | None = None
    directed_edges: int | None = None
    road_classes: dict[str, int] = Field(default_factory=dict, description="Edges per class.")


class HubOut(BaseModel):
    """The caller's hub."""

    id: str
    name: str
    lon: float
    lat: float
    open: str
    close: str
    villages: list[VillageOut]
    fleets: dict[str, list[VehicleTypeOut]]
    default_fleet: str | None
    cost_model: CostModelOut
    road_network: RoadNetworkOut
    notes: list[str]


def _vehicle(v: VehicleType) -> VehicleTypeOut:
    return VehicleTypeOut(
        name=v.name,
        count=v.count,
        capacity_parcels=v.capacity_parcels,
        capacity_kg=v.capacity_kg,
        fixed_rmb_per_run=v.fixed_rmb_per_run,
        fixed_rmb_per_day=v.fixed_rmb_per_day,
        rmb_per_km=v.rmb_per_km,
        rmb_per_hour=v.rmb_per_hour,
        shift_start=_hhmm(v.shift_start_s),
        shift_end=_hhmm(v.shift_end_s),
        max_runs_per_day=v.max_runs_per_day,
    )


def _roads(hub: HubRuntime) -> RoadNetworkOut:
    network = hub.network
    if network is None:
        return RoadNetworkOut(
            travel_times="roads" if hub.network_path else "straight-line estimates",
            file=hub.network_path,
        )
    graph = network.graph
    classes = Counter(str(d.get("road_class", "")) for _, _, d in graph.edges(data=True))
    return RoadNetworkOut(
        travel_times="roads",
        file=hub.network_path,
        nodes=graph.number_of_nodes(),
        directed_edges=graph.number_of_edges(),
        road_classes=dict(sorted(classes.items())),
    )


def hub_view(hub: HubRuntime) -> HubOut:
    """Describe ``hub`` for its planners."""
    fleets = {name: [_vehicle(v) for v in types] for name, types in hub.fleets.items()}
    uncosted = sorted(
        {
            v.name
            for types in hub.fleets.values()
            for v in types
            if not (v.fixed_rmb_per_run or v.fixed_rmb_per_day or v.rmb_per_km or v.rmb_per_hour)
        }
    )
    return HubOut(
        id=hub.id,
        name=hub.hub.name,
        lon=hub.hub.lon,
        lat=hub.hub.lat,
        open=hub.config.open,
        close=hub.config.close,
        villages=[
            VillageOut(
                id=v.id,
                name=v.name,
                names=list(v.names),
                lon=v.lon,
                lat=v.lat,
                township=v.township,
            )
            for v in hub.gazetteer()
        ],
        fleets=fleets,
        default_fleet=hub.config.default_fleet,
        cost_model=CostModelOut(
            basis=(
                f"the hub's cost model {hub.cost_model.name!r}: road-class factors, "
                "handling and overheads on the vehicle rates"
                if hub.cost_model is not None
                else "each vehicle type's rates: RMB per run, per day used, per km and per hour"
            ),
            uncosted_vehicle_types=uncosted,
        ),
        road_network=_roads(hub),
        notes=list(hub.notes),
    )
