"""SolveOptions: the one options contract of the command line, the manifest and the service."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from routing.cost_model import read_cost_model
from routing.errors import InputError
from routing.options import ENGINE_NAMES, SolveOptions
from routing.solve.portfolio import ENGINES

ROOT = Path(__file__).resolve().parents[2]


def _fields(exc: pytest.ExceptionInfo[InputError]) -> set[str]:
    return {p.field for p in exc.value.problems}


def test_defaults_are_valid_and_frozen() -> None:
    """The defaults build; a built options object cannot be changed."""
    options = SolveOptions()
    assert options.seed == 0
    assert options.engines == ("auto",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.seed = 1  # type: ignore[misc]


def test_constructor_rejects_bad_values_naming_each_field() -> None:
    """Built in code, bad values fail at once, every field named."""
    with pytest.raises(InputError) as info:
        SolveOptions(time_limit_s=0, seed=-1, iterations=0, workers=0, allocation=("x",))
    assert _fields(info) == {"time_limit_s", "seed", "iterations", "workers", "allocation"}


def test_from_mapping_reports_every_bad_key_and_value_at_once() -> None:
    """Unknown keys, unparsable values and out-of-range values come back together."""
    with pytest.raises(InputError) as info:
        SolveOptions.from_mapping(
            {
                "time_limit_s": -1,
                "seed": "x",
                "iterations": 0,
                "engines": ["pyvrp", "gurobi"],
                "allocation": "proportional,fair",
                "baselines": "maybe",
                "timelimit": 5,
            },
            record="batch.toml: problem #2 'x'",
        )
    problems = info.value.problems
    assert {p.record for p in problems} == {"batch.toml: problem #2 'x'"}
    assert _fields(info) == {
        "time_limit_s",
        "seed",
        "iterations",
        "engines",
        "allocation",
        "baselines",
        "timelimit",
    }
    assert any("gurobi" in p.message and "pyvrp" in p.message for p in problems)


def test_from_mapping_reads_text_as_a_csv_cell_gives_it() -> None:
    """Numbers and lists may be text; empty cells keep the defaults."""
    options = SolveOptions.from_mapping(
        {
            "time_limit_s": "5",
            "seed": "3",
            "iterations": "",
            "engines": "ortools, pyvrp",
            "allocation": ["standalone", "proportional"],
            "baselines": "no",
        }
    )
    assert options == SolveOptions(
        time_limit_s=5.0,
        seed=3,
        engines=("ortools", "pyvrp"),
        allocation=("standalone", "proportional"),
        baselines=False,
    )


def test_a_float_is_not_a_whole_number() -> None:
    """``seed = 1.5`` is an error, not silently 1."""
    with pytest.raises(InputError) as info:
        SolveOptions.from_mapping({"seed": 1.5, "iterations": True})
    assert _fields(info) == {"seed", "iterations"}


def test_engine_names_are_the_portfolios() -> None:
    """The names options accept are the engines the portfolio runs."""
    assert set(ENGINE_NAMES) == set(ENGINES)


def test_job_data_round_trip_keeps_the_cost_model() -> None:
    """Options sent to a solver process as JSON data come back equal, cost model included."""
    model = read_cost_model(ROOT / "fixtures" / "costs" / "xinping.toml")
    options = SolveOptions(iterations=40, engines=("ortools",), cost_model=model, seed=7)
    again = SolveOptions.from_data(options.as_data())
    assert again == options
    assert again.cost_model is not None
    assert again.cost_model.vehicles["van"].fixed_rmb_per_day == 150.0
