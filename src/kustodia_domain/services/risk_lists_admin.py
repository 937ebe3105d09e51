"""Blocklist and watchlist management by staff: add, read, remove (never delete).

Entries added here have ``source`` ``internal`` and the admin as ``added_by``; removal records
when and by whom, so replays of the past still see the lists as they were. External lists (UIF,
SAT 69-B, PEP) are loaded by their feeds, not by hand, so only the two internal lists change here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName, RiskLists
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import require_admin
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.staff import READERS, require_role
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError, ValidationError

MANAGED_LISTS = frozenset({ListName.BLOCKLIST, ListName.WATCHLIST})
_MANUAL_KINDS = frozenset(ListKind) - {ListKind.NAME}
"""Names are matched fuzzily against the UIF list only; the internal lists hold identifiers."""


@attrs.frozen(kw_only=True)
class AddListEntry:
    """Put an identifier on the blocklist or the watchlist, optionally until ``expires_at``."""

    admin_id: str
    list_name: ListName
    kind: ListKind
    value: str
    reason: str
    expires_at: datetime | None = None


@attrs.frozen
class ListDesk:
    """Staff's view of the lists (admins change them; compliance reads them), audited."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    lists: RiskLists
    audit: AuditLog

    async def add(self, cmd: AddListEntry) -> ListEntry:
        """Raises: ForbiddenError, ValidationError (list, kind, value, reason or expiry)."""
        now = self.clock.now()
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
        _validate(cmd, now)
        entry = ListEntry.create(
            entry_id=self.ids.new_id("lst"),
            list_name=cmd.list_name,
            kind=cmd.kind,
            value=cmd.value,
            reason=cmd.reason.strip(),
            source="internal",
            added_by=cmd.admin_id,
            added_at=now,
            expires_at=cmd.expires_at,
        )
        await self.lists.add(entry)
        await self._record(cmd.admin_id, "fraud.list_entry_added", entry)
        return entry

    async def active(self, staff_id: str, list_name: ListName) -> tuple[ListEntry, ...]:
        """Entries of ``list_name`` in force now, oldest first. Raises: ForbiddenError."""
        async with self.uow() as uow:
            await require_role(uow, staff_id, READERS)
        return await self.lists.listed(list_name, self.clock.now())

    async def remove(self, admin_id: str, entry_id: str) -> ListEntry:
        """Stop an entry from applying from now on; removing a removed entry changes nothing.

        Raises: ForbiddenError, NotFoundError (unknown, or on an external list).
        """
        now = self.clock.now()
        async with self.uow() as uow:
            await require_admin(uow, admin_id)
        entry = await self.lists.entry(entry_id)
        if entry is None or entry.list_name not in MANAGED_LISTS:
            raise NotFoundError("list entry", entry_id)
        if entry.removed_at is not None:
            return entry
        await self.lists.remove(entry_id, at=now, by=admin_id)
        removed = entry.removed(at=now, by=admin_id)
        await self._record(admin_id, "fraud.list_entry_removed", removed)
        return removed

    async def _record(self, admin_id: str, action: str, entry: ListEntry) -> None:
        # The identifier itself stays out of the trail, like CLABEs elsewhere; the entry id
        # leads to it for whoever may read the lists.
        await self.audit.record(
            actor_id=admin_id,
            action=action,
            subject_type="list_entry",
            subject_id=entry.entry_id,
            details={"list": entry.list_name.value, "kind": entry.kind.value},
        )


def _validate(cmd: AddListEntry, now: datetime) -> None:
    if cmd.list_name not in MANAGED_LISTS:
        raise ValidationError("only the blocklist and the watchlist are kept by hand", field="list")
    if cmd.kind not in _MANUAL_KINDS:
        raise ValidationError("names are matched only against the UIF list", field="kind")
    if not cmd.reason.strip():
        raise ValidationError("an entry needs a reason", field="reason")
    if cmd.expires_at is not None and (cmd.expires_at.utcoffset() is None or cmd.expires_at <= now):
        raise ValidationError("the expiry must be a future time with a zone", field="expires_at")
    if cmd.kind is ListKind.CLABE:
        try:
            Clabe(cmd.value.strip())
        except ValidationError as error:
            raise ValidationError(error.message, field="value") from None
