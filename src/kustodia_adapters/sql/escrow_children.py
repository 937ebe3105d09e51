"""The write-once child rows of an escrow: participants, deposits, payouts and its settlement.

They exist for constraints and lookups, not to rebuild the escrow (its document does that):
a deposit's tracking key is recorded once across all escrows, a payout's id and idempotency
key once, and an escrow is settled once. A save queues only what the escrow gained since the
version it was read at; the rows are sent with the unit's other pending rows
(:mod:`kustodia_adapters.sql.write_behind`), so a refusal comes out of the flush.
"""

from __future__ import annotations

from sqlalchemy import literal, select, union_all

from kustodia_adapters.sql.footprints import EscrowFootprint
from kustodia_adapters.sql.session import SqlTransaction
from kustodia_adapters.sql.tables import (
    escrow_deposits,
    escrow_participants,
    escrow_payouts,
    escrow_settlements,
)
from kustodia_adapters.sql.write_behind import flush
from kustodia_domain.escrow.model import Escrow


def queue_participants(transaction: SqlTransaction, escrow: Escrow) -> None:
    """Who may see the escrow (payer, payee, brokers); they never change after it opens."""
    roles = [
        (escrow.payer_id, "payer"),
        (escrow.payee_id, "payee"),
        *((c.broker_id, "broker") for c in escrow.terms.commissions),
    ]
    rows = [
        {"escrow_id": escrow.id, "user_id": user, "role": role, "created_at": escrow.created_at}
        for user, role in roles
    ]
    transaction.pending.append(escrow_participants, rows)


def queue_new_children(
    transaction: SqlTransaction, escrow: Escrow, before: EscrowFootprint
) -> None:
    """Queue the deposits, payouts and settlement ``escrow`` has beyond ``before``.

    The flush that sends them raises:
        ConflictError: a tracking key or payout is already recorded (on another escrow).
        ConcurrencyConflictError: the escrow was already settled.
    """
    deposits = [
        {
            "tracking_key": d.tracking_key,
            "escrow_id": escrow.id,
            "currency": d.amount.currency.code,
            "amount_minor": d.amount.amount_minor,
            "applied_minor": d.applied.amount_minor,
            "excess_minor": d.excess.amount_minor,
            "source_clabe": d.source_clabe.value,
            "received_at": d.received_at,
        }
        for d in escrow.deposits
        if d.tracking_key not in before.deposit_keys
    ]
    payouts = [
        {
            "payout_id": p.id,
            "escrow_id": escrow.id,
            "idempotency_key": p.idempotency_key,
            "leg": p.leg.value,
            "beneficiary_id": p.beneficiary_id,
            "currency": p.amount.currency.code,
            "amount_minor": p.amount.amount_minor,
            "destination_clabe": p.destination.value,
            "created_at": p.created_at,
        }
        for p in escrow.payouts
        if p.id not in before.payout_ids
    ]
    transaction.pending.append(escrow_deposits, deposits)
    transaction.pending.append(escrow_payouts, payouts)
    if escrow.settled_at is not None and escrow.settled_at != before.settled_at:
        # A second, different settlement of the same escrow hits the primary key.
        row = {"escrow_id": escrow.id, "settled_at": escrow.settled_at}
        transaction.pending.append(escrow_settlements, [row])


async def stored_footprint(transaction: SqlTransaction, escrow_id: str) -> EscrowFootprint:
    """Read the child rows of ``escrow_id`` (for an escrow this unit did not read itself).

    The version is left at 0: the caller knows which version it holds the lock for.
    """
    if transaction.pending.holds(escrow_deposits, escrow_payouts, escrow_settlements):
        await flush(transaction)
    keys = union_all(
        select(literal("deposit").label("kind"), escrow_deposits.c.tracking_key.label("key")).where(
            escrow_deposits.c.escrow_id == escrow_id
        ),
        select(literal("payout"), escrow_payouts.c.payout_id).where(
            escrow_payouts.c.escrow_id == escrow_id
        ),
    )
    rows = (await transaction.execute(keys)).mappings().all()
    settled_at = (
        await transaction.execute(
            select(escrow_settlements.c.settled_at).where(
                escrow_settlements.c.escrow_id == escrow_id
            )
        )
    ).scalar()
    return EscrowFootprint(
        version=0,
        deposit_keys=frozenset(row["key"] for row in rows if row["kind"] == "deposit"),
        payout_ids=frozenset(row["key"] for row in rows if row["kind"] == "payout"),
        settled_at=settled_at,
    )
