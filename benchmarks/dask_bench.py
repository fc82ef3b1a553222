"""Dask benchmarks: batch scaling over worker processes, and decomposition vs one solve.

Usage (from the repository root)::

    .venv/bin/python benchmarks/dask_bench.py batch --hubs 20 --iterations 40
    .venv/bin/python benchmarks/dask_bench.py decompose --pickups 2000 5000 --time-limit 30

``batch``: generates K hub problems (``fixtures/make_xinping.py --hubs K``), plans
them in this process one after another (the baseline), then on a LocalCluster of 1, 2
and 4 worker processes, and prints wall time, speed-up and scaling efficiency
(speed-up / workers). The plans are checked to be the same as the baseline's.

``decompose``: generates N-pickup scenarios (``--pickups N``), builds the instance
once, then solves it (a) decomposed on a LocalCluster of W workers for T seconds and
(b) undecomposed in one process for W x T seconds - the same CPU time - and prints
both costs. It is a script, not a test; figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def _generate(args: list[str], out: Path) -> None:
    subprocess.run(
        [PY, str(REPO / "fixtures" / "make_xinping.py"), *args, "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def bench_batch(hubs: int, iterations: int, time_limit_s: float, sizes: list[int]) -> None:
    """Sequential vs LocalCluster(n) wall time for one manifest."""
    from rich.console import Console
    from rich.table import Table

    from routing.batch import dask_client, plan_batch_sequential, run_batch
    from routing.batch_manifest import read_manifest

    work = Path(tempfile.mkdtemp(prefix="dask-bench-"))
    _generate(["--hubs", str(hubs)], work)
    text = (work / "batch.toml").read_text(encoding="utf-8")
    text = text.replace(
        "time_limit_s = 20", f"time_limit_s = {time_limit_s}\niterations = {iterations}"
    )
    (work / "batch.toml").write_text(text, encoding="utf-8")
    manifest = read_manifest(work / "batch.toml")
    seq = plan_batch_sequential(manifest, out_dir=work / "out-seq")
    ref = {k: v.model_dump(exclude={"summary": {"timings_s"}}) for k, v in seq.plans().items()}
    table = Table(title=f"batch of {hubs} hub problems ({iterations} iterations each)")
    for col in ("run", "workers", "wall s", "speed-up", "efficiency", "same plans"):
        table.add_column(col, justify="right")
    table.add_row("sequential", "1", f"{seq.wall_s:.1f}", "1.00", "1.00", "-")
    for n in sizes:
        with dask_client(None, workers=n) as client:
            t0 = time.perf_counter()
            res = run_batch(client, manifest, out_dir=work / f"out-{n}")
            wall = time.perf_counter() - t0
        got = {k: v.model_dump(exclude={"summary": {"timings_s"}}) for k, v in res.plans().items()}
        speed = seq.wall_s / wall
        table.add_row(
            "dask", str(n), f"{wall:.1f}", f"{speed:.2f}", f"{speed / n:.2f}", str(got == ref)
        )
    Console().print(table)


def bench_decompose(pickups: list[int], time_limit_s: float, workers: int) -> None:
    """Decomposed (W workers x T s) vs undecomposed (1 process x W*T s) on N pickups."""
    from distributed import Client, LocalCluster
    from rich.console import Console
    from rich.table import Table

    from routing.build import build_instance
    from routing.distributed import engine_for, solve_decomposed
    from routing.io import read_scenario
    from routing.matrix import RoadMatrixProvider
    from routing.pipeline import matrices_for
    from routing.road_file import network_from_file
    from routing.solve.portfolio import judge

    table = Table(title=f"decomposition: {workers} workers x {time_limit_s:g} s vs one solve")
    for col in (
        "pickups",
        "engine",
        "build s",
        "parts",
        "decomposed RMB",
        "unserved",
        "one-process RMB",
        "unserved ",
        "one-process s",
    ):
        table.add_column(col, justify="right")
    for n in pickups:
        work = Path(tempfile.mkdtemp(prefix=f"dask-decomp-{n}-"))
        _generate(["--pickups", str(n)], work)
        sc = read_scenario(work / "scenario.toml")
        assert sc.network_path is not None
        network = network_from_file(sc.network_path)
        t0 = time.perf_counter()
        matrices = matrices_for(sc.problem, RoadMatrixProvider(network, max_snap_m=5000))
        instance = build_instance(sc.problem, matrices).instance
        build_s = time.perf_counter() - t0
        engine = engine_for(instance)
        scale = instance.cost_scale
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            sol, stats = solve_decomposed(client, instance, time_limit_s=time_limit_s)
        from routing.solve.portfolio import run_task, Task  # noqa: I001 - local import

        t1 = time.perf_counter()
        try:
            one = run_task(Task(engine, instance, time.monotonic() + workers * time_limit_s, 0))
            v = judge(instance, one)
            one_cost, one_left = f"{v.cost / scale:,.0f}", str(len(one.unassigned))
        except Exception as exc:  # a failed baseline is a finding, not a crash
            one_cost, one_left = f"failed: {type(exc).__name__}", "-"
        one_s = time.perf_counter() - t1
        table.add_row(
            str(n),
            engine,
            f"{build_s:.1f}",
            str(stats["parts"]),
            f"{sol.cost / scale:,.0f}",
            str(len(sol.unassigned)),
            one_cost,
            one_left,
            f"{one_s:.0f}",
        )
        Console().print(
            f"{n} pickups, phase costs (RMB): "
            + ", ".join(
                f"{k.removeprefix('cost_')} {v / scale:,.0f}"
                for k, v in stats.items()
                if k.startswith("cost")
            )
        )
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("batch")
    b.add_argument("--hubs", type=int, default=20)
    b.add_argument("--iterations", type=int, default=40)
    b.add_argument("--time-limit", type=float, default=30.0)
    b.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    d = sub.add_parser("decompose")
    d.add_argument("--pickups", type=int, nargs="+", default=[2000, 5000])
    d.add_argument("--time-limit", type=float, default=30.0)
    d.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if args.cmd == "batch":
        bench_batch(args.hubs, args.iterations, args.time_limit, args.workers)
    else:
        bench_decompose(args.pickups, args.time_limit, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
