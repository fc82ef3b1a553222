"""Service time-limit benchmark: ``POST /v1/plans`` with ``time_limit_s`` on the scaled days.

Usage (from the repository root)::

    .venv/bin/python benchmarks/service_time_bench.py
    .venv/bin/python benchmarks/service_time_bench.py --pickups 100 500
    .venv/bin/python benchmarks/service_time_bench.py --pickups 1000 --time-limit 30

For each size N the Xinping day scaled to N pickups (``fixtures/make_xinping.py
--pickups N``, generated once under ``--work-dir`` and reused, as
``benchmarks/domain_bench.py`` does) is served by a real ``python -m service`` process
on a free loopback port, with its own temporary data directory and a hubs file whose
one hub is the day's hub: its location, roads and fleet from the day's
``scenario.toml`` and the hub cost model ``hubroute demo`` prices with. The server
accepts up to the size asked (``HUBROUTE_MAX_PICKUPS``; the default is lower).

The day's pickups are POSTed with ``options.time_limit_s`` = the scenario's
``[solve] time_limit_s`` (or ``--time-limit``) and the service's other defaults: a
small request waits for its plan, a larger one answers 202 with the plan id and the
plan is polled every ``--poll-s`` until it is done. The wall time runs from sending the
request to holding the complete plan. The plan is then checked by the independent
plan checker (``routing.plan_check``) against the problem, the travel matrices and the
hub cost model, outside the timed part.

Reported per size: pickups, limit, wall, wall over limit, whether it is within
``limit + max(5 %, 1 s)``, ``summary.feasible``, the violations the plan reports and
the checker finds, total cost, ``objective_rmb``, unassigned pickups, the solver's
budget and time as the plan reports them, and the load average before the run (2 cores
shared with other work: wall times stretch under load).

Output: a markdown table on stdout and in ``--out`` (default
``benchmarks/runs/service-time-DATE.md``), with a CSV beside it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.domain_bench import _default_limit, check, make_day  # noqa: E402
from benchmarks.domain_bench import table as markdown_table  # noqa: E402
from routing.cli import DEFAULT_COST_MODEL  # noqa: E402
from service.config import hash_api_key  # noqa: E402
from tests.service.live_server import Server, free_port  # noqa: E402

SIZES = (100, 500, 1000, 2000, 5000)
KEY = "service-time-bench"
HEADERS = {"X-API-Key": KEY}
FIELDS = (
    "pickups",
    "limit_s",
    "wall_s",
    "over_s",
    "within",
    "answer",
    "feasible",
    "violations",
    "checker_violations",
    "total_cost_rmb",
    "objective_rmb",
    "unassigned",
    "solver_budget_s",
    "solve_s",
    "load_before",
)


def hub_id(day: Path) -> str:
    """The day's hub id, from its scenario."""
    import tomllib

    data = tomllib.loads((day / "scenario.toml").read_text(encoding="utf-8"))
    return str(data["hub"]["id"])


def request_pickups(day: Path) -> list[dict[str, Any]]:
    """The day's pickups as API pickups (clock fields as ``ready``, ``close``)."""
    from routing.io import read_pickups, to_file_names

    return [
        {to_file_names(k): v for k, v in p.model_dump(mode="json", exclude_none=True).items()}
        for p in read_pickups(day / "pickups.csv")
    ]


def serve(day: Path, data_dir: Path, max_pickups: int, limit_s: float) -> Server:
    """A started server whose one hub is the day's hub with the hub cost model."""
    hub = hub_id(day)
    hubs = data_dir / "hubs.toml"
    hubs.write_text(
        f'[[hubs]]\nid = "{hub}"\nscenario = "{day.resolve() / "scenario.toml"}"\n'
        f'cost_model = "{DEFAULT_COST_MODEL}"\n',
        encoding="utf-8",
    )
    server = Server(
        data_dir,
        free_port(),
        HUBROUTE_HUBS_FILE=str(hubs),
        HUBROUTE_API_KEYS=json.dumps({hash_api_key(KEY): hub}),
        HUBROUTE_MAX_TIME_LIMIT_S=f"{max(limit_s, 60.0):g}",
        HUBROUTE_MAX_PICKUPS=str(max_pickups),
        HUBROUTE_MAX_BODY_BYTES=str(max(2_000_000, 2_000 * max_pickups)),
        HUBROUTE_LOG_LEVEL="WARNING",
    )
    server.start()
    return server


def timed_plan(
    url: str, day: Path, pickups: list[dict[str, Any]], limit_s: float, poll_s: float
) -> tuple[float, str, dict[str, Any]]:
    """POST the day and wait for its plan: wall time, how it answered, the plan."""
    body = {"name": day.name, "pickups": pickups, "options": {"time_limit_s": limit_s}}
    give_up = limit_s * 3 + 120
    with httpx.Client(base_url=url, headers=HEADERS, timeout=give_up) as client:
        t0 = time.monotonic()
        r = client.post("/v1/plans", json=body)
        if r.status_code == 200:
            wall = time.monotonic() - t0
            plan = r.json()
            plan.pop("id", None)
            return wall, "200", plan
        if r.status_code != 202:
            raise RuntimeError(f"{day.name}: POST answered {r.status_code}: {r.text[-2000:]}")
        href = r.headers["Location"]
        while time.monotonic() - t0 < give_up:
            got = client.get(href)
            got.raise_for_status()
            status = got.json()
            if status["status"] == "done":
                return time.monotonic() - t0, "202+poll", dict(status["plan"])
            if status["status"] == "failed":
                raise RuntimeError(f"{day.name}: plan failed: {status.get('error')}")
            time.sleep(poll_s)
    raise RuntimeError(f"{day.name}: no plan after {give_up:.0f} s")


def run_size(n: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Serve the day of ``n`` pickups, plan it once against the clock, check the plan."""
    day = make_day(n, work)
    limit = float(args.time_limit or _default_limit(day))
    pickups = request_pickups(day)
    with tempfile.TemporaryDirectory(prefix="hubroute-service-time-") as tmp:
        server = serve(day, Path(tmp), max(n, 1), limit)
        try:
            load = os.getloadavg()[0]
            print(f"{n} pickups, limit {limit:g} s (load {load:.1f}) ...", flush=True)
            wall, answer, plan = timed_plan(server.url, day, pickups, limit, args.poll_s)
        finally:
            server.stop()
        (Path(tmp) / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        found = check(day, Path(tmp))
    s = plan["summary"]
    timings = s.get("timings_s") or {}
    return {
        "pickups": n,
        "limit_s": limit,
        "wall_s": round(wall, 2),
        "over_s": round(wall - limit, 2),
        "within": wall <= limit + max(0.05 * limit, 1.0),
        "answer": answer,
        "feasible": s.get("feasible"),
        "violations": len(s.get("violations") or ()),
        "checker_violations": found,
        "total_cost_rmb": s.get("total_cost_rmb"),
        "objective_rmb": s.get("objective_rmb"),
        "unassigned": len(plan.get("unassigned") or ()),
        "solver_budget_s": timings.get("solver_budget"),
        "solve_s": timings.get("solve"),
        "load_before": round(load, 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pickups", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--time-limit", type=float, default=None, help="Default: the scenario's.")
    ap.add_argument("--poll-s", type=float, default=0.1, help="Seconds between polls.")
    ap.add_argument("--work-dir", default="/tmp/hubroute-domain-bench")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    ap.add_argument("--out", default=str(REPO / f"benchmarks/runs/service-time-{stamp}.md"))
    args = ap.parse_args(argv)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    rows = []
    for n in args.pickups:
        rows.append(run_size(n, args, work))
        print(f"    {rows[-1]}", flush=True)
    text = "\n".join(
        [
            f"# Service time-limit benchmark {stamp} UTC",
            "",
            f"Machine: {os.cpu_count()} cores shared with other work; load average at "
            "the start of each run in `load_before`. One `python -m service` per size "
            "(2 solver processes, loopback); timed from sending `POST /v1/plans` to "
            "holding the complete plan (`answer`: 200 with the plan, or 202 and polling "
            f"every {args.poll_s:g} s). Within: wall <= limit + max(5 %, 1 s).",
            f"Benchmark wall time: {time.monotonic() - started:.0f} s.",
            "",
            markdown_table(rows, FIELDS),
            "",
        ]
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    with Path(args.out).with_suffix(".csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(FIELDS))
        writer.writeheader()
        writer.writerows(rows)
    print(text)


if __name__ == "__main__":
    main()
