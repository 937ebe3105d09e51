"""The ASGI entry point: ``uvicorn --factory kustodia_entrypoints.bootstrap.asgi:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from kustodia_entrypoints.bootstrap.containers import (
    Application,
    application_for,
    close_adapters,
)
from kustodia_entrypoints.bootstrap.logging import configure_logging
from kustodia_entrypoints.bootstrap.settings import Settings, load_settings
from kustodia_entrypoints.bootstrap.worker import embedded_worker
from kustodia_entrypoints.http.app import build_app

__all__ = ["app_for", "application_for", "create_app"]


def adapters_lifespan(
    container: Application,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Closes the adapters' resources (the engine's pool, the rail's client) on shutdown."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await close_adapters(container)

    return lifespan


def app_for(container: Application, *, worker: bool = False) -> Litestar:
    """The Litestar app of ``container``; ``worker`` runs the scheduler inside it (sandbox)."""
    settings: Settings = container.settings()
    lifespan = [adapters_lifespan(container)]
    if worker:
        lifespan.append(embedded_worker(container, settings.worker_interval_seconds))
    return build_app(container.http_services(), container.http_config(), lifespan=lifespan)


def create_app() -> Litestar:
    """Build the app from the environment (``KUSTODIA_ENV`` defaults to production).

    The database's schema must be at head (``kustodia db upgrade``); ``/ready`` says 503 until
    it is.
    """
    settings = load_settings()
    configure_logging(settings.env, settings.log_level)
    container = application_for(settings)
    return app_for(container, worker=settings.sandbox)
