"""``kyc_sessions`` rows <-> :class:`~kustodia_domain.ports.kyc.KycSessionRecord`."""

from __future__ import annotations

from typing import Any

from kustodia_adapters.sql.mappers import Row
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.kyc import KycSessionRecord, KycStatus


def session_values(record: KycSessionRecord) -> dict[str, Any]:
    """The ``kyc_sessions`` row of ``record``; its reasons, in order, are a JSON array."""
    verified = record.verified_level
    return {
        "session_id": record.session_id,
        "user_id": record.user_id,
        "target_level": record.target_level.value,
        "started_at": record.started_at,
        "status": record.status.value,
        "verified_level": None if verified is None else verified.value,
        "reasons": list(record.reasons),
        "settled_at": record.settled_at,
    }


def pending_values() -> dict[str, Any]:
    """The verdict columns of a session no verdict settled: pending, nothing verified."""
    return {
        "status": KycStatus.PENDING.value,
        "verified_level": None,
        "reasons": [],
        "settled_at": None,
    }


def session_from_row(row: Row) -> KycSessionRecord:
    """The session stored in ``row``."""
    verified = row["verified_level"]
    return KycSessionRecord(
        session_id=row["session_id"],
        user_id=row["user_id"],
        target_level=KycLevel(row["target_level"]),
        started_at=row["started_at"],
        status=KycStatus(row["status"]),
        verified_level=None if verified is None else KycLevel(verified),
        reasons=tuple(row["reasons"]),
        settled_at=row["settled_at"],
    )
