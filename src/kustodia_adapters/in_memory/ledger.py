"""The ledger: an append-only list of transactions and the signed total of every account.

The invariants come from :mod:`kustodia_domain.ledger.balances`, shared with every other ledger
adapter, so no adapter can be laxer than another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import check_postable, held
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.ports.ledger import Ledger
from kustodia_domain.shared.errors import IdempotencyConflictError


def _post(state: StoreState, transaction: LedgerTransaction) -> bool:
    existing = state.ledger_by_key.get(transaction.key)
    if existing is not None:
        if existing.same_content(transaction):
            return False
        raise IdempotencyConflictError(
            f"ledger key {transaction.key} was already used for other postings or another escrow"
        )
    check_postable(state.ledger_totals, transaction)
    state.ledger.append(transaction)
    state.ledger_by_key[transaction.key] = transaction
    for posting in transaction.postings:
        total = state.ledger_totals.get(posting.account, 0) + posting.amount.amount_minor
        state.ledger_totals[posting.account] = total
    return True


class InMemoryLedger(Ledger):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def post(self, transaction: LedgerTransaction) -> bool:
        # Transactions are frozen, so the journal can hold this one without copying it.
        return self._transaction().write(lambda state: _post(state, transaction))

    async def balance(self, account: Account) -> int:
        return held(account, self._transaction().state.ledger_totals.get(account, 0))

    async def signed_totals(self) -> Mapping[Account, int]:
        return dict(self._transaction().state.ledger_totals)

    async def transactions_for_escrow(self, escrow_id: str) -> Sequence[LedgerTransaction]:
        """In the order they were posted."""
        return [t for t in self._transaction().state.ledger if t.escrow_id == escrow_id]
