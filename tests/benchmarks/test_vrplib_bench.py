"""The VRPLIB benchmark runs end to end and scores every solver with the referee."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.vrplib_bench import main, select_instances
from tests.routing.bench.instances import ROOT, smallest


def test_bench_writes_rows_history_and_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One CVRP instance, 1 s, all peers: CSV/JSON rows, a history line, two tables."""
    path = smallest("CVRP")
    history = tmp_path / "history.jsonl"
    code = main(
        [
            str(path),
            "--time-limit",
            "1",
            "--workers",
            "1",
            "--peers",
            "ortools-docs,pyvrp,vroom",
            "--out-dir",
            str(tmp_path),
            "--history",
            str(history),
        ]
    )
    assert code == 0
    (result,) = tmp_path.glob("vrplib-*.json")
    payload = json.loads(result.read_text())
    solvers = {r["solver"] for r in payload["rows"]}
    assert solvers == {"hubroute", "ortools-docs", "pyvrp", "vroom"}
    assert all(r["feasible"] and r["gap_pct"] >= 0 for r in payload["rows"])
    assert len(history.read_text().splitlines()) == 1
    out = capsys.readouterr().out
    assert "| solver |" in out
    assert "| set |" in out


def test_sample_spreads_over_sizes() -> None:
    """``--sample 3`` takes the smallest, a middle and the largest instance."""
    chosen = select_instances([ROOT / "CVRP"], max_clients=400, sample=3)
    assert len(chosen) == 3
    assert chosen[0].name == "X-n101-k25.vrp"
