"""Typed reads from decoded JSON that collect every problem with its key path."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from routing.errors import InputError, Problem


class Reader:
    """Reads values out of JSON objects, noting each problem instead of raising.

    Every method returns a usable default after noting a problem, so parsing goes on
    and :meth:`raise_if_any` reports all problems at once.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        """Note a problem at ``path``."""
        self.problems.append(Problem("", path, message))

    def raise_if_any(self) -> None:
        """Raise :class:`InputError` with every problem noted so far."""
        if self.problems:
            raise InputError(self.problems)

    def obj(
        self, value: object, path: str, allowed: set[str], *, required: bool = False
    ) -> dict[str, Any]:
        """An object whose keys are all in ``allowed`` (others are problems)."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.add(path or "(request)", "must be a JSON object")
            return {}
        for key in sorted(set(value) - allowed):
            where = f"{path}.{key}" if path else key
            self.add(where, f"unknown key; allowed: {', '.join(sorted(allowed))}")
        return value

    def array(
        self, item: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[Any]:
        """A list (empty when absent and not required)."""
        if key not in item:
            if required:
                self.add(path, "required")
            return []
        value = item[key]
        if not isinstance(value, list):
            self.add(path, "must be an array")
            return []
        return value

    def integer(
        self,
        item: Mapping[str, Any],
        key: str,
        path: str,
        low: int | None = None,
        high: int | None = None,
        default: int | None = None,
        *,
        required: bool = False,
    ) -> int | None:
        """An integer in ``[low, high]``; ``default`` when absent."""
        if key not in item:
            if required:
                self.add(path, "required (an integer)")
            return default
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be an integer, got {value!r}")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"{'' if low is None else low}..{'' if high is None else high}"
            self.add(path, f"must be in {bounds}, got {value}")
            return default
        return value

    def number(
        self, item: Mapping[str, Any], key: str, path: str, low: float, high: float
    ) -> float | None:
        """A finite number in ``(0 <) low .. high``; None when absent."""
        if key not in item:
            return None
        value = item[key]
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not low <= value <= high:
            self.add(path, f"must be a number in {low}..{high}, got {value!r}")
            return None
        return float(value)

    def string(self, item: Mapping[str, Any], key: str, path: str) -> str:
        """A string ('' when absent)."""
        value = item.get(key, "")
        if not isinstance(value, str):
            self.add(path, f"must be a string, got {value!r}")
            return ""
        return value

    def boolean(self, item: Mapping[str, Any], key: str, path: str) -> bool:
        """A JSON boolean (False when absent)."""
        value = item.get(key, False)
        if not isinstance(value, bool):
            self.add(path, f"must be true or false, got {value!r}")
            return False
        return value

    def int_list(
        self, item: Mapping[str, Any], key: str, path: str, *, low: int = 0
    ) -> list[int] | None:
        """A list of integers >= ``low``; None when absent."""
        if key not in item:
            return None
        value = item[key]
        if not isinstance(value, list):
            self.add(path, "must be an array of integers")
            return None
        out: list[int] = []
        for i, x in enumerate(value):
            if isinstance(x, bool) or not isinstance(x, int) or x < low:
                self.add(f"{path}[{i}]", f"must be an integer >= {low}, got {x!r}")
                return None
            out.append(x)
        return out

    def lonlat(self, item: Mapping[str, Any], key: str, path: str) -> tuple[float, float] | None:
        """Coordinates ``[lon, lat]`` in degrees; None when absent."""
        if key not in item:
            return None
        value = item[key]
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        )
        if not ok or not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            self.add(path, f"must be [lon, lat] in degrees, got {value!r}")
            return None
        return (float(value[0]), float(value[1]))

    def _pair(self, value: object, path: str) -> tuple[int, int] | None:
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in value)
        )
        if not ok:
            self.add(path, f"must be [start, end], integers >= 0, got {value!r}")
            return None
        assert isinstance(value, list)
        if value[0] > value[1]:
            self.add(path, f"start {value[0]} is after end {value[1]}")
            return None
        return (value[0], value[1])

    def window(self, item: Mapping[str, Any], key: str, path: str) -> tuple[int, int] | None:
        """One time window ``[start, end]`` (both inclusive); None when absent."""
        return self._pair(item[key], path) if key in item else None

    def windows(self, item: Mapping[str, Any], key: str, path: str) -> tuple[tuple[int, int], ...]:
        """Sorted, non-overlapping time windows; () when absent (any time)."""
        out = []
        for i, raw in enumerate(self.array(item, key, path)):
            pair = self._pair(raw, f"{path}[{i}]")
            if pair is not None:
                out.append(pair)
        out.sort()
        for (a0, a1), (b0, _) in itertools.pairwise(out):
            if b0 <= a1:
                self.add(path, f"windows [{a0}, {a1}] and [{b0}, ...] overlap; merge them")
        if key in item and not out and not self.problems:
            self.add(path, "give at least one window or leave the key out")
        return tuple(out)

    def square(
        self, item: Mapping[str, Any], key: str, path: str, high: int
    ) -> list[list[int]] | None:
        """A square matrix of integers in ``0..high``; None when absent."""
        if key not in item:
            return None
        rows = item[key]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            self.add(path, "must be an array of arrays of integers")
            return None
        n = len(rows)
        for i, row in enumerate(rows):
            if len(row) != n:
                self.add(f"{path}[{i}]", f"has {len(row)} values; the matrix is {n} x {n}")
                return None
            for j, x in enumerate(row):
                if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x <= high:
                    self.add(f"{path}[{i}][{j}]", f"must be an integer in 0..{high}, got {x!r}")
                    return None
        return rows
