"""hubroute: plan farm-to-hub collection runs over mountain roads, with per-parcel costs.

The public API, in the order a day flows through it::

    scenario = read_scenario("fixtures/xinping/scenario.toml")        # input -> model
    network = network_from_file(scenario.network_path)                 # roads
    options = SolveOptions(iterations=200, cost_model=read_cost_model("costs.toml"))
    plan = plan_day(scenario.problem, network=network, options=options)  # solve, plan, money
    problems = check_plan(scenario.problem, plan)                      # the referee
    write_outputs(plan, "out")                                         # output
    write_report(plan, "out", network=network)

The command line (``hubroute``), the batch runner and the HTTP service all call
:func:`plan_day` with a :class:`SolveOptions`; nothing else plans a day. Names are
loaded on first use, so ``import routing`` stays cheap for the commands that need
little of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.batch import plan_batch
    from routing.batch_manifest import read_manifest
    from routing.cost_model import CostModel, read_cost_model
    from routing.errors import HubrouteError, InputError, NetworkError, SolveError
    from routing.errors import Problem as InputProblem
    from routing.io import (
        Scenario,
        make_problem,
        read_fleet,
        read_pickups,
        read_plan,
        read_scenario,
        write_outputs,
    )
    from routing.matrix import MatrixProvider, TravelMatrix
    from routing.model import (
        Hub,
        LockedRun,
        PickupPoint,
        Plan,
        Problem,
        Run,
        Stop,
        Unassigned,
        VehicleType,
        problem_from_dict,
    )
    from routing.network import RoadNetwork
    from routing.options import SolveOptions
    from routing.pipeline import plan_day, plan_with_matrices
    from routing.plan_check import check_plan
    from routing.quote import Quote
    from routing.quote_request import quote_from_files, quote_pickup
    from routing.report import write_map_png, write_report
    from routing.road_file import network_from_file
    from routing.season import season_estimate, season_from_file

#: Public name -> the module that defines it.
_WHERE: dict[str, str] = {
    "CostModel": "routing.cost_model",
    "Hub": "routing.model",
    "HubrouteError": "routing.errors",
    "InputError": "routing.errors",
    "InputProblem": "routing.errors",
    "LockedRun": "routing.model",
    "MatrixProvider": "routing.matrix",
    "NetworkError": "routing.errors",
    "PickupPoint": "routing.model",
    "Plan": "routing.model",
    "Problem": "routing.model",
    "Quote": "routing.quote",
    "RoadNetwork": "routing.network",
    "Run": "routing.model",
    "Scenario": "routing.io",
    "SolveError": "routing.errors",
    "SolveOptions": "routing.options",
    "Stop": "routing.model",
    "TravelMatrix": "routing.matrix",
    "Unassigned": "routing.model",
    "VehicleType": "routing.model",
    "check_plan": "routing.plan_check",
    "make_problem": "routing.io",
    "network_from_file": "routing.road_file",
    "plan_batch": "routing.batch",
    "plan_day": "routing.pipeline",
    "plan_with_matrices": "routing.pipeline",
    "problem_from_dict": "routing.model",
    "quote_from_files": "routing.quote_request",
    "quote_pickup": "routing.quote_request",
    "read_cost_model": "routing.cost_model",
    "read_fleet": "routing.io",
    "read_manifest": "routing.batch_manifest",
    "read_pickups": "routing.io",
    "read_plan": "routing.io",
    "read_scenario": "routing.io",
    "season_estimate": "routing.season",
    "season_from_file": "routing.season",
    "write_map_png": "routing.report",
    "write_outputs": "routing.io",
    "write_report": "routing.report",
}
#: Names whose attribute in the defining module differs from the public name.
_RENAMED = {"InputProblem": "Problem"}

__all__ = [
    "CostModel",
    "Hub",
    "HubrouteError",
    "InputError",
    "InputProblem",
    "LockedRun",
    "MatrixProvider",
    "NetworkError",
    "PickupPoint",
    "Plan",
    "Problem",
    "Quote",
    "RoadNetwork",
    "Run",
    "Scenario",
    "SolveError",
    "SolveOptions",
    "Stop",
    "TravelMatrix",
    "Unassigned",
    "VehicleType",
    "check_plan",
    "make_problem",
    "network_from_file",
    "plan_batch",
    "plan_day",
    "plan_with_matrices",
    "problem_from_dict",
    "quote_from_files",
    "quote_pickup",
    "read_cost_model",
    "read_fleet",
    "read_manifest",
    "read_pickups",
    "read_plan",
    "read_scenario",
    "season_estimate",
    "season_from_file",
    "write_map_png",
    "write_outputs",
    "write_report",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'routing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
