"""Audit rows <-> :class:`~kustodia_domain.audit.chain.AuditEntry` and ``AuditRecord``.

``audit_entries`` rows are chained entries, ``audit_pending`` rows records waiting for it.
"""

from __future__ import annotations

from typing import Any

from kustodia_adapters.sql.mappers import Row
from kustodia_domain.audit.chain import AuditEntry, AuditRecord


def record_values(record: AuditRecord) -> dict[str, Any]:
    """The columns of ``record``; its details (flat scalars) are a JSON object."""
    return {
        "actor_id": record.actor_id,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "at": record.at,
        "details": dict(record.details),
    }


def record_from_row(row: Row) -> AuditRecord:
    """The record stored in ``row`` (an entry's or a pending record's)."""
    return AuditRecord(
        actor_id=row["actor_id"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        at=row["at"],
        details=row["details"],
    )


def entry_values(entry: AuditEntry) -> dict[str, Any]:
    """The ``audit_entries`` row of ``entry``."""
    return {
        "sequence": entry.sequence,
        **record_values(entry.record),
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
    }


def entry_from_row(row: Row) -> AuditEntry:
    """The entry stored in ``row``, as it was chained (its hash is not recomputed here)."""
    return AuditEntry(
        sequence=row["sequence"],
        record=record_from_row(row),
        previous_hash=row["previous_hash"],
        hash=row["hash"],
    )
