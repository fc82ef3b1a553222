"""Service settings, read from ``HUBROUTE_*`` environment variables and ``.env``.

Nothing here is created at import time: :func:`service.main.create_app` takes a
:class:`Settings` instance, and tests build their own.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def hash_api_key(key: str) -> str:
    """Return the hex SHA-256 of an API key, the only form in which keys are stored.

    Parameters
    ----------
    key
        The key as the caller sends it in ``X-API-Key``.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Environment variables carry the ``HUBROUTE_`` prefix (``HUBROUTE_DATA_DIR``...);
    ``DATABASE_URL`` is also read without the prefix, as hosting platforms set it.
    Mappings and lists are given as JSON, e.g.
    ``HUBROUTE_API_KEYS='{"<sha256 of key>": "xinping"}'``.
    """

    model_config = SettingsConfigDict(
        env_prefix="HUBROUTE_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(Path("data"), description="Where the SQLite file lives.")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("HUBROUTE_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL, e.g. postgresql+psycopg://u:p@host/db; "
        "default: SQLite file hubroute.sqlite3 under data_dir.",
    )
    hubs_file: Path | None = Field(
        None, description="TOML file listing the hubs (see service/hubs.example.toml)."
    )
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 hex of each API key -> the hub id it may use.",
    )
    workers: int = Field(
        default_factory=_default_workers, ge=1, le=256, description="Solver processes."
    )
    queue_size: int = Field(
        32, ge=0, description="Jobs that may wait for a free worker before answering 429."
    )
    retry_after_s: int = Field(10, ge=1, description="Retry-After sent with 429.")
    mp_start_method: Literal["fork", "spawn", "forkserver"] = "forkserver"
    # --- Dask executor (service/executor/dask.py) ---
    executor: Literal["local", "dask"] = Field(
        "local", description="Where solves run: local processes, or a Dask cluster."
    )
    dask_scheduler: str | None = Field(
        None,
        description="tcp://HOST:PORT of a running dask scheduler (executor=dask); "
        "unset: an in-process LocalCluster of `workers` processes.",
    )
    default_time_limit_s: float = Field(10.0, gt=0)
    max_time_limit_s: float = Field(
        60.0, gt=0, description="Most solver seconds a request may ask for (more is a 422)."
    )
    wait_max_pickups: int = Field(
        80, ge=0, description="Requests with at most this many pickups wait by default."
    )
    wait_grace_s: float = Field(
        15.0, ge=0, description="Extra seconds a waiting request allows over its time limit."
    )
    max_pickups: int = Field(5000, ge=1, description="Largest request accepted.")
    max_body_bytes: int = Field(2_000_000, ge=1024, description="Larger bodies get 413.")
    max_attempts: int = Field(
        2, ge=1, description="A plan interrupted by a restart is re-run up to this many times."
    )
    max_snap_m: float = Field(2000.0, gt=0, description="Pickups farther from a road: 422.")
    max_hub_snap_m: float = Field(
        2000.0, gt=0, description="A hub farther than this from its roads fails start-up."
    )
    # --- replicas sharing one database (service/leases.py) ---
    replica_id: str | None = Field(
        None,
        max_length=100,
        description="This server's name in plan leases; default: "
        "host, process id and a random suffix.",
    )
    lease_s: float = Field(
        20.0,
        gt=0,
        description="A plan whose solver stops renewing its lease for this "
        "long is taken over by another replica (or this one after a restart).",
    )
    heartbeat_s: float = Field(
        2.0, gt=0, description="How often leases are renewed and free plans claimed."
    )
    db_retry_after_s: int = Field(
        5, ge=1, description="Retry-After sent with 503 while the database is unreachable."
    )
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("api_keys")
    @classmethod
    def _hashes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if len(k) != 64 or any(c not in "0123456789abcdef" for c in k)]
        if bad:
            raise ValueError(
                "api_keys must map the SHA-256 hex of each key (64 lowercase hex digits) "
                "to a hub id; hash a key with service.config.hash_api_key"
            )
        return value

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL actually used (SQLite under ``data_dir`` by default)."""
        if self.database_url:
            url = self.database_url
            # Hosting platforms hand out postgres://; SQLAlchemy wants a driver name.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'hubroute.sqlite3').resolve()}"
