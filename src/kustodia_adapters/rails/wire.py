"""Reading the provider's JSON into domain values; anything off-shape is a protocol error."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from kustodia_adapters.rails.errors import RailProtocolError
from kustodia_domain.ports.payment_rail import RailPayoutStatus
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import Currency, Money

SPEI_CONCEPT_LENGTH = 40
"""The longest payment concept (concepto de pago) SPEI carries."""

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9 ]+")


def spei_concept(text: str) -> str:
    """``text`` as SPEI accepts it: ASCII letters, digits and single spaces, at most 40 chars.

    Accents are dropped (``Devolución`` becomes ``Devolucion``), anything else separates words,
    and words that do not fit are left out whole.
    The result is a pure function of ``text``, so a retried payout sends the same body.
    """
    ascii_only = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    concept = ""
    for word in _NOT_ALLOWED.sub(" ", ascii_only).split():
        longer = f"{concept} {word}" if concept else word
        if len(longer) > SPEI_CONCEPT_LENGTH:
            # Whole words only, unless the first word alone is too long.
            return concept or longer[:SPEI_CONCEPT_LENGTH]
        concept = longer
    return concept or "Kustodia"


def text(obj: dict[str, Any], field: str, operation: str) -> str:
    """A non-empty string field."""
    value = obj.get(field)
    if not isinstance(value, str) or not value:
        raise RailProtocolError(operation, f"field {field!r} is missing or not a string")
    return value


def money(obj: dict[str, Any], operation: str) -> Money:
    """``amount`` (integer minor units) and ``currency``."""
    amount = obj.get("amount")
    if type(amount) is not int:
        raise RailProtocolError(operation, "field 'amount' is not an integer")
    try:
        return Money(amount, Currency.of(text(obj, "currency", operation)))
    except ValidationError as error:
        raise RailProtocolError(operation, error.message) from None


def timestamp(obj: dict[str, Any], field: str, operation: str) -> datetime:
    """An RFC 3339 timestamp with a time zone, in UTC."""
    raw = text(obj, field, operation)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise RailProtocolError(operation, f"field {field!r} is not a timestamp") from None
    if moment.tzinfo is None:
        raise RailProtocolError(operation, f"field {field!r} has no time zone")
    return moment.astimezone(UTC)


def clabe(obj: dict[str, Any], operation: str) -> Clabe:
    """A valid CLABE in ``clabe``."""
    try:
        return Clabe(text(obj, "clabe", operation))
    except ValidationError as error:
        raise RailProtocolError(operation, f"the rail issued an invalid CLABE: {error}") from None


def payout_status(obj: dict[str, Any], operation: str) -> RailPayoutStatus:
    """``status``; a status this adapter does not know is ``unknown`` (never a guess)."""
    raw = text(obj, "status", operation)
    try:
        status = RailPayoutStatus(raw)
    except ValueError:
        return RailPayoutStatus.UNKNOWN
    return status


def items(obj: dict[str, Any], operation: str) -> list[dict[str, Any]]:
    """The ``data`` array of a list page, each entry an object."""
    data = obj.get("data")
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise RailProtocolError(operation, "field 'data' is not a list of objects")
    return data


def next_cursor(obj: dict[str, Any], operation: str) -> str | None:
    """``next_cursor``: the next page's cursor, ``None`` on the last page."""
    cursor = obj.get("next_cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise RailProtocolError(operation, "field 'next_cursor' is not a string")
    return cursor


def rfc3339(moment: datetime) -> str:
    """``moment`` (aware) as the provider's query parameters expect it: UTC with ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
