"""Errors with stable codes. Each names the record, the field and the fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: where it is, what is wrong and how to fix it."""

    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.record}: " if self.record else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class HubrouteError(Exception):
    """Base class; ``code`` is stable and safe to match on in scripts and the API."""

    code = "error"


class InputError(HubrouteError, ValueError):
    """The user's input is wrong. Carries every problem found, not only the first."""

    code = "invalid_input"

    def __init__(self, problems: Iterable[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NetworkError(InputError):
    """The road network cannot be used (unreadable, empty, points off the roads)."""

    code = "invalid_network"


class SolveError(HubrouteError):
    """The solver failed for a reason that is not the user's input."""

    code = "solve_failed"
