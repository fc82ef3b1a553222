"""A batch task plans with :func:`routing.pipeline.plan_day` itself, on shared matrices.

The task takes its matrix rows from the network's shared node-to-node matrix; the plan
must be the one ``plan_day`` makes, to the fen and in the engines' own objective, with
the hub's cost model (road-class factors) and without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from routing.batch import _profiles
from routing.batch_manifest import read_manifest
from routing.batch_tasks import node_matrices, solve_batch_problem
from routing.model import Plan
from routing.pipeline import plan_day

REPO = Path(__file__).resolve().parents[2]
XINPING = REPO / "fixtures" / "xinping"
COST_MODEL = REPO / "fixtures" / "costs" / "xinping.toml"
HUB = 'id = "xinping-hub"\nname = "Xinping hub"\nlon = 101.988745\nlat = 24.072919\n'


def _manifest(folder: Path, cost_model: bool) -> Path:
    path = folder / "batch.toml"
    model = f'cost_model = "{COST_MODEL}"\n' if cost_model else ""
    path.write_text(
        f'name = "tasks"\n[[problem]]\nname = "day"\n'
        f'pickups = "{XINPING / "pickups.csv"}"\nfleet = "{XINPING / "fleet.toml"}"\n'
        f'network = "{XINPING / "roads.geojson"}"\n{model}'
        "time_limit_s = 120\niterations = 20\n"
        f"[problem.hub]\n{HUB}",
        encoding="utf-8",
    )
    return path


def _comparable(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(exclude={"summary": {"timings_s"}})


@pytest.mark.slow
@pytest.mark.parametrize("cost_model", [True, False])
def test_task_on_shared_matrices_gives_plan_days_plan(tmp_path: Path, cost_model: bool) -> None:
    manifest = read_manifest(_manifest(tmp_path, cost_model))
    (bp,) = manifest.problems
    assert bp.network_path is not None
    network = manifest.networks[bp.network_path]
    nodes = manifest.nodes[bp.name]
    shared = node_matrices(network, tuple(sorted(set(nodes))), _profiles([bp]))

    outcome = solve_batch_problem(bp, nodes, network, shared)
    want = plan_day(bp.problem, network=network, options=bp.options)

    assert outcome.plan is not None, outcome.error
    assert outcome.plan.summary.objective == want.summary.objective
    assert outcome.plan.summary.objective_rmb == want.summary.objective_rmb
    assert _comparable(outcome.plan) == _comparable(want)
