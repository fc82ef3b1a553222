"""The scenario benchmark times every step, accounts for every pickup and agrees with networkx."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks.scenario_bench import bench_size, generate, main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the generated 100-pickup scenario (generated once, ~7 s)."""
    work = tmp_path_factory.mktemp("scenario-bench")
    generate(100, work)
    return work


def test_one_size_times_steps_and_matches_networkx(work_dir: Path) -> None:
    """100 pickups, 2 s: positive timings, all pickups accounted for, same durations."""
    row = bench_size(work_dir / "xinping-100" / "scenario.toml", time_limit_s=2)
    assert row["pickups"] == 100
    assert row["time_limit_s"] == 2
    # Every pickup is in a run or left out with a reason.
    assert row["served"] + row["unassigned"] == 100
    reasons = [part.rsplit(" ", 1) for part in row["unassigned_reasons"].split("; ") if part]
    assert sum(int(count) for _, count in reasons) == row["unassigned"]
    assert all(reason for reason, _ in reasons)
    for key in ("read_s", "network_s", "matrices_s", "project_matrix_s", "networkx_s", "solve_s"):
        assert row[key] > 0, key
    assert row["assemble_s"] >= 0  # the plan's timings are rounded to milliseconds
    # networkx ran from every distinct node and found the same fastest durations
    # (the project rounds to whole seconds).
    assert not row["networkx_extrapolated"]
    assert row["sources"] == row["sources_timed"] > 0
    assert row["pairs_compared"] > 0
    assert row["reach_mismatches"] == 0
    assert row["max_abs_diff_s"] <= 1.0
    assert row["peak_mb"] > 0
    if row["runs"]:
        assert row["km"] > 0
        assert row["cost_rmb"] > 0


def test_main_writes_csv_history_and_table(
    work_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end with a sampled networkx: CSV row, history line, the extrapolation said."""
    out = tmp_path / "scenario.csv"
    history = tmp_path / "history.jsonl"
    code = main(
        [
            "--pickups",
            "100",
            "--time-limit",
            "1",
            "--nx-max-sources",
            "10",
            "--work-dir",
            str(work_dir),
            "--out",
            str(out),
            "--history",
            str(history),
        ]
    )
    assert code == 0
    with open(out, newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["error"] == ""
    assert int(row["served"]) + int(row["unassigned"]) == 100
    assert row["networkx_extrapolated"] == "True"
    assert row["sources_timed"] == "10"
    assert float(row["max_abs_diff_s"]) <= 1.0
    (line,) = history.read_text().splitlines()
    record = json.loads(line)
    assert record["kind"] == "scenario"
    assert record["pickups"] == [100]
    assert record["commit"]
    assert record["machine"]["cores"]
    table = capsys.readouterr().out
    assert "| pickups | build network s |" in table
    assert "(extrapolated from 10 of" in table
