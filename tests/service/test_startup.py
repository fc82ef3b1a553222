"""A hub off its roads stops ``hubroute serve`` at start-up, naming the hub and the distance.

Without the check the server would start "ready" and refuse every plan for that hub
with a 422 the caller cannot fix. These tests start the real command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import ROOT, Server, free_port

from service.config import hash_api_key

pytestmark = pytest.mark.e2e

HUBROUTE = Path(sys.executable).parent / "hubroute"
ROADS = ROOT / "fixtures" / "xinping" / "roads.geojson"
FLEET = ROOT / "tests" / "service" / "data" / "fleet.toml"
# 2.8 km from the nearest road of the Xinping network (north-east of its centre).
OFF_ROAD = (102.0387, 24.1229)


def _hubs_file(tmp_path: Path, lon: float, lat: float) -> Path:
    path = tmp_path / "hubs.toml"
    path.write_text(
        f'[[hubs]]\nid = "ridge"\nlon = {lon}\nlat = {lat}\nroads = "{ROADS}"\n'
        f'fleets = {{ vans = "{FLEET}" }}\ndefault_fleet = "vans"\n'
    )
    return path


def _env(tmp_path: Path, hubs: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUBROUTE_DATA_DIR": str(tmp_path),
        "HUBROUTE_HUBS_FILE": str(hubs),
        "HUBROUTE_API_KEYS": json.dumps({hash_api_key("k"): "ridge"}),
        "HUBROUTE_WORKERS": "1",
        **extra,
    }


def test_hub_off_its_roads_fails_start_up_with_the_distance(tmp_path: Path) -> None:
    """``hubroute serve`` exits non-zero before listening, with one clear line."""
    hubs = _hubs_file(tmp_path, *OFF_ROAD)
    done = subprocess.run(
        [str(HUBROUTE), "serve", "--port", str(free_port())],
        env=_env(tmp_path, hubs),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    err = done.stderr
    assert "Traceback" not in err + done.stdout, err
    assert "hubroute serve: cannot start:" in err
    assert "hub 'ridge': lon/lat: 2.8 km from the nearest road (limit 2.0 km)" in err
    assert str(ROADS) in err
    assert "HUBROUTE_MAX_HUB_SNAP_M" in err
    assert not (tmp_path / "hubroute.sqlite3").exists()  # stopped before the database


def test_the_same_hub_starts_within_a_wider_limit(tmp_path: Path) -> None:
    """With ``max_hub_snap_m`` above its distance the same hub serves plans."""
    hubs = _hubs_file(tmp_path, *OFF_ROAD)
    server = Server(
        tmp_path,
        free_port(),
        HUBROUTE_HUBS_FILE=str(hubs),
        HUBROUTE_API_KEYS=json.dumps({hash_api_key("k"): "ridge"}),
        HUBROUTE_MAX_HUB_SNAP_M="5000",
    )
    server.start()
    try:
        import httpx

        hub = httpx.get(server.url + "/v1/hub", headers={"X-API-Key": "k"}, timeout=30)
        assert hub.status_code == 200, hub.text
        assert hub.json()["id"] == "ridge"
    finally:
        server.stop()
