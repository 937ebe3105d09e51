"""Audit records, chained entries and the verification of a chain.

The hash of an entry is the SHA-256 of a canonical JSON text (sorted keys, no spaces, UTC
timestamps in ISO 8601) of its sequence, record and previous hash. Every adapter chains entries
with :func:`link`, so no store can hash differently from another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.time import ensure_utc

GENESIS_HASH = "0" * 64
"""The previous hash of the first entry."""

AuditValue = str | int | bool | None


def _details(value: Mapping[str, AuditValue]) -> Mapping[str, AuditValue]:
    for item in value.values():
        if not isinstance(item, str | int | bool | None):
            raise ValidationError("audit details are flat strings, ints and bools", field="details")
    return dict(value)


@immutable
@attrs.frozen(kw_only=True)
class AuditRecord:
    """What happened: who (``actor_id``; ``None`` for the system) did ``action`` to a subject."""

    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str
    at: datetime = attrs.field(converter=ensure_utc)
    details: Mapping[str, AuditValue] = attrs.field(factory=dict, converter=_details)


@immutable
@attrs.frozen(kw_only=True)
class AuditEntry:
    """A record at its place in the chain (``sequence`` counts from 1)."""

    sequence: int
    record: AuditRecord
    previous_hash: str
    hash: str


def entry_hash(sequence: int, record: AuditRecord, previous_hash: str) -> str:
    """The hash an entry with these contents must carry."""
    canonical = json.dumps(
        {
            "sequence": sequence,
            "actor_id": record.actor_id,
            "action": record.action,
            "subject_type": record.subject_type,
            "subject_id": record.subject_id,
            "at": record.at.isoformat(),
            "details": dict(record.details),
            "previous_hash": previous_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def link(previous: AuditEntry | None, record: AuditRecord) -> AuditEntry:
    """The entry that follows ``previous`` (``None``: the first entry) for ``record``."""
    sequence = 1 if previous is None else previous.sequence + 1
    previous_hash = GENESIS_HASH if previous is None else previous.hash
    return AuditEntry(
        sequence=sequence,
        record=record,
        previous_hash=previous_hash,
        hash=entry_hash(sequence, record, previous_hash),
    )


@attrs.frozen(kw_only=True)
class ChainCheck:
    """The outcome of :func:`verify`: ``first_broken`` is the first sequence that fails."""

    ok: bool
    checked: int
    first_broken: int | None = None


def verify(entries: Iterable[AuditEntry]) -> ChainCheck:
    """Check that ``entries`` (oldest first) form an unbroken chain from the genesis hash."""
    expected_previous, expected_sequence, checked = GENESIS_HASH, 1, 0
    for entry in entries:
        intact = (
            entry.sequence == expected_sequence
            and entry.previous_hash == expected_previous
            and entry.hash == entry_hash(entry.sequence, entry.record, entry.previous_hash)
        )
        if not intact:
            return ChainCheck(ok=False, checked=checked, first_broken=expected_sequence)
        checked += 1
        expected_previous, expected_sequence = entry.hash, expected_sequence + 1
    return ChainCheck(ok=True, checked=checked)
