"""structlog: JSON lines in production, readable console lines otherwise; PII masked everywhere.

Standard-library loggers (uvicorn, Litestar, SQLAlchemy) are rendered by the same processors, so
every line carries the request id bound by the HTTP middleware and goes through the masking.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from kustodia_entrypoints.http.config import Mode

MASK = "***"
_SECRET_KEYS = frozenset(
    {"password", "token", "access_token", "refresh_token", "authorization", "secret", "api_key"}
)
_PERSONAL_KEYS = frozenset(
    {"email", "full_name", "name", "holder_name", "sender_name", "clabe", "source_clabe",
     "sender_clabe", "deposit_clabe", "destination"}
)  # fmt: skip
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CLABE = re.compile(r"(?<!\d)(\d{14})(\d{4})(?!\d)")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def mask_text(text: str) -> str:
    """E-mails, 18-digit CLABEs and bearer tokens inside free text, masked."""
    text = _EMAIL.sub(lambda m: m.group(0)[0] + MASK + "@" + m.group(0).split("@")[1], text)
    text = _CLABE.sub(lambda m: "*" * 14 + m.group(2), text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


def _mask_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in _SECRET_KEYS or lowered.endswith(("_password", "_token", "_secret")):
        return MASK
    if lowered in _PERSONAL_KEYS:
        # E-mails and CLABEs keep a hint (first letter, last four digits); names keep nothing.
        masked = mask_text(value) if isinstance(value, str) else MASK
        return masked if masked != value else MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    return value


def mask_pii(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Structlog processor: mask secrets and personal data in every field of every line."""
    return {key: _mask_value(key, value) for key, value in event_dict.items()}


def configure_logging(mode: Mode, level: str = "INFO") -> None:
    """Configure structlog and route the standard library's logging through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_pii,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if mode is Mode.PRODUCTION
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if mode is Mode.PRODUCTION else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's own access lines would duplicate the structured request line without its id.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def _identity(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
    return event_dict
