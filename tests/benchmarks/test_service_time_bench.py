"""The service time-limit benchmark posts a scaled day to a real server and checks the plan."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.domain_bench import make_day
from benchmarks.service_time_bench import hub_id, main, request_pickups
from routing.io import read_pickups
from service.schemas import PlanRequest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the Xinping day scaled to 100 pickups (generated once)."""
    work = tmp_path_factory.mktemp("service-time-bench")
    make_day(100, work)
    return work


def test_the_request_is_the_days_pickups(work_dir: Path) -> None:
    """Every pickup of the day, under the API's names, as the service's schema takes it."""
    day = work_dir / "xp100"
    req = PlanRequest.model_validate({"pickups": request_pickups(day)})
    assert [p.id for p in req.pickups] == [p.id for p in read_pickups(day / "pickups.csv")]
    assert hub_id(day) == "xinping-hub"


def test_main_times_a_plan_from_a_real_server_and_checks_it(
    work_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "service-time.md"
    main(
        [
            "--pickups",
            "100",
            "--time-limit",
            "2",
            "--work-dir",
            str(work_dir),
            "--out",
            str(out),
        ]
    )
    with out.with_suffix(".csv").open(encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["pickups"] == "100"
    assert float(row["limit_s"]) == 2.0
    assert float(row["wall_s"]) > 0
    assert row["answer"] == "202+poll"  # above the service's wait threshold
    assert row["feasible"] == "True"
    assert row["checker_violations"] == "0"
    assert float(row["total_cost_rmb"]) > 0
    # The service planned with the limit asked for, the hub cost model's objective.
    assert 0 < float(row["solver_budget_s"]) <= 2.0
    assert float(row["objective_rmb"]) > 0
    assert "| 100 | 2.0 |" in out.read_text(encoding="utf-8")
    assert "| 100 | 2.0 |" in capsys.readouterr().out
