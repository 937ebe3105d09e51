"""``kustodia db``: Alembic against ``KUSTODIA_DATABASE_URL``.

Every command runs on the database of the URL and, on SQLite, on the fraud engine's file beside
it (:func:`kustodia_adapters.sql.engine.risk_database_url`): both carry the same revisions.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url

from kustodia_adapters.sql.engine import risk_database_url

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
    for database in databases(url):
        command.upgrade(alembic_config(database), revision)


def downgrade(url: str, revision: str) -> None:
    for database in reversed(databases(url)):
        command.downgrade(alembic_config(database), revision)


def current(url: str) -> None:
    both = databases(url)
    for database in both:
        if len(both) > 1:
            print(f"{make_url(database).database}:")
        command.current(alembic_config(database), verbose=False)
