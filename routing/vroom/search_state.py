"""The routes a local search improves, priced by integer arc costs, fitted by VROOM's rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from routing.vroom.break_clock import with_breaks
from routing.vroom.prices import Prices
from routing.vroom.request import VroomProblem
from routing.vroom.timeline import (
    COST_SCALE,
    Item,
    earliest_in,
)


@dataclass
class Move:
    """New task sequences for the vehicles it touches, and the cost change."""

    delta: int
    routes: dict[int, list[int]]


class Search:
    """The routes being improved, with what the moves need to price themselves."""

    def __init__(
        self, problem: VroomProblem, routes: dict[int, list[Item]], prices: Prices | None = None
    ) -> None:
        self.p = problem
        self.vehicles = problem.vehicles
        prices = prices or Prices(problem)
        self.open = prices.open
        self.cost = [prices.rows("cost", v) for v in self.vehicles]
        arrays = [prices.array("cost", v) for v in self.vehicles]
        self.symmetric = [bool(np.array_equal(a, a.T)) for a in arrays]
        self.travel = [prices.rows("travel", v) for v in self.vehicles]
        self.distance = [prices.rows("distance", v) for v in self.vehicles]
        # Per vehicle, its distance and travel-time limits with the matrix each sums.
        self.limits = [
            [
                (limit, m)
                for limit, m in ((v.max_distance_m, dist), (v.max_travel_time_s, travel))
                if limit is not None
            ]
            for v, dist, travel in zip(self.vehicles, self.distance, self.travel, strict=True)
        ]
        self.loc = [t.location for t in problem.tasks]
        self.items: dict[int, list[Item]] = {r: list(it) for r, it in routes.items() if it}
        self.seq: list[list[int]] = [[] for _ in self.vehicles]
        for r, it in self.items.items():
            self.seq[r] = [i for kind, i in it if kind == "task"]
        self.checks = 0  # routes fitted
        # Fitted routes (None: a rule breaks), as ruin and recreate meets them again.
        self.known: dict[tuple[int, tuple[int, ...]], list[Item] | None] = {}
        self.allowed = [
            [t.skills <= v.skills for v in self.vehicles] for t in problem.tasks
        ]  # skills only: amounts and limits are checked by the timeline
        self.takes_all = [all(row[r] for row in self.allowed) for r in range(len(self.vehicles))]
        tasks = problem.tasks
        self.initial = [[t.initial[d] for t in tasks] for d in range(problem.dims)]
        self.change = [[t.change[d] for t in tasks] for d in range(problem.dims)]
        # Per vehicle, the dimensions that any set of tasks could overload (the most on
        # board is at most every delivery plus every pickup): the others are not checked.
        most = [
            sum(self.initial[d]) + sum(max(0, c) for c in self.change[d])
            for d in range(problem.dims)
        ]
        self.tight = [[d for d, m in enumerate(most) if m > v.capacity[d]] for v in self.vehicles]

    # --- pricing ----------------------------------------------------------------
    def path(self, r: int, seq: list[int] | None = None) -> list[int]:
        """Locations of vehicle ``r``'s route: start, tasks, end (open end: ``self.open``)."""
        v = self.vehicles[r]
        tasks = [self.loc[i] for i in (self.seq[r] if seq is None else seq)]
        start = self.open if v.start is None else v.start
        end = self.open if v.end is None else v.end
        return [start, *tasks, end]

    def route_cost(self, r: int, seq: list[int]) -> int:
        """Raw cost (arc units, fixed cost included) of ``seq`` on vehicle ``r``; 0 if empty."""
        if not seq:
            return 0
        c, p = self.cost[r], self.path(r, seq)
        fixed = self.vehicles[r].fixed_cost * COST_SCALE
        return fixed + sum(c[a][b] for a, b in itertools.pairwise(p))

    def total(self) -> int:
        """Raw cost of every route."""
        return sum(self.route_cost(r, s) for r, s in enumerate(self.seq))

    # --- VROOM's rules ----------------------------------------------------------
    def may_take(self, r: int, t: int) -> bool:
        """Whether route ``r`` could take task ``t`` (with its shipment partner) anywhere:
        skills, task count, and the loads at the start and at the end. Necessary, not
        sufficient: it spares pricing every place of a task that cannot fit."""
        v, tasks, seq = self.vehicles[r], self.p.tasks, self.seq[r]
        if not self.allowed[t][r]:
            return False
        partner = tasks[t].partner
        added = [t] if partner is None else [t, partner]
        if v.max_tasks is not None and len(seq) + len(added) > v.max_tasks:
            return False
        on = [*seq, *added]
        for d in self.tight[r]:
            start = sum([self.initial[d][i] for i in on])
            if (
                start > v.capacity[d]
                or start + sum([self.change[d][i] for i in on]) > v.capacity[d]
            ):
                return False
        return True

    def quick_ok(self, r: int, seq: list[int]) -> bool:
        """Task count, skills, load after every step, travel time and distance within limits.

        Exact for these rules and cheap, so most bad moves skip the full timeline.
        """
        v = self.vehicles[r]
        if v.max_tasks is not None and len(seq) > v.max_tasks:
            return False
        if not self.takes_all[r] and not all(self.allowed[i][r] for i in seq):
            return False
        for d in self.tight[r]:
            initial, change, capacity = self.initial[d], self.change[d], v.capacity[d]
            load = sum([initial[i] for i in seq])
            if load > capacity:
                return False
            for i in seq:
                load += change[i]
                if load > capacity:
                    return False
        if not self.limits[r]:
            return True
        path = self.path(r, seq)
        return all(_length(m, path) <= limit for limit, m in self.limits[r])

    def within_limits(self, r: int, path: list[int], at: int) -> list[bool]:
        """For each gap of route ``r``'s ``path``, whether a stop at location ``at`` there
        keeps the route within its travel-time and distance limits (exact, as
        :meth:`quick_ok` sums them): places that cannot pass are not priced."""
        ok = [True] * (len(path) - 1)
        for limit, m in self.limits[r]:
            room = limit - _length(m, path)
            ok = [
                fits and more <= room for fits, more in zip(ok, gap_costs(m, path, at), strict=True)
            ]
        return ok

    def _on_time(self, r: int, seq: list[int]) -> bool:
        """Every task starts inside a window and the vehicle ends in time (no breaks).

        The clock of :func:`routing.vroom.timeline.route_timeline` in whole seconds, legs
        rounded up: exact at speed factor 1, never more lenient otherwise.
        """
        v, tasks, travel = self.vehicles[r], self.p.tasks, self.travel[r]
        clock = v.time_window[0]
        here = last = self.open if v.start is None else v.start
        for i in seq:
            t = tasks[i]
            arrival = clock + travel[here][t.location]
            start, late = earliest_in(t.time_windows, arrival)
            if late > 0:
                return False
            setup = t.setup_s if last != t.location or last == self.open else 0
            clock = start + setup + t.service_s
            here = last = t.location
        end = self.open if v.end is None else v.end
        return clock + travel[here][end] <= v.time_window[1]

    def _in_order(self, seq: list[int]) -> bool:
        """Each shipment's two ends on the route, pickup first."""
        seen: set[int] = set()
        for i in seq:
            t = self.p.tasks[i]
            if t.partner is not None and t.kind == "delivery" and t.partner not in seen:
                return False
            seen.add(i)
        return all(self.p.tasks[i].partner in (None, *seen) for i in seq)

    def fit(self, r: int, seq: list[int]) -> list[Item] | None:
        """Items of ``seq`` on vehicle ``r`` with its breaks placed; None if a rule breaks."""
        v = self.vehicles[r]
        if not seq:
            return []
        self.checks += 1
        items: list[Item] = [("task", i) for i in seq]
        # Without breaks the rules left after quick_ok are windows and order; with them
        # these still must hold (a break only delays), and they are cheap to check
        # before placing breaks.
        if not (self._on_time(r, seq) and self._in_order(seq)):
            return None
        if not v.breaks:
            return items
        return with_breaks(self.p, v, seq, self.items.get(r, []), self.travel[r])

    def snapshot(self) -> tuple[list[list[int]], dict[int, list[Item]]]:
        """The routes, to :meth:`restore` later."""
        return [list(q) for q in self.seq], {r: list(it) for r, it in self.items.items()}

    def restore(self, state: tuple[list[list[int]], dict[int, list[Item]]]) -> None:
        """Go back to a :meth:`snapshot`."""
        self.seq = [list(q) for q in state[0]]
        self.items = {r: list(it) for r, it in state[1].items()}

    def drop(self, r: int, seq: list[int]) -> bool:
        """Route ``r`` becomes ``seq``, a subsequence of it, if that is clean.

        Usually it is; not always (a setup now paid, a matrix without the triangle
        inequality, a break without a task before it).
        """
        items = self.fit(r, seq) if seq else []
        if items is None:
            return False
        self.seq[r] = list(seq)
        if items:
            self.items[r] = items
        else:
            self.items.pop(r, None)
        return True

    def fitted(self, r: int, seq: list[int]) -> list[Item] | None:
        """:meth:`fit`, remembered: ruin and recreate meets the same routes again."""
        key = (r, tuple(seq))
        if key not in self.known:
            self.known[key] = self.fit(r, seq) if self.quick_ok(r, seq) else None
        return self.known[key]

    def apply(self, move: Move) -> bool:
        """Take ``move`` if every route it touches obeys VROOM's rules."""
        fitted: dict[int, list[Item]] = {}
        for r, seq in move.routes.items():
            items = self.fitted(r, seq)
            if items is None:
                return False
            fitted[r] = items
        for r, items in fitted.items():
            self.seq[r] = list(move.routes[r])
            if items:
                self.items[r] = items
            else:
                self.items.pop(r, None)
        return True


def gap_costs(c: list[list[int]], path: list[int], at: int) -> list[int]:
    """Change of ``c`` (cost, travel, distance) for a stop at location ``at`` in each gap
    of ``path``."""
    return [c[a][at] + c[at][b] - c[a][b] for a, b in itertools.pairwise(path)]


def _length(m: list[list[int]], path: list[int]) -> int:
    return sum([m[a][b] for a, b in itertools.pairwise(path)])


def moves_sorted(moves: Iterator[Move]) -> list[Move]:
    """Improving moves, best first."""
    return sorted((m for m in moves if m.delta < 0), key=lambda m: m.delta)
