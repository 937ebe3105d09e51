"""Column types shared by the tables: UTC timestamps, surrogate keys and JSON documents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


def in_utc(value: datetime) -> datetime:
    """``value`` in UTC, as every stored instant is.

    Raises:
        ValueError: ``value`` is naive (its offset would be a guess).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"refusing to store the naive datetime {value.isoformat()}")
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, always written and read in UTC.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no time zones: the UTC wall time is
    stored and UTC is attached again on the way out, so both return aware UTC datetimes.

    Raises:
        ValueError: on writing a naive datetime (its offset would be a guess).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else in_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


SURROGATE_KEY: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
"""BIGINT on PostgreSQL; INTEGER on SQLite, where only an INTEGER PRIMARY KEY autoincrements."""

DOCUMENT: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document: JSONB on PostgreSQL (indexable), JSON text on SQLite."""
