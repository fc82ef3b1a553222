"""Checks across records of a parsed VROOM request: ids, indices, profiles, steps."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from routing.vroom.fields import Reader

if TYPE_CHECKING:
    from routing.vroom.request import VroomProblem


def check_consistency(r: Reader, problem: VroomProblem) -> None:
    """Note every cross-record problem of ``problem`` on ``r``."""
    _unique_ids(r, problem)
    if problem.index_mode:
        _indices(r, problem)
    _steps(r, problem)


def _unique_ids(r: Reader, problem: VroomProblem) -> None:
    for kind in ("job", "pickup", "delivery"):
        counts = Counter(t.id for t in problem.tasks if t.kind == kind)
        for t in problem.tasks:
            if t.kind == kind and counts[t.id] > 1:
                r.add(f"{t.path}.id", f"{kind} id {t.id} is used {counts[t.id]} times")
    counts = Counter(v.id for v in problem.vehicles)
    for v in problem.vehicles:
        if counts[v.id] > 1:
            r.add(f"{v.path}.id", f"vehicle id {v.id} is used {counts[v.id]} times")
        break_ids = Counter(b.id for b in v.breaks)
        for b, brk in enumerate(v.breaks):
            if break_ids[brk.id] > 1:
                r.add(f"{v.path}.breaks[{b}].id", f"break id {brk.id} is used twice")


def _indices(r: Reader, problem: VroomProblem) -> None:
    for v in problem.vehicles:
        if v.profile not in problem.matrices:
            r.add(f"{v.path}.profile", f"no matrices for profile {v.profile!r}")
            continue
        m = problem.matrices[v.profile]
        n = len(m.durations_s)
        for name, index in (("start_index", v.start), ("end_index", v.end)):
            if index == -1:
                r.add(f"{v.path}.{name}", "required with matrices (coordinates alone are not)")
            elif index is not None and index >= n:
                r.add(f"{v.path}.{name}", f"{index} is beyond the {n} x {n} matrix")
        if m.distances_m is None and v.per_km:
            r.add(f"{v.path}.costs.per_km", f"needs matrices.{v.profile}.distances (metres)")
        if m.costs is not None and (v.per_hour != 3600 or v.per_km != 0):
            r.add(f"{v.path}.costs", "per_hour/per_km cannot be combined with a costs matrix")
    sizes = [len(problem.matrices[p].durations_s) for p in problem.matrices]
    n_min = min(sizes, default=0)
    for t in problem.tasks:
        if t.location == -1:
            r.add(f"{t.path}.location_index", "required with matrices")
        elif t.location >= n_min:
            r.add(f"{t.path}.location_index", f"{t.location} is beyond the {n_min}-row matrix")


def _steps(r: Reader, problem: VroomProblem) -> None:
    ids = {(t.kind, t.id) for t in problem.tasks}
    used: Counter[tuple[str, int]] = Counter()
    for v in problem.vehicles:
        break_ids = {b.id for b in v.breaks}
        for s in v.steps:
            if s.kind in ("job", "pickup", "delivery") and s.id is not None:
                if (s.kind, s.id) not in ids:
                    r.add(f"{s.path}.id", f"no {s.kind} with id {s.id}")
                used[(s.kind, s.id)] += 1
                if used[(s.kind, s.id)] == 2:
                    r.add(f"{s.path}.id", f"{s.kind} {s.id} appears in more than one step")
            if s.kind == "break" and s.id not in break_ids:
                r.add(f"{s.path}.id", f"vehicle {v.id} has no break with id {s.id}")
        kinds = [s.kind for s in v.steps]
        if kinds.count("start") > 1 or kinds.count("end") > 1:
            r.add(f"{v.path}.steps", "at most one start and one end step")
        elif ("start" in kinds and kinds[0] != "start") or ("end" in kinds and kinds[-1] != "end"):
            r.add(f"{v.path}.steps", "start must come first and end last")
