"""Alembic environment: uses the connection handed over by the service, or the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from service.config import Settings
from service.store.database import make_engine
from service.store.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, or one made from the settings' URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Settings().sqlalchemy_url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
