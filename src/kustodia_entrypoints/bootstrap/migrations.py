"""``kustodia db``: Alembic against ``KUSTODIA_DATABASE_URL``.

Every command runs on the database of the URL and, on SQLite, on the fraud engine's file beside
it (:func:`kustodia_adapters.sql.engine.risk_database_url`): both carry the same revisions.
``upgrade`` and ``downgrade`` move the main database as asked, then bring the risk file to the
revision the main one reached, whatever revision it was at (missing, or left behind by a plain
``alembic`` command, which knows only one URL).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url

from kustodia_adapters.sql.engine import create_engine, risk_database_url

ROOT = Path(__file__).resolve().parents[3]
"""The project directory (``src/kustodia_entrypoints/bootstrap`` is three levels down)."""


class MigrationsMissingError(Exception):
    """The Alembic scripts are not where the project keeps them."""


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the project's ``migrations/``, pointed at ``url``."""
    scripts = ROOT / "migrations"
    if not (scripts / "env.py").exists():
        raise MigrationsMissingError(f"no Alembic migrations at {scripts}")
    ini = ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["url"] = url
    return config


def databases(url: str) -> list[str]:
    """``url`` and, on SQLite, the fraud engine's database beside it: what a command migrates."""
    risk_url = risk_database_url(url)
    if risk_url is None:
        return [url]
    return [url, risk_url.render_as_string(hide_password=False)]


def upgrade(url: str, revision: str = "head") -> None:
    main, *beside = databases(url)
    command.upgrade(alembic_config(main), revision)
    _follow(main, beside)


def downgrade(url: str, revision: str) -> None:
    main, *beside = databases(url)
    command.downgrade(alembic_config(main), revision)
    _follow(main, beside)


def _follow(main: str, beside: list[str]) -> None:
    """Bring each database of ``beside`` to ``main``'s revision, up or down."""
    if not beside:
        return
    order = _revisions_oldest_first(main)
    target = current_revision(main)
    for database in beside:
        config = alembic_config(database)
        here = order.index(current_revision(database))
        if here < order.index(target):
            command.upgrade(config, target or "base")
        elif here > order.index(target):
            command.downgrade(config, target or "base")


def _revisions_oldest_first(url: str) -> list[str | None]:
    """``None`` (an empty database), then every revision in the order they apply."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [None, *(r.revision for r in reversed(list(script.walk_revisions())))]


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (``None``: no migration applied).

    Runs its own event loop: call it from sync code, as the commands above.
    """

    async def read() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def current(url: str) -> None:
    both = databases(url)
    for database in both:
        if len(both) > 1:
            print(f"{make_url(database).database}:")
        command.current(alembic_config(database), verbose=False)
