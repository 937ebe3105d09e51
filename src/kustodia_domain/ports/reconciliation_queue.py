"""Differences between the books and the rail, queued for admins to investigate."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import attrs

from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money


class DifferenceKind(StrEnum):
    """How the books and the rail disagree."""

    MISSING_DEPOSIT = "missing_deposit"
    """The rail received a deposit the books never recorded."""
    UNKNOWN_DEPOSIT = "unknown_deposit"
    """The books recorded a deposit the rail does not know."""
    DEPOSIT_AMOUNT_MISMATCH = "deposit_amount_mismatch"
    """Both know the deposit, with different amounts."""
    UNCONFIRMED_PAYOUT = "unconfirmed_payout"
    """The books hold a payout as sent or confirmed; the rail never confirmed it."""
    RETURNED_PAYOUT = "returned_payout"
    """The rail reports a payout returned that the books still hold as sent or confirmed."""
    UNRECORDED_PAYOUT = "unrecorded_payout"
    """The rail executed a payout the books have no record of."""
    PAYOUT_AMOUNT_MISMATCH = "payout_amount_mismatch"
    """Both know the payout, with different amounts."""
    PAYOUT_STATUS_MISMATCH = "payout_status_mismatch"
    """Any other disagreement on a payout's status (e.g. a confirmation never recorded)."""


@immutable
@attrs.frozen(kw_only=True)
class ReconciliationDifference:
    """One disagreement found by reconciling the period ``[period_start, period_end)``.

    ``subject`` is the deposit's tracking key or the payout id; ``key`` (kind and subject) is
    unique in the queue, so reconciling a period twice, or overlapping periods, queues each
    difference once.
    """

    kind: DifferenceKind
    subject: str
    escrow_id: str | None
    rail_amount: Money | None
    recorded_amount: Money | None
    rail_status: str | None
    recorded_status: str | None
    detail: str
    period_start: datetime
    period_end: datetime
    found_at: datetime
    resolved_at: datetime | None = None

    @property
    def key(self) -> str:
        """The queue's de-duplication key."""
        return f"{self.kind.value}:{self.subject}"


class ReconciliationQueue(Protocol):
    """Differences waiting for an admin; nothing is ever deleted."""

    @abstractmethod
    async def add(self, difference: ReconciliationDifference) -> bool:
        """Queue ``difference``; ``False`` (nothing written) if its key is already queued."""

    @abstractmethod
    async def list_open(self) -> Sequence[ReconciliationDifference]:
        """Unresolved differences, oldest found first."""

    @abstractmethod
    async def resolve(self, key: str, at: datetime) -> ReconciliationDifference:
        """Mark the difference ``key`` resolved at ``at`` (idempotent).

        A difference resolved already keeps its first resolution time, and is returned as stored.

        Raises:
            ValidationError: ``at`` has no time zone.
            NotFoundError: no difference has that key.
        """
