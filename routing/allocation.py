"""Money in whole fen, and how a run's cost is shared among its stops.

The allocation methods are described in :mod:`routing.costs`.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from routing.road_classes import (
    _EDGE_CLASS as _EDGE_CLASS,
)
from routing.road_classes import (
    edge_road_class as edge_road_class,
)
from routing.road_classes import (
    leg_values as leg_values,
)
from routing.road_classes import (
    tree_sums as tree_sums,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


ALLOCATION_METHODS: Final = ("proportional", "standalone", "shapley")

#: Runs with at most this many paying stops get the exact Shapley value (n! orders
#: are enumerated, vectorised); longer runs get a seeded sample of join orders.
SHAPLEY_EXACT_MAX: Final = 7

#: Join orders sampled for the Shapley value of a longer run.
SHAPLEY_SAMPLES: Final = 2000


def to_fen(rmb: float) -> int:
    """RMB to whole fen, rounded half away from zero.

    The amount is first rounded to 1e-6 fen so that binary noise (``1.005 * 100`` is
    ``100.49999...``) does not decide which way a half fen goes.
    """
    cents = round(abs(rmb) * 100, 6)
    fen = math.floor(cents + 0.5)
    return fen if rmb >= 0 else -fen


def run_cost_rmb(
    *,
    distance_m: float,
    duration_s: float,
    fixed_rmb: float,
    rmb_per_km: float,
    rmb_per_hour: float,
) -> tuple[float, float, float]:
    """Fixed, distance and time parts of a run's cost in RMB (not rounded).

    The run cost is fixed + RMB/km x km + RMB/h x h, with the hours counted from
    leaving the hub to returning (waiting and loading included: the driver is paid).
    """
    return (fixed_rmb, rmb_per_km * distance_m / 1000.0, rmb_per_hour * duration_s / 3600.0)


def split_fen(
    total_fen: int, weights: Sequence[float], keys: Sequence[str] | None = None
) -> list[int]:
    """Split ``total_fen`` in proportion to ``weights`` so the parts add up exactly.

    Largest-remainder rounding; ties are broken by weight and then by ``keys`` (stop
    ids), never by input position, so reordering the input changes no one's share.
    The weights are summed with :func:`math.fsum`, which is exact and so independent
    of their order. A zero weight always gets zero. All-zero weights split the total
    evenly (a run whose stops handle no parcels is shared equally).

    Raises
    ------
    ValueError
        If a weight is negative or not finite.
    """
    n = len(weights)
    if n == 0:
        return []
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("allocation weights must be finite and not negative")
    wsum = math.fsum(weights)
    if wsum <= 0:
        weights = [1.0] * n
        wsum = float(n)
    exact = [total_fen * (w / wsum) for w in weights]
    parts = [math.floor(x) for x in exact]
    left = total_fen - sum(parts)
    tie = list(keys) if keys is not None else [""] * n
    eligible = [i for i in range(n) if weights[i] > 0]
    order = sorted(eligible, key=lambda i: (-(exact[i] - parts[i]), -weights[i], tie[i]))
    # Float error can leave more (or fewer) fen than positive weights; go round again.
    k = 0
    while left > 0 and order:
        parts[order[k % len(order)]] += 1
        left -= 1
        k += 1
    while left < 0 and order:
        i = order[-1 - (k % len(order))]
        if parts[i] > 0:
            parts[i] -= 1
            left += 1
        k += 1
    return parts


# --------------------------------------------------------------------------- allocation


@dataclass(frozen=True)
class StopDemand:
    """What allocation needs to know about one stop of a run.

    Attributes
    ----------
    key
        Stable id (the pickup id); breaks ties and seeds the Shapley sample.
    parcels
        Parcels handled at the stop (collected plus dropped).
    position
        1-based place of the stop in the run's visiting order (0 is the hub).
    service_rmb
        Cost of the time spent at the stop (loading), RMB.
    """

    key: str
    parcels: int
    position: int
    service_rmb: float = 0.0


def allocation_weights(
    method: str,
    *,
    parcels: Sequence[int],
    standalone_cost_rmb: Sequence[float],
) -> list[float]:
    """Weights for :func:`split_fen` under ``proportional`` or ``standalone``.

    Parameters
    ----------
    method
        ``"proportional"`` or ``"standalone"`` (``"shapley"`` needs the run's leg
        costs: use :func:`allocate_run_fen`).
    parcels
        Parcels handled at each stop (collected plus dropped).
    standalone_cost_rmb
        Cost of serving each stop alone from the hub (variable part only).

    Raises
    ------
    ValueError
        For an unknown method, or ``"shapley"``.
    """
    if method == "proportional":
        return [float(max(p, 0)) for p in parcels]
    if method == "standalone":
        total = sum(p for p in parcels if p > 0)
        if total <= 0:
            return [0.0] * len(parcels)
        # A stop's weight grows with its stand-alone cost and, less than in
        # proportion, with its size: sqrt(share) gives economies of scale.
        weights = [
            max(c, 0.0) * (p / total) ** 0.5 if p > 0 else 0.0
            for p, c in zip(parcels, standalone_cost_rmb, strict=True)
        ]
        if math.fsum(weights) <= 0:  # every paying stop sits at the hub: by parcels
            return [float(max(p, 0)) for p in parcels]
        return weights
    if method == "shapley":
        raise ValueError("the shapley method needs the run's leg costs; use allocate_run_fen")
    raise ValueError(f"unknown allocation method {method!r}; use one of {ALLOCATION_METHODS}")


def shapley_rmb(
    leg_rmb: FloatArray,
    stops: Sequence[StopDemand],
    *,
    fixed_rmb: float = 0.0,
    samples: int = SHAPLEY_SAMPLES,
) -> list[float]:
    """Shapley value of each stop in the run's cost game, RMB.

    The value of a set ``S`` of stops is the cost of the tour hub -> stops of ``S``
    in run order -> hub (``leg_rmb``) plus their service cost; the empty set costs
    nothing. The fixed cost is added by parcels. Stops handling no parcels are not players (they pay
    nothing and the tour of the others skips them).

    Parameters
    ----------
    leg_rmb
        ``(m + 1) x (m + 1)`` variable cost of driving between run positions; row and
        column 0 are the hub, ``k`` is the stop at position ``k``.
    stops
        The run's stops (any order); ``position`` indexes ``leg_rmb``.
    fixed_rmb
        The run's fixed cost. It buys capacity, so it is shared by parcels rather than
        played in the game (where symmetry would split it equally, and a stop with
        two parcels would pay as much of the van's day as one with sixty).
    samples
        Join orders to sample when there are more than :data:`SHAPLEY_EXACT_MAX`
        paying stops.

    Returns
    -------
    list of float
        One value per stop of ``stops``, in its order; they add up to the cost of the
        tour through the paying stops plus ``fixed_rmb``.
    """
    out = [0.0] * len(stops)
    players = sorted((i for i, s in enumerate(stops) if s.parcels > 0), key=lambda i: stops[i].key)
    n = len(players)
    if n == 0:
        return out
    pos = np.array([stops[i].position for i in players], dtype=np.int64)
    own = np.array([stops[i].service_rmb for i in players], dtype=np.float64)
    if n <= SHAPLEY_EXACT_MAX:
        orders = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    else:
        digest = hashlib.sha256("\x1f".join(stops[i].key for i in players).encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        orders = np.argsort(rng.random((samples, n)), axis=1)
    count = orders.shape[0]
    # Tour positions of the players, sorted; a joiner slots in between the nearest
    # members before and after it (or the hub).
    rank = np.argsort(np.argsort(pos))  # player -> its place among players by position
    by_rank = np.argsort(pos)  # place -> player
    tour = np.concatenate([[0], pos[by_rank], [0]])  # leg_rmb index of place 0..n+1
    member = np.zeros((count, n + 2), dtype=bool)
    member[:, 0] = member[:, n + 1] = True
    idx = np.arange(n + 2)
    total = np.zeros(n, dtype=np.float64)
    rows = np.arange(count)
    for step in range(n):
        joiner = orders[:, step]  # player joining in each order
        place = rank[joiner] + 1
        before = np.where(member & (idx[None, :] < place[:, None]), idx[None, :], -1).max(axis=1)
        after = np.where(member & (idx[None, :] > place[:, None]), idx[None, :], n + 2).min(axis=1)
        a, j, b = tour[before], tour[place], tour[after]
        marginal = leg_rmb[a, j] + leg_rmb[j, b] - leg_rmb[a, b]
        np.add.at(total, joiner, marginal)
        member[rows, place] = True
    parcels = np.array([stops[i].parcels for i in players], dtype=np.float64)
    phi = total / count + own + fixed_rmb * parcels / parcels.sum()
    for k, i in enumerate(players):
        out[i] = float(phi[k])
    return out


def allocate_run_fen(
    run_fen: int,
    stops: Sequence[StopDemand],
    *,
    method: str,
    leg_rmb: FloatArray | None = None,
    fixed_rmb: float = 0.0,
) -> list[int]:
    """Share a run's cost in fen among its stops by ``method``.

    Parameters
    ----------
    run_fen
        The run's cost in fen.
    stops
        The stops, in any order (``position`` says where each is on the run).
    method
        One of :data:`ALLOCATION_METHODS`.
    leg_rmb
        ``(m + 1) x (m + 1)`` variable cost between run positions (0 = hub). Needed by
        ``standalone`` (hub -> stop -> hub) and ``shapley``; without it
        ``standalone`` falls back to ``proportional``.
    fixed_rmb
        The run's fixed cost (for ``shapley``).

    Returns
    -------
    list of int
        Fen per stop, in the order of ``stops``, adding up to ``run_fen``.
    """
    parcels = [s.parcels for s in stops]
    keys = [s.key for s in stops]
    if method == "shapley":
        if leg_rmb is None:
            raise ValueError("the shapley method needs leg_rmb (the run's leg costs)")
        return split_fen(run_fen, shapley_rmb(leg_rmb, stops, fixed_rmb=fixed_rmb), keys)
    if method == "standalone" and leg_rmb is not None:
        alone = [
            float(leg_rmb[0, s.position] + leg_rmb[s.position, 0]) + s.service_rmb for s in stops
        ]
    elif method == "standalone":
        method = "proportional"
        alone = [0.0] * len(stops)
    else:
        alone = [0.0] * len(stops)
    return split_fen(
        run_fen, allocation_weights(method, parcels=parcels, standalone_cost_rmb=alone), keys
    )
