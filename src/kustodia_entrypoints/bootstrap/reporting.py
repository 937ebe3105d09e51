"""The log line of each failure a use case absorbed (see :mod:`kustodia_domain.ports.reporting`)."""

from __future__ import annotations

import structlog

log = structlog.get_logger("kustodia.absorbed")


def log_absorbed(what: str, error: BaseException) -> None:
    """A warning: the command it followed succeeded, and a later pass may finish the work."""
    log.warning(what, exc_info=error)
