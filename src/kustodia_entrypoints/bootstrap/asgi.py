"""The ASGI entry point: ``uvicorn --factory kustodia_entrypoints.bootstrap.asgi:create_app``."""

from __future__ import annotations

from litestar import Litestar

from kustodia_entrypoints.bootstrap.containers import Application, in_memory_application
from kustodia_entrypoints.bootstrap.logging import configure_logging
from kustodia_entrypoints.bootstrap.settings import Settings, load_settings
from kustodia_entrypoints.bootstrap.worker import embedded_worker
from kustodia_entrypoints.http.app import build_app
from kustodia_entrypoints.http.config import Mode


def application_for(settings: Settings) -> Application:
    """The container for the configured database.

    Until every port has a SQL adapter the API runs on the in-memory adapters, whatever
    ``KUSTODIA_DATABASE_URL`` says; ``kustodia db`` already migrates that database.
    """
    return in_memory_application(settings)


def app_for(container: Application, *, worker: bool = False) -> Litestar:
    """The Litestar app of ``container``; ``worker`` runs the scheduler inside it (sandbox)."""
    settings: Settings = container.settings()
    lifespan = [embedded_worker(container, settings.worker_interval_seconds)] if worker else []
    return build_app(container.http_services(), container.http_config(), lifespan=lifespan)


def create_app() -> Litestar:
    """Build the app from the environment (``KUSTODIA_ENV`` defaults to production)."""
    settings = load_settings()
    configure_logging(settings.env, settings.log_level)
    container = application_for(settings)
    return app_for(container, worker=settings.env is not Mode.PRODUCTION)
