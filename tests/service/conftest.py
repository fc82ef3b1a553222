"""Fixtures for the service tests: two hubs, two keys, apps with fake or slow solvers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
# Job functions must be importable by name in the worker processes.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import svc_jobs  # noqa: E402
from asgi_client import AppClient  # noqa: E402

from service.config import Settings, hash_api_key  # noqa: E402
from service.main import create_app  # noqa: E402
from tests.pg.cluster import PgCluster  # noqa: E402

DATA = HERE / "data"
ALPHA_KEY = "alpha-secret-key"
BETA_KEY = "beta-secret-key"
ALPHA = {"X-API-Key": ALPHA_KEY}
BETA = {"X-API-Key": BETA_KEY}


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test app: its own SQLite file, the two test hubs and keys."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "hubs_file": DATA / "hubs.toml",
        "api_keys": {hash_api_key(ALPHA_KEY): "alpha", hash_api_key(BETA_KEY): "beta"},
        "workers": 1,
        "queue_size": 4,
        "default_time_limit_s": 1.0,
        "max_time_limit_s": 5.0,
        "wait_grace_s": 20.0,
        "log_json": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def hubs_file_with_roads(tmp_path: Path) -> Path:
    """A hubs file whose hub ``alpha`` plans on the committed Xinping road network."""
    roads = HERE.parents[1] / "fixtures" / "xinping" / "roads.geojson"
    assert roads.exists(), "fixtures/xinping/roads.geojson is committed"
    hubs = tmp_path / "hubs.toml"
    hubs.write_text(
        f'[[hubs]]\nid = "alpha"\nlon = 101.9887\nlat = 24.0729\nroads = "{roads}"\n'
        f'fleets = {{ vans = "{DATA / "fleet.toml"}" }}\n'
        'default_fleet = "vans"\n'
    )
    return hubs


def pickups(n: int = 3) -> list[dict[str, Any]]:
    """``n`` pickups near the alpha hub, by coordinates."""
    return [
        {
            "id": f"P{i}",
            "village": f"V{i}",
            "lon": 101.95 + 0.01 * i,
            "lat": 24.05 + 0.005 * i,
            "parcels": 5 + i,
            "weight_kg": 40.0 + i,
        }
        for i in range(n)
    ]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default test settings."""
    return make_settings(tmp_path)


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[Callable[..., AppClient]]:
    """Make started apps (with their lifespan); closed at the end of the test."""
    clients: list[AppClient] = []

    def make(*, plan_job: Any = svc_jobs.fake_plan_job, **overrides: Any) -> AppClient:
        app = create_app(make_settings(tmp_path, **overrides), plan_job=plan_job)
        client = AppClient(app).open()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.close()


@pytest.fixture
def client(app_factory: Callable[..., AppClient]) -> AppClient:
    """An app with the instant fake solver."""
    return app_factory()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throw-away PostgreSQL cluster on a loopback port (one per test process)."""
    cluster = PgCluster().start()
    yield cluster
    cluster.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()
