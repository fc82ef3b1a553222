"""``hubroute vroom REQUEST.json``: VROOM's answer on stdout; bad input exits 2 naming the key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from routing.vroom.check import check_answer

REQUEST = {
    "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [2]}],
    "jobs": [{"id": i, "location_index": i, "delivery": [1]} for i in (1, 2, 3)],
    "matrices": {"car": {"durations": [[0, 9, 8, 7], [9, 0, 3, 4], [8, 3, 0, 5], [7, 4, 5, 0]]}},
}


def hubroute(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a subprocess."""
    cmd = [sys.executable, "-m", "routing", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_prints_a_clean_vroom_answer(tmp_path: Path) -> None:
    """Capacity 2 for three deliveries: two served, one unassigned, referee clean."""
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    done = hubroute("vroom", str(path), "--time-limit", "0.2")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["code"] == 0
    assert answer["summary"]["unassigned"] == 1
    assert check_answer(REQUEST, answer).violations == []


def test_bad_request_exits_2_naming_the_key(tmp_path: Path) -> None:
    """An unknown key and a bad window: exit 2, one line each, no traceback."""
    bad = json.loads(json.dumps(REQUEST))
    bad["jobs"][0]["time_windows"] = [[9, 1]]
    bad["vehicles"][0]["colour"] = "red"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    done = hubroute("vroom", str(path))
    assert done.returncode == 2
    assert "jobs[0].time_windows[0]" in done.stderr
    assert "vehicles[0].colour" in done.stderr
    assert "Traceback" not in done.stderr
    path.write_text("{not json")
    done = hubroute("vroom", str(path))
    assert done.returncode == 2
    assert "not JSON" in done.stderr
