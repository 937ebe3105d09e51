"""Alembic environment: async, one MetaData, the URL from the environment.

The URL is, in order: ``config.attributes["url"]`` (set by code that runs Alembic in-process,
such as the migration tests), ``KUSTODIA_DATABASE_URL``, then the embedded SQLite default.
Plain ``alembic`` migrates that one database; on SQLite, ``kustodia db`` also keeps the fraud
engine's file beside it (``<name>.risk.db``) at the same revision.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from kustodia_adapters.sql.engine import DEFAULT_URL, create_engine
from kustodia_adapters.sql.tables import metadata

config = context.config
target_metadata = metadata

if config.config_file_name is not None and config.cmd_opts is not None:
    # Only the command line configures logging; code running Alembic in-process keeps its own.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("url") or os.environ.get("KUSTODIA_DATABASE_URL")
    return str(url or DEFAULT_URL)


def run_migrations_offline() -> None:
    """Emit the SQL of the migrations instead of running them (``alembic upgrade --sql``)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite alters tables by copying them; batch mode does that for ALTERs.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
