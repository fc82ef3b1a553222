"""Engine creation and programmatic Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

_SERVICE_DIR = Path(__file__).resolve().parent.parent


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and cross-thread use.

    Parameters
    ----------
    url
        SQLAlchemy URL. For a SQLite file the parent directory is created.

    Returns
    -------
    Engine
        With ``pool_pre_ping`` so that a restarted PostgreSQL is reconnected to.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # No pooled connections: each session opens the file afresh (cheap for SQLite),
        # so a disk that was full or read-only is usable again as soon as it is fixed,
        # and no file stays open between requests.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    # A stopped or unreachable server must fail fast (a 503), not hang the request.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def alembic_config() -> Config:
    """The Alembic configuration shipped in the package (``service/alembic.ini``)."""
    cfg = Config(str(_SERVICE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(_SERVICE_DIR / "migrations"))
    return cfg


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; run at start-up)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
