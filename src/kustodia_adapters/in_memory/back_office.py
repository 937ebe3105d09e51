"""Back-office reads over the committed in-memory state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from kustodia_adapters.in_memory.store import InMemoryStore, detached
from kustodia_domain.escrow.events import RiskScreened
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.identity.model import User
from kustodia_domain.ledger.accounts import AccountKind
from kustodia_domain.ports.back_office import BackOfficeReads, EscrowFilter, EscrowSummary


class InMemoryBackOfficeReads(BackOfficeReads):
    """Reads what is committed (like a query on a read replica); never sees open transactions."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def search_escrows(self, criteria: EscrowFilter) -> Sequence[Escrow]:
        found = [e for e in self._store.state.escrows.values() if criteria.matches(e)]
        found.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return [detached(e) for e in found[criteria.offset : criteria.offset + criteria.limit]]

    async def escrow_summaries(self) -> Sequence[EscrowSummary]:
        return [EscrowSummary.of(e) for e in self._store.state.escrows.values()]

    async def search_users(self, *, text: str | None, limit: int, offset: int) -> Sequence[User]:
        needle = (text or "").strip().lower()
        users = [
            u
            for u in self._store.state.users.values()
            if not needle or needle in u.email or needle in u.full_name.lower()
        ]
        users.sort(key=lambda u: (u.created_at, u.id))
        return [detached(u) for u in users[offset : offset + limit]]

    async def ledger_credits(
        self, kind: AccountKind, descriptions: frozenset[str]
    ) -> Mapping[str, int]:
        totals: Counter[str] = Counter()
        for transaction in self._store.state.ledger:
            if transaction.description not in descriptions:
                continue
            for posting in transaction.postings:
                # A credit is a negative (debit-positive) posting amount.
                if posting.account.kind is kind and posting.amount.amount_minor < 0:
                    totals[posting.account.currency.code] -= posting.amount.amount_minor
        return dict(totals)

    async def screening_outcomes(self) -> Mapping[str, int]:
        outcomes: Counter[str] = Counter()
        for events in self._store.state.events.values():
            outcomes.update(e.outcome for e in events if isinstance(e, RiskScreened))
        return dict(outcomes)
