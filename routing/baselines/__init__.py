"""What collection would cost without the optimiser: two baselines a planner knows.

``direct``
    Every village pickup is fetched by its own run from the hub and straight back:
    the cheapest vehicle type that may go there and fits the produce, as many direct
    runs as its capacity needs. Each run pays its fixed cost per run plus the
    vehicle's day cost spread over the runs it can make in a day
    (``fixed_rmb_per_day / max_runs_per_day``), plus km and hours out and back.
    This is how a village seller ships without a collection service.
``nearest_neighbour``
    A dispatcher's rule of thumb with the same fleet: each vehicle in fleet order
    leaves the hub, drives to the nearest (fastest to reach) pickup not yet collected
    that still fits its capacity, the pickup's window and its shift, and repeats;
    when nothing fits it returns, unloads and starts its next run if it may. Runs
    leave as late as their windows allow, as the plan's runs do.

Both are priced with the same rates as the plan (the fleet's, or a
:class:`~routing.costs.CostModel` with its road factors, handling and overheads) over
the same pickups the plan collects, so the saving per parcel compares like with like.
"""

from routing.baselines.common import BaselineResult, BaselineRun
from routing.baselines.direct import direct_baseline
from routing.baselines.greedy import nearest_neighbour_baseline
from routing.baselines.savings import add_baselines

__all__ = [
    "BaselineResult",
    "BaselineRun",
    "add_baselines",
    "direct_baseline",
    "nearest_neighbour_baseline",
]
