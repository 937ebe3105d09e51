"""The edge's one cattrs/orjson converter, for bodies Litestar does not decode itself.

The SPEI webhook must be verified on its raw bytes before anything reads it, so it is decoded
here; the converter is strict (an amount as a string or a float is refused), forbids nothing
extra (the rail may add fields) and parses RFC 3339 timestamps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.orjson import OrjsonConverter, make_converter

__all__ = ["OrjsonConverter", "build_converter", "first_error_field"]

T = TypeVar("T")


def _strict_int(value: Any, _: type) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _timestamp(value: Any, _: type) -> datetime:
    moment = datetime.fromisoformat(_strict_str(value, str))
    if moment.tzinfo is None:
        raise ValueError("timestamps need a time zone (RFC 3339)")
    return moment


def build_converter() -> OrjsonConverter:
    """The converter (built once per app)."""
    converter = make_converter()
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(datetime, _timestamp)
    return converter


def first_error_field(error: Exception) -> tuple[str, str]:
    """The field a structuring error is about (``$.amount`` -> ``amount``), and a message."""
    messages = (
        cattrs.transform_error(error) if isinstance(error, cattrs.BaseValidationError) else []
    )
    if not messages:
        return "body", str(error) or "invalid body"
    message = messages[0]
    _, _, path = message.rpartition(" @ $")
    return path.lstrip(".") or "body", message
