"""Sections of the HTML report: summary cards, tables, the load chart and run sheets.

The run details and run sheets are laid out only when scrolled to or printed, so that
big reports open quickly; their estimated heights are reserved beforehand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from routing.model import Plan, Run, Summary, Unassigned, VillageCost
from routing.report.figures import (
    RUN_COLOURS,
    _e,
    _initial_load,
    _num,
    _per_parcel,
    _rmb,
    _run_key,
    _run_per_parcel,
    _Saving,
    _village_saving,
)
from routing.units import format_clock

#: Estimated heights in CSS pixels of the run details and run sheets, which the page
#: lays out only once they are scrolled to (``content-visibility: auto``); the page
#: reserves them so that its scrollbar does not jump. One table row or closed run
#: detail, a run sheet without its rows, and the run details card without its runs
#: (measured in Chromium 1400 px wide).
_ROW_PX = 35
_SHEET_PX = 145
_DETAILS_PX = 64


def _kpis(plan: Plan, villages: Sequence[VillageCost], savings: Sequence[_Saving]) -> str:
    s: Summary = plan.summary
    parcels_label = "parcels collected"
    if s.delivery_parcels:
        parcels_label += f" · {s.delivery_parcels:,} dropped"
    cards: list[tuple[str, str, str]] = [
        ("main", f"<small>RMB</small> {_rmb(s.total_cost_rmb, 0)}", "total cost"),
        ("main", f"<small>RMB</small> {_rmb(s.cost_per_parcel_rmb)}", "per parcel"),
    ]
    saving = savings[0].saving_per_parcel_rmb if savings else _village_saving(villages)
    if saving is not None:
        label = f"saving per parcel vs {_e(savings[0].name)}" if savings else "saving per parcel"
        cards.append(
            ("good" if saving >= 0 else "warn", f"<small>RMB</small> {_rmb(saving)}", label)
        )
    cards += [
        ("", f"{s.parcels:,}", parcels_label),
        ("", f"{s.runs:,}", f"runs · {s.vehicles:,} vehicles"),
        ("", _num(s.distance_km), "km driven"),
        ("", _num(s.duration_h), "vehicle hours"),
        ("", f"{s.pickups - s.unassigned:,} / {s.pickups:,}", "pickups served"),
        ("warn" if s.unassigned else "", f"{s.unassigned:,}", "unassigned"),
    ]
    return "\n".join(
        f'<div class="kpi {cls}"><div class="v">{v}</div><div class="k">{k}</div></div>'
        for cls, v, k in cards
    )


def _baselines_section(plan: Plan, savings: Sequence[_Saving]) -> str:
    if not savings:
        return ""
    own = plan.summary.cost_per_parcel_rmb
    rows = "".join(
        f"<tr><td>{_e(b.name)}</td><td class=n>{_rmb(b.baseline_per_parcel_rmb)}</td>"
        f"<td class=n>{_rmb(own)}</td><td class='n "
        f"{'good' if b.saving_per_parcel_rmb >= 0 else 'bad'}'>"
        f"{_rmb(b.saving_per_parcel_rmb)}</td></tr>"
        for b in savings
    )
    return (
        '<section id="baselines" class="card"><h2>Against the baselines</h2><table>'
        "<thead><tr><th>baseline</th><th class=n>its RMB/parcel</th><th class=n>this plan</th>"
        f"<th class=n>saving RMB/parcel</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _runs_table(plan: Plan) -> str:
    rows: list[str] = []
    for k, run in enumerate(plan.runs):
        rows.append(
            f'<tr {_run_key(run)}><td><span class="sw r{k % len(RUN_COLOURS)}"></span>'
            f"{_e(run.vehicle)}</td>"
            f"<td>{_e(run.vehicle_type)}</td><td class=n>{run.run}</td><td>{run.start_time}</td>"
            f"<td>{run.end_time}</td><td class=n>{len(run.stops)}</td><td class=n>{run.parcels:,}<"
            "/td>"
            f"<td class=n>{run.delivery_parcels:,}</td><td class=n>{run.distance_km:.1f}</td>"
            f"<td class=n>{run.duration_h:.2f}</td><td class=n>{_rmb(run.cost_rmb)}</td>"
            f"<td class=n>{_rmb(_run_per_parcel(run))}</td></tr>"
        )
    s = plan.summary
    return (
        '<div class="scroll"><table class="runs-table"><thead><tr><th>vehicle</th><th>type</th>'
        "<th class=n>run</th><th>leaves</th><th>back</th><th class=n>stops</th>"
        "<th class=n>parcels</th><th class=n>to drop</th><th class=n>km</th><th class=n>h</th>"
        "<th class=n>RMB</th><th class=n>RMB/parcel</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr><td colspan=5>{s.runs} runs</td>"
        f"<td class=n>{sum(len(r.stops) for r in plan.runs):,}</td><td class=n>{s.parcels:,}</td>"
        f"<td class=n>{s.delivery_parcels:,}</td><td class=n>{s.distance_km:.1f}</td>"
        f"<td class=n>{s.duration_h:.2f}</td><td class=n>{_rmb(s.total_cost_rmb)}</td>"
        f"<td class=n>{_rmb(s.cost_per_parcel_rmb)}</td></tr></tfoot></table></div>"
    )


def _load_chart(plan: Plan) -> str:
    runs = [r for r in plan.runs if r.stops]
    if not runs:
        return '<p class="note">No runs.</p>'
    w, h, left, right, top, bottom = 1000, 280, 48, 12, 10, 28
    t0 = min(r.start for r in runs)
    t1 = max(r.end for r in runs)
    t0, t1 = (t0 // 3600) * 3600, -(-t1 // 3600) * 3600
    t1 = max(t1, t0 + 3600)
    peak = max(max(_initial_load(r), *(s.load_parcels for s in r.stops)) for r in runs)
    ymax = max(1, peak) * 1.08

    def px(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * (w - left - right)

    def py(v: float) -> float:
        return top + (1 - v / ymax) * (h - top - bottom)

    out = [f'<svg id="load-chart" class="chart" viewBox="0 0 {w} {h}">']
    step = 3600 * max(1, math.ceil((t1 - t0) / 3600 / 14))
    for t in range(t0, t1 + 1, step):
        x = px(t)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{h - bottom}"/>'
            f'<text x="{x:.1f}" y="{h - 10}" text-anchor="middle">{format_clock(t)}</text>'
        )
    ystep = _nice_step(ymax / 5)
    v = 0.0
    while v <= ymax:
        y = py(v)
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>'
        )
        v += ystep
    out.append(
        f'<line class="axis" x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}"/>'
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}"/>'
    )
    for k, run in enumerate(plan.runs):
        if not run.stops:
            continue
        load = _initial_load(run)
        pts = [(run.start, load)]
        for s in run.stops:
            pts += [(s.arrival, load), (s.departure, s.load_parcels)]
            load = s.load_parcels
        pts += [(run.end, load), (run.end, 0)]
        coords = " ".join(f"{px(t):.1f},{py(v):.1f}" for t, v in pts)
        out.append(
            f'<polyline class="load r{k % len(RUN_COLOURS)}" {_run_key(run)} points="{coords}">'
            f"<title>{_e(run.vehicle)} · run {run.run}: up to {max(v for _, v in pts):,} parcels<"
            "/title></polyline>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _nice_step(raw: float) -> float:
    mag = 10 ** math.floor(math.log10(max(raw, 1e-9)))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def _villages_table(plan: Plan, villages: Sequence[VillageCost]) -> str:
    has_base = any(v.baseline_direct_per_parcel_rmb is not None for v in villages)
    has_save = any(v.saving_per_parcel_rmb is not None for v in villages)
    head = (
        "<th>village</th><th>township</th><th class=n>pickups</th><th class=n>parcels</th>"
        "<th class=n>RMB</th><th class=n>RMB/parcel</th>"
        + ("<th class=n>direct RMB/parcel</th>" if has_base else "")
        + ("<th class=n>saving RMB/parcel</th>" if has_save else "")
    )
    ordered = sorted(villages, key=lambda v: -(v.cost_per_parcel_rmb or 0.0))
    rows: list[str] = []
    for v in ordered:
        extra = ""
        if has_base:
            extra += f"<td class=n>{_rmb(v.baseline_direct_per_parcel_rmb)}</td>"
        if has_save:
            cls = (
                ""
                if v.saving_per_parcel_rmb is None
                else "good"
                if v.saving_per_parcel_rmb >= 0
                else "bad"
            )
            extra += f"<td class='n {cls}'>{_rmb(v.saving_per_parcel_rmb)}</td>"
        rows.append(
            f'<tr data-village="{_e(v.village)}"><td>{_e(v.village)}</td><td>{_e(v.township)}</td>'
            f'<td class=n data-pickups="{v.pickups}">{v.pickups:,}</td>'
            f'<td class=n data-parcels="{v.parcels}">{v.parcels:,}</td>'
            f'<td class=n data-cost="{v.cost_rmb:.2f}">{_rmb(v.cost_rmb)}</td>'
            f"<td class=n>{_rmb(v.cost_per_parcel_rmb)}</td>{extra}</tr>"
        )
    pickups = sum(v.pickups for v in villages)
    parcels = sum(v.parcels for v in villages)
    cost = sum(v.cost_rmb for v in villages)
    pad = "<td></td>" * (int(has_base) + int(has_save))
    source = "" if plan.villages else '<p class="note">Grouped from the stops of the runs.</p>'
    return (
        f'{source}<div class="scroll"><table class="villages-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr><td>{len(villages)} villages</td><td></td>"
        f'<td class=n data-pickups="{pickups}">{pickups:,}</td><td class=n '
        f'data-parcels="{parcels}">{parcels:,}</td>'
        f'<td class=n data-cost="{cost:.2f}">{_rmb(cost)}</td><td class=n>'
        f"{_rmb(_per_parcel(cost, parcels))}</td>"
        f"{pad}</tr></tfoot></table></div>"
    )


def _unassigned_section(unassigned: Sequence[Unassigned]) -> str:
    if not unassigned:
        return ""
    reasons: dict[str, int] = defaultdict(int)
    for u in unassigned:
        reasons[str(u.reason)] += 1
    counts = " · ".join(f"{_e(str(r))}: {n}" for r, n in sorted(reasons.items()))
    rows = "".join(
        f"<tr><td>{_e(u.pickup_id)}</td><td>{_e(u.village)}</td><td>{_e(str(u.reason))}</td>"
        f"<td>{_e(u.detail)}</td></tr>"
        for u in unassigned
    )
    return (
        f'<section id="unassigned" class="card"><h2>Not collected ({len(unassigned)})</h2>'
        f'<p class="note">{counts}</p><div class="scroll"><table><thead><tr><th>pickup</th>'
        f"<th>village</th><th>reason</th><th>detail</th></tr></thead><tbody>{rows}</tbody>"
        "</table></div></section>"
    )


def _stop_rows(run: Run) -> str:
    rows = []
    for i, s in enumerate(run.stops, 1):
        wait = f"{s.waiting_time // 60} min" if s.waiting_time else ""
        rows.append(
            f"<tr><td class=n>{i}</td><td>{_e(s.village)}</td><td>{_e(s.pickup_id)}</td>"
            f"<td>{s.arrival_time}</td><td>{wait}</td><td>{s.departure_time}</td>"
            f"<td class=n>{s.parcels:,}</td><td class=n>{s.delivery_parcels:,}</td>"
            f"<td class=n>{s.load_parcels:,}</td><td class=n>{s.distance / 1000:.1f}</td>"
            f"<td class=n>{_rmb(s.cost_rmb)}</td><td class=n>{_rmb(s.cost_per_parcel_rmb)}</td><"
            "/tr>"
        )
    return "".join(rows)


def _run_details_px(plan: Plan) -> int:
    """Estimated height of the closed run details, kept until they are first drawn."""
    return _DETAILS_PX + _ROW_PX * len(plan.runs)


def _run_details(plan: Plan) -> str:
    out: list[str] = []
    for k, run in enumerate(plan.runs):
        out.append(
            f'<details class="run-detail" {_run_key(run)}><summary><span class="sw '
            f'r{k % len(RUN_COLOURS)}">'
            f"</span><b>{_e(run.vehicle)}</b> · run {run.run} — {run.start_time}–{run.end_time} · "
            f"{len(run.stops)} stops · {run.parcels:,} parcels · {run.distance_km:.1f} km · "
            f"RMB {_rmb(run.cost_rmb)} (fixed {_rmb(run.fixed_cost_rmb)}, distance "
            f"{_rmb(run.distance_cost_rmb)}, time {_rmb(run.time_cost_rmb)})</summary>"
            "<table><thead><tr><th class=n>#</th><th>village</th><th>pickup</th><th>arrives</th>"
            "<th>waits</th><th>leaves</th><th class=n>collect</th><th class=n>drop</th>"
            "<th class=n>on board after</th><th class=n>km so far</th><th class=n>RMB share</th>"
            f"<th class=n>RMB/parcel</th></tr></thead><tbody>{_stop_rows(run)}</tbody>"
            f"<tfoot><tr><td></td><td colspan=2>back at hub {_e(run.hub_id)}</td><td>"
            f"{run.end_time}</td>"
            f"<td></td><td></td><td class=n>{run.parcels:,}</td><td class=n>"
            f"{run.delivery_parcels:,}</td>"
            f"<td></td><td class=n>{run.distance_km:.1f}</td><td class=n>{_rmb(run.cost_rmb)}</td>"
            f"<td class=n>{_rmb(_run_per_parcel(run))}</td></tr></tfoot></table>"
            "</details>"
        )
    return "\n".join(out) or '<p class="note">No runs.</p>'


def _handover(run: Run) -> str:
    """Where a three-tier run hands its load over, and a two-day run's night stop."""
    out = ""
    if run.tier is not None:
        out += f' · <b class="handover">{_e(run.tier)} run, hand over at {_e(run.handover)}</b>'
    if run.overnight is not None:
        night = run.overnight
        out += (
            f' · <b class="overnight">night at {_e(night.station_id)} '
            f"(arrive {night.arrive_time}, leave {night.leave_time})</b>"
        )
    return out


def _sheets(plan: Plan) -> str:
    contact = any(s.contact for r in plan.runs for s in r.stops)
    out: list[str] = []
    for run in plan.runs:
        rows = "".join(
            f"<tr><td class=n>{i}</td><td>{_e(s.village)} <small>{_e(s.pickup_id)}</small></td>"
            f"<td>{s.arrival_time}</td><td class=n>{s.parcels:,}</td><td class=n>"
            f"{s.delivery_parcels:,}</td>"
            + (f"<td>{_e(s.contact)}</td>" if contact else "")
            + '<td class="sig"></td><td class="memo"></td></tr>'
            for i, s in enumerate(run.stops, 1)
        )
        out.append(
            f'<section class="sheet" {_run_key(run)} '
            f'style="contain-intrinsic-size:auto {_SHEET_PX + _ROW_PX * len(run.stops)}px">'
            f"<h3>Run sheet · {_e(run.vehicle)} · run "
            f"{run.run}</h3>"
            f'<div class="meta">{_e(run.vehicle_type)} · hub {_e(run.hub_id)} · leave '
            f"{run.start_time} · "
            f"back {run.end_time} · {len(run.stops)} stops · {run.distance_km:.1f} km · collect "
            f"{run.parcels:,} parcels ({run.weight_kg:,.0f} kg) · drop {run.delivery_parcels:,} "
            f"parcels{_handover(run)}</div>"
            "<table><thead><tr><th class=n>#</th><th>village</th><th>expected</th>"
            "<th class=n>collect</th><th class=n>drop</th>"
            + ("<th>contact</th>" if contact else "")
            + "<th>signature</th><th>note</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            '<div class="foot"><div>Driver<span></span></div><div>Checked at hub<span></span><'
            "/div></div>"
            "</section>"
        )
    return "\n".join(out)
