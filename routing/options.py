"""How to plan: the one options contract of the CLI, the batch manifest and the service.

:class:`SolveOptions` is frozen and checks itself when built, so a bad value never
reaches the solver; :meth:`SolveOptions.from_mapping` builds it from plain data (a
manifest row, a JSON body, a job payload) and reports every bad field at once with the
field's name. What the day *is* (closed roads, locked runs, whether oversize pickups
may be split) belongs to :class:`routing.model.Problem`; how to *solve* it belongs here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final

from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.network import MAX_SNAP_M

if TYPE_CHECKING:
    from routing.cost_model import CostModel

#: Engine names besides ``"auto"`` (kept in step with :data:`routing.solve.portfolio.ENGINES`
#: by ``tests/routing/test_options.py``; not imported, to keep this module light).
ENGINE_NAMES: Final = ("pyvrp", "ortools", "pyvrp-relaxed")

#: Keys :meth:`SolveOptions.from_mapping` reads; the cost model is passed as an object.
OPTION_KEYS: Final = (
    "time_limit_s",
    "seed",
    "iterations",
    "allocation",
    "max_snap_m",
    "engines",
    "workers",
    "baselines",
)


@dataclass(frozen=True)
class SolveOptions:
    """How to plan.

    Parameters
    ----------
    time_limit_s
        Solver budget in seconds (wall clock).
    seed
        Random seed for the engines; the same input, seed and ``iterations`` give the
        same plan.
    iterations
        Stop after this many improving solutions rather than on the clock alone, for
        bit-for-bit reproducible plans on any machine. ``None``: clock only.
    allocation
        Cost allocation methods; the first one fills each stop's ``cost_rmb``.
    max_snap_m
        Farthest a hub or pickup may be from the nearest road, metres.
    engines
        ``("auto",)`` lets the portfolio choose; or name engines such as
        ``("ortools",)`` or ``("pyvrp",)``.
    workers
        Processes the portfolio may use (the machine's cores by default: 2).
    cost_model
        The hub's cost model (road-class factors, handling, overheads); ``None``
        costs runs with the fleet's own rates.
    baselines
        Add the savings against direct runs and a nearest-neighbour plan.

    Raises
    ------
    InputError
        When built with a bad value, naming every bad field.
    """

    time_limit_s: float = 10.0
    seed: int = 0
    iterations: int | None = None
    allocation: tuple[str, ...] = ("proportional",)
    max_snap_m: float = MAX_SNAP_M
    engines: tuple[str, ...] = ("auto",)
    workers: int = 2
    cost_model: CostModel | None = None
    baselines: bool = True

    def __post_init__(self) -> None:
        problems = _check({f.name: getattr(self, f.name) for f in fields(self)}, "options")
        if problems:
            raise InputError(problems)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        cost_model: CostModel | None = None,
        record: str = "options",
    ) -> SolveOptions:
        """Build options from plain data, reporting every bad field at once.

        Parameters
        ----------
        data
            Any of :data:`OPTION_KEYS`. ``allocation`` and ``engines`` may be lists or
            comma-separated text; numbers may be text (CSV manifests). ``None`` or
            ``""`` leaves a key at its default.
        cost_model
            The hub's cost model, already read (``None``: the fleet's rates).
        record
            Names the source in error messages, e.g. ``"batch.toml: problem #2"``.

        Returns
        -------
        SolveOptions

        Raises
        ------
        InputError
            Naming each unknown key and each bad value with its field and the fix.
        """
        base = cls()
        problems = [
            InputProblem(record, key, f"unknown option; use one of {', '.join(OPTION_KEYS)}")
            for key in data
            if key not in OPTION_KEYS
        ]
        values: dict[str, Any] = {
            f.name: getattr(base, f.name) for f in fields(cls) if f.name != "cost_model"
        }
        for key in OPTION_KEYS:
            raw = data.get(key)
            if raw is None or raw == "":
                continue
            value, why = _PARSERS[key](raw)
            if why:
                problems.append(InputProblem(record, key, why))
            else:
                values[key] = value
        problems += _check(values, record)
        if problems:
            raise InputError(problems)
        return cls(**values, cost_model=cost_model)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, record: str = "options") -> SolveOptions:
        """Rebuild options written by :meth:`as_data` (a job payload), cost model included.

        Raises
        ------
        InputError
            Naming each bad field.
        """
        from routing.cost_model import CostModel

        rest = {k: v for k, v in data.items() if k != "cost_model"}
        raw_model = data.get("cost_model")
        model = None if raw_model is None else CostModel.model_validate(raw_model)
        return cls.from_mapping(rest, cost_model=model, record=record)

    def as_data(self) -> dict[str, Any]:
        """The options as JSON-ready data (the cost model as its own fields, or None)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cost_model"}
        out["allocation"] = list(self.allocation)
        out["engines"] = list(self.engines)
        out["cost_model"] = None if self.cost_model is None else self.cost_model.model_dump()
        return out


def _check(o: Mapping[str, Any], record: str) -> list[InputProblem]:
    """Every bad value of the options ``o`` (field name -> value), with the fix."""
    out: list[InputProblem] = []

    def bad(name: str, message: str) -> None:
        out.append(InputProblem(record, name, message))

    if not (math.isfinite(o["time_limit_s"]) and o["time_limit_s"] > 0):
        bad("time_limit_s", f"{o['time_limit_s']!r} is not a positive number of seconds")
    if o["seed"] < 0:
        bad("seed", f"{o['seed']} is negative; give a whole number from 0")
    if o["iterations"] is not None and o["iterations"] < 1:
        bad("iterations", f"{o['iterations']} is below 1; leave it out for the clock only")
    if not (math.isfinite(o["max_snap_m"]) and o["max_snap_m"] > 0):
        bad("max_snap_m", f"{o['max_snap_m']!r} is not a positive number of metres")
    if o["workers"] < 1:
        bad("workers", f"{o['workers']} is below 1; give at least 1 process")
    from routing.allocation import ALLOCATION_METHODS

    methods = ", ".join(ALLOCATION_METHODS)
    if not o["allocation"]:
        bad("allocation", f"empty; give one or more of {methods}")
    for method in o["allocation"]:
        if method not in ALLOCATION_METHODS:
            bad("allocation", f"unknown method {method!r}; use {methods}")
    if not o["engines"]:
        bad("engines", "empty; give 'auto' or engine names")
    for engine in o["engines"]:
        if engine != "auto" and engine not in ENGINE_NAMES:
            bad("engines", f"unknown engine {engine!r}; use 'auto' or {', '.join(ENGINE_NAMES)}")
    return out


def _number(kind: type[int] | type[float]) -> Any:
    def parse(raw: Any) -> tuple[int | float | None, str]:
        if isinstance(raw, bool):
            return None, f"expected a number, got {raw!r}"
        try:
            value = kind(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError, OverflowError):
            word = "a whole number" if kind is int else "a number"
            return None, f"expected {word}, got {raw!r}"
        if kind is int and not isinstance(raw, str) and value != raw:
            return None, f"expected a whole number, got {raw!r}"
        return value, ""

    return parse


def _names(raw: Any) -> tuple[tuple[str, ...] | None, str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
        return None, f"expected a list of names or comma-separated text, got {raw!r}"
    return tuple(x.strip() for x in items if x.strip()), ""


def _flag(raw: Any) -> tuple[bool | None, str]:
    if isinstance(raw, bool):
        return raw, ""
    text = str(raw).strip().lower()
    if text in ("true", "yes", "1"):
        return True, ""
    if text in ("false", "no", "0"):
        return False, ""
    return None, f"expected true or false, got {raw!r}"


_PARSERS: Final[dict[str, Any]] = {
    "time_limit_s": _number(float),
    "seed": _number(int),
    "iterations": _number(int),
    "allocation": _names,
    "max_snap_m": _number(float),
    "engines": _names,
    "workers": _number(int),
    "baselines": _flag,
}
