"""Read-side port of the back office: escrow search, analytics facts and user search.

These are reads over committed state that span many aggregates, so they get their own port
(a SQL adapter answers them with a query each) instead of growing the repositories.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import EscrowKind
from kustodia_domain.identity.model import User
from kustodia_domain.ledger.accounts import AccountKind
from kustodia_domain.shared.money import Money


@attrs.frozen(kw_only=True)
class EscrowFilter:
    """Criteria of an escrow search; every given criterion must hold. Newest first."""

    status: EscrowState | None = None
    party_id: str | None = None
    """Payer, payee or broker."""
    reference: str | None = None
    kind: EscrowKind | None = None
    needs_review: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = 50
    offset: int = 0

    def matches(self, escrow: Escrow) -> bool:
        """Whether ``escrow`` meets every criterion (in-memory adapters filter with this)."""
        checks = (
            self.status is None or escrow.state is self.status,
            self.party_id is None or escrow.involves(self.party_id),
            self.reference is None or escrow.reference == self.reference,
            self.kind is None or escrow.kind is self.kind,
            self.needs_review is None or escrow.needs_review is self.needs_review,
            self.created_from is None or escrow.created_at >= self.created_from,
            self.created_to is None or escrow.created_at < self.created_to,
        )
        return all(checks)


@attrs.frozen(kw_only=True)
class EscrowSummary:
    """The facts analytics need of one escrow."""

    id: str
    state: EscrowState
    amount: Money
    fee: Money
    created_at: datetime
    funded_at: datetime | None
    settled_at: datetime | None
    disputed: bool

    @classmethod
    def of(cls, escrow: Escrow) -> EscrowSummary:
        """Summarise ``escrow``."""
        return cls(
            id=escrow.id,
            state=escrow.state,
            amount=escrow.terms.amount,
            fee=escrow.fee,
            created_at=escrow.created_at,
            funded_at=escrow.funded_at,
            settled_at=escrow.settled_at,
            disputed=escrow.dispute_id is not None,
        )


class BackOfficeReads(Protocol):
    """Reads of committed state for admins, analytics and metrics."""

    @abstractmethod
    async def search_escrows(self, criteria: EscrowFilter) -> Sequence[Escrow]:
        """Escrows meeting ``criteria``, newest first, paged by its limit and offset."""

    @abstractmethod
    async def escrow_summaries(self) -> Sequence[EscrowSummary]:
        """A summary of every escrow."""

    @abstractmethod
    async def search_users(self, *, text: str | None, limit: int, offset: int) -> Sequence[User]:
        """Users whose e-mail or name contains ``text`` (all when ``None``), oldest first."""

    @abstractmethod
    async def ledger_credits(
        self, kind: AccountKind, descriptions: frozenset[str]
    ) -> Mapping[str, int]:
        """Per currency code, the minor units credited to accounts of ``kind``.

        Only transactions whose description (the event that caused them) is in
        ``descriptions`` count. Credits, not balances: fee revenue stays earned after the fees
        are swept to the treasury, and a returned sweep is not earned twice.
        """

    @abstractmethod
    async def screening_outcomes(self) -> Mapping[str, int]:
        """How many risk decisions recorded on escrows ended in each outcome."""
