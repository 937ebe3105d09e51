"""The reconciliation queue of unmatched deposits, deduplicated by tracking key."""

from __future__ import annotations

from collections.abc import Sequence

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState
from kustodia_domain.ports.reconciliation import UnmatchedDeposit, UnmatchedDepositRepository


def _add(state: StoreState, deposit: UnmatchedDeposit) -> bool:
    if deposit.tracking_key in state.unmatched_deposits:
        return False
    state.unmatched_deposits[deposit.tracking_key] = deposit
    return True


class InMemoryUnmatchedDepositRepository(UnmatchedDepositRepository):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, deposit: UnmatchedDeposit) -> bool:
        return self._transaction().write(lambda state: _add(state, deposit))

    async def get(self, tracking_key: str) -> UnmatchedDeposit | None:
        return self._transaction().state.unmatched_deposits.get(tracking_key)

    async def list_open(self) -> Sequence[UnmatchedDeposit]:
        stored = self._transaction().state.unmatched_deposits.values()
        return sorted((d for d in stored if not d.resolved), key=lambda d: d.received_at)
