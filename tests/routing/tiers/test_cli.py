"""``hubroute demo --tiers`` end to end on a small three-tier scenario (real solve)."""

from __future__ import annotations

import csv
from pathlib import Path

from routing.io import read_plan
from tests.routing.test_cli import hubroute

SCENARIO = """
name = "small-three-tier"
[hub]
id = "hub"
lon = 102.0
lat = 24.0
[files]
pickups = "pickups.csv"
fleet = "fleet.toml"
[solve]
time_limit_s = 20
[driver_hours."*"]
max_drive_day_min = 480
[[station]]
id = "S-far"
name = "far station"
lon = 102.6
lat = 24.0
open = "06:00"
close = "20:00"
"""

FLEET = """
[[vehicle_type]]
name = "van"
count = 4
capacity_parcels = 120
capacity_kg = 1500
fixed_rmb_per_day = 150
rmb_per_km = 1.2
rmb_per_hour = 35
shift_start = "06:00"
shift_end = "20:00"

[[feeder]]
name = "feeder_van"
stations = ["*"]
like = "van"
count = 2
capacity_parcels = 80
capacity_kg = 1000
fixed_rmb_per_day = 100
rmb_per_km = 1.0
rmb_per_hour = 35
shift_start = "06:00"
shift_end = "20:00"
"""


def _write(root: Path) -> Path:
    rows = ["id,village,lon,lat,parcels,weight_kg"]
    for k in range(8):
        rows.append(f"F{k},far {k},{102.55 + 0.04 * (k % 4)},{24.0 + 0.04 * (k // 4 - 0.5)},15,180")
    rows.append("N1,near,102.05,24.03,15,180")
    (root / "pickups.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "fleet.toml").write_text(FLEET, encoding="utf-8")
    path = root / "scenario.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_demo_tiers_plans_checks_and_writes(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    out = tmp_path / "out"
    done = hubroute("demo", "--tiers", "--scenario", scenario, "--iterations", "30", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "independent check: ok" in done.stdout
    plan = read_plan(out / "plan.json")
    assert {"feeder", "trunk"} <= {r.tier for r in plan.runs}
    svg = (out / "report.html").read_text(encoding="utf-8")
    assert svg.count("class=\"station\"") == 1
    assert "tier-trunk" in svg
    assert plan.transfers
    assert plan.transfers[0].station_id == "S-far"
    with (out / "runs.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {row["handover"] for row in rows if row["tier"] == "feeder"} == {"station far station"}
    # The feeder's run sheet tells its driver where to hand the load over.
    assert "feeder run, hand over at station far station" in svg
    with (out / "transfers.csv").open(encoding="utf-8") as f:
        transfers = list(csv.DictReader(f))
    assert [t["station"] for t in transfers] == ["S-far"] * len(plan.transfers)


def test_demo_tiers_names_a_bad_station(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    scenario.write_text(SCENARIO.replace('close = "20:00"', 'close = "05:00"'), encoding="utf-8")
    done = hubroute("demo", "--tiers", "--scenario", scenario, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "station 'S-far'" in done.stderr
    assert "close must be after open" in done.stderr
    assert "Traceback" not in done.stderr
