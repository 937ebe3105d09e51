"""``kustodia db``: Alembic against ``KUSTODIA_DATABASE_URL``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

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


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> None:
    command.current(alembic_config(url), verbose=False)
