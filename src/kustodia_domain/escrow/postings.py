"""From escrow events to ledger transactions.

Every money-moving event becomes exactly one balanced transaction whose idempotency key is
``escrow:<escrow id>:<event sequence>``: replaying a command that already ran produces the same
key and content, which the ledger treats as a no-op. A deposit's transaction is keyed by the
rail's tracking key instead (``deposit:<tracking key>``), so the same transfer can never be
booked twice anywhere: not on two escrows, nor on an escrow and in suspense.
"""

from __future__ import annotations

from kustodia_domain.escrow.events import DepositBounced, DepositReceived, EscrowEvent
from kustodia_domain.ledger.transactions import (
    LedgerTransaction,
    TransactionBuilder,
    escrow_key,
)


def ledger_key(event: EscrowEvent) -> str:
    """The idempotency key of the transaction ``event`` produces."""
    if isinstance(event, DepositReceived | DepositBounced):
        return deposit_key(event.tracking_key)
    return escrow_key(event.aggregate_id, event.sequence)


def deposit_key(tracking_key: str) -> str:
    """The ledger key of the transaction that books the deposit ``tracking_key``."""
    return f"deposit:{tracking_key}"


def ledger_transaction_for(event: EscrowEvent) -> LedgerTransaction | None:
    """The balanced transaction for ``event``, or ``None`` if it moves no money."""
    builder = TransactionBuilder(
        key=ledger_key(event),
        occurred_at=event.occurred_at,
        description=event.name,
        escrow_id=event.aggregate_id,
    )
    for transfer in event.transfers:
        builder.debit(transfer.debit, transfer.amount).credit(transfer.credit, transfer.amount)
    return builder.build()
