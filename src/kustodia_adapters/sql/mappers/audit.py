"""``audit_entries`` rows <-> :class:`~kustodia_domain.audit.chain.AuditEntry`."""

from __future__ import annotations

from typing import Any

from kustodia_adapters.sql.mappers import Row
from kustodia_domain.audit.chain import AuditEntry, AuditRecord


def entry_values(entry: AuditEntry) -> dict[str, Any]:
    """The ``audit_entries`` row of ``entry``; its details (flat scalars) are a JSON object."""
    record = entry.record
    return {
        "sequence": entry.sequence,
        "actor_id": record.actor_id,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "at": record.at,
        "details": dict(record.details),
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
    }


def entry_from_row(row: Row) -> AuditEntry:
    """The entry stored in ``row``, as it was chained (its hash is not recomputed here)."""
    record = AuditRecord(
        actor_id=row["actor_id"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        at=row["at"],
        details=row["details"],
    )
    return AuditEntry(
        sequence=row["sequence"],
        record=record,
        previous_hash=row["previous_hash"],
        hash=row["hash"],
    )
