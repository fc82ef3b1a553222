"""The moves of :mod:`routing.vroom.improve`, each priced in O(1) from integer arc costs.

Paths are locations: a vehicle's start, its tasks, its end. A gap ``g`` is the arc from
path position ``g`` to ``g + 1``. Only moves that lower the raw cost are produced; the
caller checks them against VROOM's rules.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator

from routing.vroom.search_state import Move, Search, gap_costs, moves_sorted
from routing.vroom.timeline import COST_SCALE

#: Longest segment moved in one piece.
_SEGMENT = 3
#: CROSS-exchange: segments up to this long, between a route and a short one.
_CROSS, _SHORT = 4, 6
#: Insertion positions tried per unassigned task, cheapest first.
_INSERT_TRIES = 40


def scan(s: Search) -> list[Move]:
    """Every improving move of the current routes, best first."""
    moves = itertools.chain(
        _relocations(s), _swaps(s), _tails(s), _reversals(s), _pairs(s), _crosses(s), _trades(s)
    )
    return moves_sorted(moves)


def _inner(c: list[list[int]], locs: list[int]) -> int:
    return sum(c[a][b] for a, b in itertools.pairwise(locs))


def whole_cost(s: Search, r: int, first: int, inner: int, last: int) -> int:
    """Cost of a route made of one segment on the empty vehicle ``r``."""
    c, p = s.cost[r], s.path(r)
    return s.vehicles[r].fixed_cost * COST_SCALE + c[p[0]][first] + inner + c[last][p[-1]]


def _relocations(s: Search) -> Iterator[Move]:
    for a, seq in enumerate(s.seq):
        pa, ca = s.path(a), s.cost[a]
        n = len(seq)
        for k in range(1, min(_SEGMENT, n) + 1):
            for i in range(1, n - k + 2):
                seg = seq[i - 1 : i - 1 + k]
                first, last = pa[i], pa[i + k - 1]
                prev, nxt = pa[i - 1], pa[i + k]
                inner_a = _inner(ca, pa[i : i + k])
                if k == n:
                    gain = -s.route_cost(a, seq)
                else:
                    gain = ca[prev][nxt] - ca[prev][first] - ca[last][nxt] - inner_a
                rest = seq[: i - 1] + seq[i - 1 + k :]
                whole = all(s.p.tasks[t].partner in (None, *seg) for t in seg)
                if n > k:
                    yield from _within(s, a, i, k)
                if whole:
                    yield from _elsewhere(s, a, seg, rest, gain)


def _within(s: Search, a: int, i: int, k: int) -> Iterator[Move]:
    """Segment at path ``i..i+k-1`` of route ``a`` moved to another gap of the same route."""
    seq, pa, c = s.seq[a], s.path(a), s.cost[a]
    first, last = pa[i], pa[i + k - 1]
    prev, nxt = pa[i - 1], pa[i + k]
    gain = c[prev][nxt] - c[prev][first] - c[last][nxt]
    seg = seq[i - 1 : i - 1 + k]
    rest = seq[: i - 1] + seq[i - 1 + k :]
    for g in range(len(pa) - 1):
        if i - 1 <= g <= i + k - 1:
            continue
        x, y = pa[g], pa[g + 1]
        delta = gain + c[x][first] + c[last][y] - c[x][y]
        if delta < 0:
            at = g if g < i else g - k
            yield Move(delta, {a: rest[:at] + seg + rest[at:]})


def _elsewhere(s: Search, a: int, seg: list[int], rest: list[int], gain: int) -> Iterator[Move]:
    """Segment ``seg`` of route ``a`` moved into another vehicle's route."""
    locs = [s.loc[t] for t in seg]
    for b, seq_b in enumerate(s.seq):
        if b == a or not all(s.allowed[t][b] for t in seg):
            continue
        c = s.cost[b]
        inner = _inner(c, locs)
        if not seq_b:
            delta = gain + whole_cost(s, b, locs[0], inner, locs[-1])
            if delta < 0:
                yield Move(delta, {a: rest, b: list(seg)})
            continue
        pb = s.path(b)
        for g in range(len(pb) - 1):
            x, y = pb[g], pb[g + 1]
            delta = gain + c[x][locs[0]] + inner + c[locs[-1]][y] - c[x][y]
            if delta < 0:
                yield Move(delta, {a: rest, b: seq_b[:g] + seg + seq_b[g:]})


def _best_gaps(s: Search, t: int, r: int) -> list[tuple[int, int]]:
    """The three cheapest gaps of route ``r`` for task ``t``: (cost change, gap)."""
    p, c, lt = s.path(r), s.cost[r], s.loc[t]
    return sorted((d, g) for g, d in enumerate(gap_costs(c, p, lt)))[:3]


def _put_instead(
    s: Search, r: int, i: int, y: int, gaps: list[tuple[int, int]]
) -> tuple[int, list[int]]:
    """Route ``r`` with its ``i``-th task (path position) out and ``y`` at its best place.

    The best place is where the task was or one of ``gaps`` (``y``'s cheapest gaps of
    the route) not next to it. Returns the cost change and the sequence.
    """
    p, c, seq = s.path(r), s.cost[r], s.seq[r]
    a, x, z, ly = p[i - 1], p[i], p[i + 1], s.loc[y]
    out = c[a][z] - c[a][x] - c[x][z]
    best, at = c[a][ly] + c[ly][z] - c[a][z], i - 1
    for cost, g in gaps:
        if g not in (i - 1, i) and cost < best:
            best, at = cost, g if g < i else g - 1
    rest = seq[: i - 1] + seq[i:]
    return out + best, [*rest[:at], y, *rest[at:]]


def _swaps(s: Search) -> Iterator[Move]:
    """SWAP*: two jobs on different routes trade routes, each at its best place there."""
    jobs = [
        [(i, x) for i, x in enumerate(seq, start=1) if s.p.tasks[x].partner is None]
        for seq in s.seq
    ]
    for a, b in itertools.combinations(range(len(s.seq)), 2):
        if not jobs[a] or not jobs[b]:
            continue
        into_b = {x: _best_gaps(s, x, b) for _, x in jobs[a] if s.allowed[x][b]}
        into_a = {y: _best_gaps(s, y, a) for _, y in jobs[b] if s.allowed[y][a]}
        for i, x in jobs[a]:
            if x not in into_b:
                continue
            for j, y in jobs[b]:
                if y not in into_a:
                    continue
                delta_a, na = _put_instead(s, a, i, y, into_a[y])
                delta_b, nb = _put_instead(s, b, j, x, into_b[x])
                if delta_a + delta_b < 0:
                    yield Move(delta_a + delta_b, {a: na, b: nb})


def _segments(s: Search, r: int, most: int) -> list[tuple[int, int, list[int]]]:
    """Segments of route ``r`` (path start, length, tasks), shipments whole."""
    seq, out = s.seq[r], []
    for k in range(1, min(most, len(seq)) + 1):
        for i in range(1, len(seq) - k + 2):
            seg = seq[i - 1 : i - 1 + k]
            if all(s.p.tasks[t].partner in (None, *seg) for t in seg):
                out.append((i, k, seg))
    return out


def _crosses(s: Search) -> Iterator[Move]:
    """CROSS-exchange between a route and a short one: what a task limit needs, where
    a short route must trade its tasks for others on a long one."""
    for a, b in itertools.permutations(range(len(s.seq)), 2):
        sa, sb = s.seq[a], s.seq[b]
        if not sa or not 0 < len(sb) <= _SHORT:
            continue
        pa, pb, ca, cb = s.path(a), s.path(b), s.cost[a], s.cost[b]
        for j, n_b, seg_b in _segments(s, b, _CROSS):
            if not all(s.allowed[t][a] for t in seg_b):
                continue
            lb = [s.loc[t] for t in seg_b]
            out_b = cb[pb[j - 1]][lb[0]] + _inner(cb, lb) + cb[lb[-1]][pb[j + n_b]]
            inner_b_on_a = _inner(ca, lb)
            for i, k, seg_a in _segments(s, a, _CROSS):
                if not all(s.allowed[t][b] for t in seg_a) or (a > b and len(sa) <= _SHORT):
                    continue
                la = [s.loc[t] for t in seg_a]
                prev, nxt = pa[i - 1], pa[i + k]
                delta_a = (
                    ca[prev][lb[0]] + inner_b_on_a + ca[lb[-1]][nxt]
                    - ca[prev][la[0]] - _inner(ca, la) - ca[la[-1]][nxt]
                )  # fmt: skip
                in_b = cb[pb[j - 1]][la[0]] + _inner(cb, la) + cb[la[-1]][pb[j + n_b]]
                delta = delta_a + in_b - out_b
                if delta < 0:
                    new_a = [*sa[: i - 1], *seg_b, *sa[i - 1 + k :]]
                    new_b = [*sb[: j - 1], *seg_a, *sb[j - 1 + n_b :]]
                    yield Move(delta, {a: new_a, b: new_b})


def _greedy_into(s: Search, r: int, base: list[int], tasks: list[int]) -> list[int]:
    """``base`` with ``tasks`` (jobs) put one by one at their cheapest gap on vehicle ``r``."""
    seq, c = list(base), s.cost[r]
    for t in tasks:
        put = gap_costs(c, s.path(r, seq), s.loc[t])
        seq.insert(min(range(len(put)), key=put.__getitem__), t)
    return seq


def _trades(s: Search) -> Iterator[Move]:
    """A short route's jobs go into another route at their cheapest places, and a segment
    of that route becomes the short one: a task limit often makes the short route take
    the wrong tasks, and single moves cannot undo it."""
    for a, b in itertools.permutations(range(len(s.seq)), 2):
        sa, sb = s.seq[a], s.seq[b]
        if not sa or not 0 < len(sb) <= _SHORT:
            continue
        if any(s.p.tasks[t].partner is not None or not s.allowed[t][a] for t in sb):
            continue
        old = s.route_cost(a, sa) + s.route_cost(b, sb)
        for i, k, seg in _segments(s, a, len(sb) + 1):
            if not all(s.allowed[t][b] for t in seg):
                continue
            new_a = _greedy_into(s, a, [*sa[: i - 1], *sa[i - 1 + k :]], sb)
            delta = s.route_cost(a, new_a) + s.route_cost(b, seg) - old
            if delta < 0:
                yield Move(delta, {a: new_a, b: list(seg)})


def _cuts(s: Search, seq: list[int]) -> list[bool]:
    """For each cut position, True when no shipment has one end on each side."""
    where = {t: k for k, t in enumerate(seq)}
    ok = [True] * (len(seq) + 1)
    for k, t in enumerate(seq):
        partner = s.p.tasks[t].partner
        if partner is not None and partner in where:
            lo, hi = sorted((k, where[partner]))
            for cut in range(lo + 1, hi + 1):
                ok[cut] = False
    return ok


def _suffix_inner(c: list[list[int]], locs: list[int]) -> list[int]:
    """``out[j]``: arc cost along ``locs[j:]``."""
    out = [0] * (len(locs) + 1)
    for j in range(len(locs) - 2, -1, -1):
        out[j] = out[j + 1] + c[locs[j]][locs[j + 1]]
    return out


def _prefix(c: list[list[int]], path: list[int]) -> list[int]:
    """``out[i]``: arc cost along ``path[: i + 1]``."""
    out = [0] * len(path)
    for i in range(1, len(path)):
        out[i] = out[i - 1] + c[path[i - 1]][path[i]]
    return out


def _tails(s: Search) -> Iterator[Move]:
    """2-opt*: route ``a`` keeps its first ``i`` tasks and takes ``b``'s tail, and back."""
    k = len(s.seq)
    for a, b in itertools.combinations(range(k), 2):
        sa, sb = s.seq[a], s.seq[b]
        if not sa and not sb:
            continue
        la, lb = [s.loc[t] for t in sa], [s.loc[t] for t in sb]
        pa, pb = s.path(a), s.path(b)
        pre_a, pre_b = _prefix(s.cost[a], pa), _prefix(s.cost[b], pb)
        tail_a_on_b, tail_b_on_a = _suffix_inner(s.cost[b], la), _suffix_inner(s.cost[a], lb)
        ok_a, ok_b = _cuts(s, sa), _cuts(s, sb)
        fits_b = [all(s.allowed[t][b] for t in sa[i:]) for i in range(len(sa) + 1)]
        fits_a = [all(s.allowed[t][a] for t in sb[j:]) for j in range(len(sb) + 1)]
        old = s.route_cost(a, sa) + s.route_cost(b, sb)
        fa, fb = s.vehicles[a].fixed_cost * COST_SCALE, s.vehicles[b].fixed_cost * COST_SCALE
        for i in range(len(sa) + 1):
            if not (ok_a[i] and fits_b[i]):
                continue
            for j in range(len(sb) + 1):
                if not (ok_b[j] and fits_a[j]) or (i == len(sa) and j == len(sb)):
                    continue
                new = 0
                if i or j < len(sb):
                    last = lb[-1] if j < len(sb) else pa[i]
                    join = s.cost[a][pa[i]][lb[j]] if j < len(sb) else 0
                    new += fa + pre_a[i] + join + tail_b_on_a[j] + s.cost[a][last][pa[-1]]
                if j or i < len(sa):
                    last = la[-1] if i < len(sa) else pb[j]
                    join = s.cost[b][pb[j]][la[i]] if i < len(sa) else 0
                    new += fb + pre_b[j] + join + tail_a_on_b[i] + s.cost[b][last][pb[-1]]
                if new < old:
                    yield Move(new - old, {a: sa[:i] + sb[j:], b: sb[:j] + sa[i:]})


def _reversals(s: Search) -> Iterator[Move]:
    """2-opt within a route (symmetric costs only: the reversed segment costs the same)."""
    for a, seq in enumerate(s.seq):
        if len(seq) < 3 or not s.symmetric[a]:
            continue
        p, c = s.path(a), s.cost[a]
        n = len(seq)
        for i in range(1, n):
            for j in range(i + 1, n + 1):
                before, after = c[p[i - 1]][p[i]] + c[p[j]][p[j + 1]], c[p[i - 1]][p[j]]
                delta = after + c[p[i]][p[j + 1]] - before
                if delta < 0:
                    yield Move(delta, {a: seq[: i - 1] + seq[i - 1 : j][::-1] + seq[j:]})


def pair_insertions(s: Search, b: int, base: list[int], pick: int) -> list[tuple[int, int, int]]:
    """Every way to put shipment ``pick`` (and its delivery) into ``base`` on vehicle ``b``.

    Each as (cost change, gap of the pickup, gap of the delivery), gaps of ``base``'s path;
    :func:`with_pair` builds the sequence.
    """
    drop = s.p.tasks[pick].partner
    assert drop is not None
    lp, ld = s.loc[pick], s.loc[drop]
    c = s.cost[b]
    if not base:
        return [(whole_cost(s, b, lp, c[lp][ld], ld), 0, 0)]
    p = s.path(b, base)
    gaps = range(len(p) - 1)
    put_p, put_d = gap_costs(c, p, lp), gap_costs(c, p, ld)
    out = []
    for g1 in gaps:
        together = c[p[g1]][lp] + c[lp][ld] + c[ld][p[g1 + 1]] - c[p[g1]][p[g1 + 1]]
        out.append((together, g1, g1))
        out.extend((put_p[g1] + put_d[g2], g1, g2) for g2 in range(g1 + 1, len(p) - 1))
    return out


def with_pair(base: list[int], pick: int, drop: int, g1: int, g2: int) -> list[int]:
    return [*base[:g1], pick, *base[g1:g2], drop, *base[g2:]]


def _pairs(s: Search) -> Iterator[Move]:
    """A shipment moved, both ends, to its cheapest place on any route."""
    for a, seq in enumerate(s.seq):
        for pick in seq:
            drop = s.p.tasks[pick].partner
            if s.p.tasks[pick].kind != "pickup" or drop is None:
                continue
            rest = [t for t in seq if t not in (pick, drop)]
            gain = s.route_cost(a, rest) - s.route_cost(a, seq)
            for b, seq_b in enumerate(s.seq):
                if not s.allowed[pick][b]:
                    continue
                base = rest if b == a else seq_b
                delta, g1, g2 = min(pair_insertions(s, b, base, pick))
                new = with_pair(base, pick, drop, g1, g2)
                delta += gain
                if delta < 0:
                    yield Move(delta, {a: new} if b == a else {a: rest, b: new})


def _insertions_of(s: Search, t: int, tries: int) -> list[Move]:
    """The ``tries`` cheapest places for unassigned task ``t``."""
    found: list[tuple[int, int, int, int]] = []  # cost change, vehicle, gap(s)
    partner = s.p.tasks[t].partner
    for b, seq in enumerate(s.seq):
        if not s.may_take(b, t):
            continue
        if partner is not None:
            found.extend((d, b, g1, g2) for d, g1, g2 in pair_insertions(s, b, seq, t))
            continue
        lt, c = s.loc[t], s.cost[b]
        if not seq:
            found.append((whole_cost(s, b, lt, 0, lt), b, 0, -1))
            continue
        p = s.path(b)
        within = s.within_limits(b, p, lt)
        # Priced only where the limits allow, as in recreate's candidates.
        found.extend(
            (c[p[g]][lt] + c[lt][p[g + 1]] - c[p[g]][p[g + 1]], b, g, -1)
            for g in range(len(p) - 1)
            if within[g]
        )
    out = []
    for delta, b, g1, g2 in heapq.nsmallest(tries, found):
        seq = s.seq[b]
        if partner is None:
            out.append(Move(delta, {b: [*seq[:g1], t, *seq[g1:]]}))
        else:
            out.append(Move(delta, {b: with_pair(seq, t, partner, g1, g2)}))
    return out


def insert_unassigned(
    s: Search, left: list[int], *, shuffled: bool = False, tries: int = _INSERT_TRIES
) -> list[int]:
    """Insert what fits of ``left`` (highest priority first) at its cheapest clean place.

    ``shuffled``: ``left`` is already in the order to insert.
    Returns the tasks still left out.
    """
    still: list[int] = []
    order = left if shuffled else sorted(left, key=lambda x: -s.p.tasks[x].priority)
    for t in order:
        for move in _insertions_of(s, t, tries):
            if s.apply(move):
                break
        else:
            still.append(t)
    return still
