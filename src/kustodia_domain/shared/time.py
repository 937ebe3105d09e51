"""Time helpers: every timestamp in the domain is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from kustodia_domain.shared.errors import ValidationError


def ensure_utc(moment: datetime, *, field: str = "at") -> datetime:
    """Return ``moment`` in UTC; naive datetimes are rejected.

    Raises:
        ValidationError: ``moment`` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError("timestamps must be timezone-aware", field=field)
    return moment.astimezone(UTC)
