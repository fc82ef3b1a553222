"""What one plan-batch task runs: a manifest problem, planned on shared roads and matrices.

Module-level functions on plain, picklable data, so that Dask workers call them by
name. Every problem goes through :func:`routing.pipeline.plan_day` itself; one on a road
file (not OSM, no roads closed) takes its matrix rows and columns from the network's
shared node-to-node matrix instead of routing them again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routing.batch_manifest import BatchProblem
from routing.errors import HubrouteError
from routing.matrix import TravelMatrix, travel_matrix
from routing.model import Plan, Problem
from routing.network import Node, RoadNetwork
from routing.pipeline import KnownRoads, plan_day

#: Above this many distinct road nodes on one network the shared matrix (``n x n``
#: int64 twice per profile: 2000 nodes is 64 MB) is not built; each task then routes
#: its own problem on the shared network instead.
SHARED_MATRIX_MAX_NODES = 2000


def uses_shared_matrix(item: BatchProblem, network: RoadNetwork | None) -> bool:
    """Whether ``item`` plans on rows of its network's shared node-to-node matrix: not
    on OSM roads (each vehicle type's own roads, snapping onto road segments) nor on a
    day with roads closed (the shared matrix is over every road)."""
    return (
        network is not None
        and network.graph.graph.get("source") != "osm"
        and not item.problem.closed_roads
    )


@dataclass(frozen=True)
class NodeMatrices:
    """Travel matrices between road nodes of one network, one per road profile."""

    nodes: tuple[Node, ...]
    by_profile: Mapping[str, TravelMatrix]

    def for_problem(self, problem: Problem, nodes: Sequence[Node]) -> dict[str, TravelMatrix]:
        """The problem's matrices (ids: hub ids then pickup ids), cut from these."""
        position = {n: i for i, n in enumerate(self.nodes)}
        take = [position[n] for n in nodes]
        grid = np.ix_(take, take)
        ids = tuple([h.id for h in problem.hubs] + [p.id for p in problem.pickups])
        return {
            key: TravelMatrix(
                ids=ids, distance_m=m.distance_m[grid], duration_s=m.duration_s[grid], profile=key
            )
            for key, m in self.by_profile.items()
        }


def node_matrices(
    network: RoadNetwork, nodes: Sequence[Node], profiles: Mapping[str, tuple[str, ...]]
) -> NodeMatrices:
    """Travel matrices between ``nodes`` (distinct road nodes) for each road profile.

    Parameters
    ----------
    network
        The road network.
    nodes
        Distinct graph nodes.
    profiles
        Profile name (``VehicleType.profile``) -> road classes it avoids.

    Returns
    -------
    NodeMatrices
        One :class:`TravelMatrix` per profile, rows and columns in ``nodes`` order.
    """
    ids = [str(n) for n in nodes]
    return NodeMatrices(
        nodes=tuple(nodes),
        by_profile={
            key: travel_matrix(network, nodes, ids, avoid_road_classes=avoid)
            for key, avoid in profiles.items()
        },
    )


@dataclass(frozen=True)
class ProblemOutcome:
    """What a batch task returns (plain, picklable)."""

    name: str
    plan: Plan | None
    error_code: str = ""
    error: str = ""
    worker: str = ""
    wall_s: float = 0.0


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def solve_batch_problem(
    item: BatchProblem,
    nodes: tuple[Node, ...] | None,
    network: RoadNetwork | None,
    shared: NodeMatrices | None,
) -> ProblemOutcome:
    """Solve one manifest problem (the Dask task; module-level so it pickles by name).

    Parameters
    ----------
    item
        The problem and its options.
    nodes
        Road node of each hub then pickup (None without a network).
    network
        The shared road network, or None for straight-line estimates.
    shared
        The network's shared node matrices, or None to route this problem alone.

    Returns
    -------
    ProblemOutcome
        The plan, or the error code and message of a hubroute error (bad input or a
        failed solve) so that a bad problem does not fail the batch.
    """
    started = time.perf_counter()
    try:
        known = None
        if nodes is not None and shared is not None and uses_shared_matrix(item, network):
            ids = [h.id for h in item.problem.hubs] + [p.id for p in item.problem.pickups]
            known = KnownRoads(
                shared.for_problem(item.problem, nodes), dict(zip(ids, nodes, strict=True))
            )
        # plan_day itself: a task plans exactly as the CLI would, only the matrix rows
        # may come from the network's shared matrix.
        plan = plan_day(item.problem, network=network, options=item.options, known=known)
    except HubrouteError as exc:
        return ProblemOutcome(
            item.name, None, exc.code, str(exc), _worker_address(), time.perf_counter() - started
        )
    return ProblemOutcome(
        item.name, plan, worker=_worker_address(), wall_s=time.perf_counter() - started
    )
