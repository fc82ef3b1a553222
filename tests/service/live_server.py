"""A real ``python -m service`` process for the end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from service.config import hash_api_key

ROOT = Path(__file__).resolve().parents[2]
KEY = "e2e-key"
HEADERS = {"X-API-Key": KEY}


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m service`` as a child process in its own session."""

    def __init__(
        self, data_dir: Path, port: int, *, log_dir: Path | None = None, **env: str
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "HUBROUTE_DATA_DIR": str(data_dir),
            "HUBROUTE_HUBS_FILE": str(ROOT / "service" / "hubs.example.toml"),
            "HUBROUTE_API_KEYS": json.dumps({hash_api_key(KEY): "xinping"}),
            "HUBROUTE_MAX_TIME_LIMIT_S": "30",
            **env,
        }
        self.log = (log_dir or data_dir) / f"server-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.sessions: list[int] = []

    def start(self) -> None:
        """Start and wait until /readyz answers 200."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service", "--port", str(self.port), "--workers", "2"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.sessions.append(self.proc.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not become ready:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL the server process (a crash: no shutdown code runs)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM the server (a graceful shutdown, as a service manager would)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def descendants(self) -> list[int]:
        """Pids of the server's solver processes (its whole process tree)."""
        import psutil

        assert self.proc is not None
        return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]

    def stop(self) -> None:
        """Clean up whatever of this server's session is left."""
        for pgid in self.sessions:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)


def xinping_day() -> list[dict[str, Any]]:
    """The Xinping fixture's pickups as API pickups (clock fields as ``ready``, ``close``)."""
    from routing.io import read_pickups, to_file_names

    return [
        {to_file_names(k): v for k, v in p.model_dump(mode="json", exclude_none=True).items()}
        for p in read_pickups(ROOT / "fixtures" / "xinping" / "pickups.csv")
    ]


def poll(url: str, plan_id: str, statuses: set[str], timeout_s: float) -> dict[str, Any]:
    """Poll a plan until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = httpx.get(f"{url}/v1/plans/{plan_id}", headers=HEADERS, timeout=10).json()
        if body["status"] in statuses or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.2)
