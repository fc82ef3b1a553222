"""The integer instance every engine solves, and the solution every engine returns.

Both the planner's :class:`~routing.model.Problem` (through :func:`build_instance`) and
VRPLIB benchmark files (through :mod:`routing.bench.vrplib`) become one
:class:`Instance`; OR-Tools and PyVRP read only that. Its fields mirror PyVRP's
``ProblemData`` so that the PyVRP adapter is a plain translation.

Node numbering: ``0 .. num_depots-1`` are hubs (depots), then the clients (pickups).
All numbers are integers: metres, seconds, grams/parcels, and cost units
(:data:`routing.units.COST_UNITS_PER_RMB` per RMB for domain problems; VRPLIB
instances use their own integer costs with a scale of 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


NO_LIMIT = 2**40
"""Limits at or above this mean "no limit" (the defaults below)."""


@dataclass(frozen=True)
class VehicleTypeData:
    """One vehicle type as the engines see it. Costs in cost units."""

    name: str
    num_available: int
    capacity: tuple[int, ...]
    start_depot: int
    end_depot: int
    fixed_cost: int = 0
    unit_distance_cost: int = 1
    """Cost units per distance unit (per metre for domain problems)."""
    unit_duration_cost: int = 0
    """Cost units per second."""
    tw_early: int = 0
    tw_late: int = NO_LIMIT
    max_duration: int = NO_LIMIT
    max_distance: int = NO_LIMIT
    profile: int = 0
    """Index into the instance's matrices (road-access profile)."""
    max_trips: int = 1
    """Runs per vehicle; more than one means it reloads at its depot between runs."""
    reload_duration: int = 0
    """Seconds spent at the depot between two runs."""
    break_window: tuple[int, int] | None = None
    break_duration: int = 0
    trip_fixed_cost: int = 0
    """Extra fixed cost for each run after the first (OR-Tools only; PyVRP ignores it)."""


@dataclass(frozen=True)
class LockedTrip:
    """A trip whose first clients are fixed (a run already on the road)."""

    vehicle_type: int
    vehicle: int
    trip: int
    clients: tuple[int, ...]


@dataclass(frozen=True)
class Instance:
    """A frozen integer routing instance. Build it once; engines only read it.

    Client arrays have one row per client (``num_clients``); ``capacity`` dimension
    ``k`` of every vehicle type matches column ``k`` of ``pickup`` and ``delivery``.
    """

    name: str
    num_depots: int
    distance: IntArray
    """Shape (profiles, nodes, nodes)."""
    duration: IntArray
    """Shape (profiles, nodes, nodes), seconds."""
    pickup: IntArray
    """Shape (clients, dims): load collected at the client and carried to the depot."""
    delivery: IntArray
    """Shape (clients, dims): load carried from the depot and dropped at the client."""
    service: IntArray
    tw_early: IntArray
    tw_late: IntArray
    release: IntArray
    """Earliest time a vehicle carrying this client's delivery may leave the depot."""
    prize: IntArray
    required: BoolArray
    allowed: BoolArray
    """Shape (clients, vehicle types): may vehicle type t serve client i."""
    vehicle_types: tuple[VehicleTypeData, ...]
    depot_tw: IntArray
    """Shape (depots, 2): earliest leave, latest return."""
    max_on_board: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Shape (clients,): longest seconds from pickup to depot; 0 = no limit."""
    backhaul_after_linehaul: bool = False
    """VRPB rule: on each route every delivery client precedes every pickup client."""
    dimension_names: tuple[str, ...] = ("parcels", "grams")
    client_ids: tuple[str, ...] = ()
    depot_ids: tuple[str, ...] = ()
    profile_names: tuple[str, ...] = ("all",)
    cost_scale: int = 1
    """Cost units per currency unit (RMB); 1 for VRPLIB instances."""
    coords: IntArray | None = None
    """Shape (nodes, 2) planar coordinates, when known; used only for decomposition."""
    locked: tuple[LockedTrip, ...] = ()
    """Runs already on the road: these clients start the given trip, in this order."""
    cost_distance: IntArray | None = None
    """Shape like ``distance``: the metres energy is charged on (each road class's
    metres times the hub cost model's factor). ``unit_distance_cost`` applies to these;
    ``distance`` stays the metres driven (maximum distance, reports). None: the same
    as ``distance``."""

    @property
    def needs_ortools(self) -> bool:
        """True when a constraint only the OR-Tools engine models is present."""
        return bool(
            self.locked
            or (self.max_on_board.size and bool(self.max_on_board.any()))
            or any(vt.break_duration > 0 for vt in self.vehicle_types)
            or any(vt.trip_fixed_cost > 0 for vt in self.vehicle_types)
        )

    @property
    def num_clients(self) -> int:
        """Number of clients (pickups)."""
        return int(self.pickup.shape[0])

    @property
    def num_nodes(self) -> int:
        """Depots plus clients."""
        return self.num_depots + self.num_clients

    @property
    def num_dims(self) -> int:
        """Number of capacity dimensions."""
        return int(self.pickup.shape[1])

    @property
    def num_vehicles(self) -> int:
        """Total vehicles over all types (unlimited types already capped)."""
        return sum(vt.num_available for vt in self.vehicle_types)

    def client_node(self, client: int) -> int:
        """Node index of client number ``client`` (0-based among clients)."""
        return self.num_depots + client


@dataclass(frozen=True)
class Trip:
    """One run: client indices (0-based among clients) in visiting order."""

    clients: tuple[int, ...]


@dataclass(frozen=True)
class Route:
    """All runs of one vehicle in the day."""

    vehicle_type: int
    vehicle: int
    """Index of the vehicle within its type (0-based)."""
    trips: tuple[Trip, ...]


@dataclass(frozen=True)
class Solution:
    """What an engine returns. ``cost`` is the engine's own objective (not trusted)."""

    routes: tuple[Route, ...]
    unassigned: tuple[int, ...]
    cost: int
    engine: str
    wall_s: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    def served(self) -> set[int]:
        """Client indices visited by some trip."""
        return {c for r in self.routes for t in r.trips for c in t.clients}
