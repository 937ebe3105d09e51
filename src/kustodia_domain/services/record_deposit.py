"""Recording a SPEI deposit reported by the rail (webhook or sandbox)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

import attrs

from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.escrow.deposits import IncomingDeposit
from kustodia_domain.escrow.postings import deposit_key
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import TransactionBuilder
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.reconciliation import UnmatchedDeposit
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.directory import payout_directory
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, apply, escrow_facts
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import (
    IdempotencyConflictError,
    OperationBlockedError,
    ValidationError,
)
from kustodia_domain.shared.money import Currency, Money


class DepositOutcome(StrEnum):
    """What happened to a deposit."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"


@attrs.frozen(kw_only=True)
class RecordDeposit:
    """A deposit as the rail reports it; ``via`` names the channel, for the audit trail."""

    tracking_key: str
    clabe: str
    reference: str
    amount_minor: int
    currency: str
    source_clabe: str
    sender_name: str
    received_at: datetime
    via: str = "rail"


def deposit_event_id(tracking_key: str) -> str:
    """The screening of the transfer ``tracking_key`` names, whoever reports it.

    The rail's webhook, its redeliveries and the statement's reconciliation may report the
    same transfer at once: under one event id the fraud history records its ``escrow.fund``
    once, so the payer's monthly inflow and velocity counts see the money once.
    """
    return f"rke-deposit-{tracking_key}"


@attrs.frozen
class RecordDepositHandler:
    """Matches a deposit to an escrow by (CLABE, reference) and applies it.

    Rules: a tracking key is recorded once (a replay changes nothing) and screened once
    (:func:`deposit_event_id`); a match accumulates
    toward the amount due and funds the escrow when covered, refunding any excess to its source;
    a deposit to an escrow that cannot take it is returned whole; a deposit that matches nothing
    (or that the risk screen blocks) is held in suspense and queued for reconciliation. An
    applied or suspended deposit is audited in the same unit of work; a duplicate is not.

    Raises:
        ValidationError: malformed amount or CLABE (nothing is recorded).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    risk: RiskGate
    policy: PlatformPolicy

    async def execute(self, cmd: RecordDeposit) -> DepositOutcome:
        deposit = IncomingDeposit(
            tracking_key=cmd.tracking_key,
            amount=Money(cmd.amount_minor, Currency.of(cmd.currency)),
            source_clabe=Clabe(cmd.source_clabe),
            sender_name=cmd.sender_name,
            received_at=cmd.received_at,
        )
        if not deposit.amount.is_positive:
            raise ValidationError("a deposit amount must be positive", field="amount")
        now = self.clock.now()
        async with self.risk.session() as risk, self.uow() as uow:
            escrow = await uow.escrows.find_by_reference(cmd.reference)
            if escrow is None or escrow.deposit_clabe.value != cmd.clabe:
                return await self._suspense(uow, cmd, deposit)
            if any(d.tracking_key == cmd.tracking_key for d in escrow.deposits):
                return DepositOutcome.DUPLICATE
            held = await uow.unmatched_deposits.get(cmd.tracking_key)
            if held is not None and not held.resolved:
                # Already held in suspense (e.g. blocked by the screen): a replay is the same
                # money, so applying it now would count it twice.
                return DepositOutcome.DUPLICATE
            try:
                screening = await risk.check(
                    "escrow.fund",
                    actor_id=escrow.payer_id,
                    at=now,
                    escrow_id=escrow.id,
                    amount=deposit.amount,
                    attributes={
                        **escrow_facts(escrow),
                        "source_clabe": cmd.source_clabe,
                        "sender_name": cmd.sender_name,
                    },
                    event_id=deposit_event_id(cmd.tracking_key),
                )
            except OperationBlockedError:
                # The money has already arrived: a blocked deposit is kept in suspense for
                # compliance to decide, never silently dropped or applied.
                return await self._suspense(uow, cmd, deposit)
            directory = await payout_directory(uow.users, escrow, self.policy.treasury_clabe)
            escrow.receive_deposit(deposit, now, directory)
            apply(escrow, screening, "escrow.fund", now)
            try:
                await persist_escrow(uow, escrow, self.ids)
                await uow.audit.add(_audit(cmd, DepositOutcome.APPLIED, deposit, now))
                await uow.commit()
            except IdempotencyConflictError:
                # The ledger already booked this tracking key elsewhere (another escrow or
                # suspense): the same transfer is never counted twice.
                return DepositOutcome.DUPLICATE
        return DepositOutcome.APPLIED

    async def _suspense(
        self, uow: UnitOfWork, cmd: RecordDeposit, deposit: IncomingDeposit
    ) -> DepositOutcome:
        queued = await uow.unmatched_deposits.add(
            UnmatchedDeposit(
                tracking_key=cmd.tracking_key,
                clabe=cmd.clabe,
                reference=cmd.reference,
                amount=deposit.amount,
                source_clabe=deposit.source_clabe,
                sender_name=cmd.sender_name,
                received_at=cmd.received_at,
            )
        )
        if not queued:
            return DepositOutcome.DUPLICATE
        currency = deposit.amount.currency
        transaction = (
            TransactionBuilder(
                key=deposit_key(cmd.tracking_key),
                occurred_at=cmd.received_at,
                description="UnmatchedDeposit",
            )
            .debit(Account.rail_cash(currency), deposit.amount)
            .credit(Account.suspense(currency), deposit.amount)
            .build()
        )
        try:
            if transaction is not None:
                await uow.ledger.post(transaction)
            await uow.audit.add(_audit(cmd, DepositOutcome.UNMATCHED, deposit, self.clock.now()))
            await uow.commit()
        except IdempotencyConflictError:
            return DepositOutcome.DUPLICATE  # booked on an escrow already: same transfer
        return DepositOutcome.UNMATCHED


def _audit(
    cmd: RecordDeposit, outcome: DepositOutcome, deposit: IncomingDeposit, at: datetime
) -> AuditRecord:
    """The audit record of a deposit applied or held in suspense (``actor_id``: the system)."""
    return AuditRecord(
        actor_id=None,
        action=f"deposit.{outcome.value}",
        subject_type="deposit",
        subject_id=cmd.tracking_key,
        at=at,
        details={"reference": cmd.reference, "amount": deposit.amount.amount_minor, "via": cmd.via},
    )
