"""What a run costs, and how that cost is shared among its stops and parcels.

Money is carried in whole fen (RMB 0.01) from the moment a run's cost is known, so
the shares of a run add up to its cost exactly; rounding to fen happens once.

Allocation methods (``method=``):

``proportional``
    Each stop pays in proportion to the parcels it hands over or receives. Simple and
    easy to explain, but a remote village pays the same per parcel as one beside the
    hub.
``standalone``
    Each stop pays in proportion to its *stand-alone cost*: the cost of a run from
    the hub to that stop alone and back (fixed cost excluded) scaled by its share of
    the run's load. A remote village pays more per parcel than one on the main road
    at equal size; bigger stops pay more in total but less per parcel, because the
    trip to the village is shared by all its parcels. Zero parcels pay zero.
"""

from __future__ import annotations

from collections.abc import Sequence

ALLOCATION_METHODS = ("proportional", "standalone")


def to_fen(rmb: float) -> int:
    """RMB to whole fen, rounded half away from zero."""
    return int(rmb * 100 + (0.5 if rmb >= 0 else -0.5))


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
    A zero weight always gets zero. All-zero weights split nothing (every part 0) unless
    the total is non-zero, in which case the total is split evenly.
    """
    n = len(weights)
    if n == 0:
        return []
    if any(w < 0 for w in weights):
        raise ValueError("allocation weights must not be negative")
    wsum = float(sum(weights))
    if wsum <= 0:
        weights = [1.0] * n
        wsum = float(n)
    exact = [total_fen * w / wsum for w in weights]
    parts = [int(x // 1) for x in exact]
    left = total_fen - sum(parts)
    tie = list(keys) if keys is not None else [""] * n
    order = sorted(range(n), key=lambda i: (-(exact[i] - parts[i]), -weights[i], tie[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


def allocation_weights(
    method: str,
    *,
    parcels: Sequence[int],
    standalone_cost_rmb: Sequence[float],
) -> list[float]:
    """Weights for :func:`split_fen` under ``method``.

    Parameters
    ----------
    method
        One of :data:`ALLOCATION_METHODS`.
    parcels
        Parcels handled at each stop (collected plus dropped).
    standalone_cost_rmb
        Cost of serving each stop alone from the hub (variable part only).
    """
    if method == "proportional":
        return [float(p) for p in parcels]
    if method == "standalone":
        total = sum(parcels)
        if total <= 0:
            return [0.0] * len(parcels)
        # A stop's weight grows with its stand-alone cost and, less than in
        # proportion, with its size: sqrt(share) gives economies of scale.
        return [
            c * (p / total) ** 0.5 if p > 0 else 0.0
            for p, c in zip(parcels, standalone_cost_rmb, strict=True)
        ]
    raise ValueError(f"unknown allocation method {method!r}; use one of {ALLOCATION_METHODS}")
