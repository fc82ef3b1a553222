"""Decomposition of one problem on a real Dask ``LocalCluster`` (two worker processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from routing.distributed import plan_decomposed
from routing.io import read_scenario
from routing.pipeline import SolveOptions
from routing.road_file import network_from_file

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A client of two worker processes on loopback."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_decomposed_plan_accounts_for_every_pickup(client: Client) -> None:
    """The Xinping day split in 4 sectors: each pickup served once or reported, vehicles exist."""
    sc = read_scenario(REPO / "fixtures" / "xinping" / "scenario.toml")
    assert sc.network_path is not None
    network = network_from_file(sc.network_path)
    result = plan_decomposed(
        sc.problem, client=client, network=network, options=SolveOptions(time_limit_s=8), parts=4
    )
    plan = result.plan
    served = [s.pickup_id for r in plan.runs for s in r.stops]
    assert len(served) == len(set(served))
    assert set(served) | {u.pickup_id for u in plan.unassigned} == {
        p.id for p in sc.problem.pickups
    }
    assert result.parts == 4
    assert result.workers == 2
    assert result.cpu_budget_s == 16
    assert {"sectors", "final"} <= set(result.costs_rmb)
    assert result.costs_rmb["final"] <= result.costs_rmb["sectors"] + 1e-6
    counts = {vt.name: vt.count for vt in sc.problem.vehicle_types}
    for name, count in counts.items():
        used = {r.vehicle for r in plan.runs if r.vehicle_type == name}
        assert count is None or len(used) <= count
    assert all(r.path for r in plan.runs)
    # Priced and checked by the same steps as every plan of plan_day.
    assert plan.summary.feasible, plan.summary.violations
    assert "direct" in plan.baselines
