"""Bodies of the fraud desk: overrides of risk decisions and the internal lists."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.overrides import Override


@attrs.frozen(kw_only=True)
class OverrideIn:
    """Ask to lift the ``hold``/``block`` behind an alert of the review queue."""

    alert_id: str
    justification: str


@attrs.frozen(kw_only=True)
class OverrideRejectionIn:
    reason: str = ""


@attrs.frozen(kw_only=True)
class OverrideOut:
    id: str
    event_id: str
    event_kind: str
    escrow_id: str | None
    original_outcome: str
    rule_ids: list[str]
    requested_by: str
    justification: str
    requested_at: datetime
    state: str
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, o: Override) -> OverrideOut:
        return cls(
            id=o.override_id,
            event_id=o.event_id,
            event_kind=o.event_kind,
            escrow_id=o.escrow_id,
            original_outcome=o.original_outcome.label,
            rule_ids=list(o.rule_ids),
            requested_by=o.requested_by,
            justification=o.justification,
            requested_at=o.requested_at,
            state=o.state.value,
            decided_by=o.decided_by,
            decided_at=o.decided_at,
        )


@attrs.frozen(kw_only=True)
class ListEntryIn:
    """An identifier for the ``blocklist`` or the ``watchlist``, optionally until ``expires_at``."""

    list_name: ListName
    kind: ListKind
    value: str
    reason: str
    expires_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ListEntryOut:
    id: str
    list_name: str
    kind: str
    value: str
    reason: str
    source: str
    added_by: str
    added_at: datetime
    expires_at: datetime | None
    removed_at: datetime | None
    removed_by: str | None

    @classmethod
    def of(cls, e: ListEntry) -> ListEntryOut:
        return cls(
            id=e.entry_id,
            list_name=e.list_name.value,
            kind=e.kind.value,
            value=e.value,
            reason=e.reason,
            source=e.source,
            added_by=e.added_by,
            added_at=e.added_at,
            expires_at=e.expires_at,
            removed_at=e.removed_at,
            removed_by=e.removed_by,
        )


@attrs.frozen(kw_only=True)
class ListEntryList:
    items: list[ListEntryOut]
