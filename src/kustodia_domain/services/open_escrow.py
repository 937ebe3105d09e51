"""Opening an escrow: a payment by the payer, or a payment request by the payee."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import (
    Commission,
    CreatorRole,
    EscrowKind,
    EscrowTerms,
    MilestoneSpec,
)
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_records import escrow_opened
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.directory import require_payout_accounts
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, apply, escrow_facts
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import EscrowId, UserId
from kustodia_domain.shared.money import Currency, Money


@attrs.frozen(kw_only=True)
class OpenEscrow:
    """Open an escrow with ``counterparty_email``; commissions are (broker e-mail, bps)."""

    creator_id: UserId
    kind: EscrowKind
    creator_role: CreatorRole
    counterparty_email: str
    amount_minor: int
    currency: str
    custody_percent: int
    custody_days: int
    description: str
    release_conditions: str = ""
    commissions: tuple[tuple[str, int], ...] = ()
    milestones: tuple[tuple[str, int], ...] = ()


@attrs.frozen
class OpenEscrowHandler:
    """Opens an escrow.

    Rules: the counterparty and every broker must be registered; the payee and brokers need a
    payout account; terms are validated (amount > 0, custody 0-100 %, 1-365 days, commissions in
    bps totalling at most 50 %); the platform fee for the kind is added on top for the payer;
    funding instructions use the payer's deposit CLABE and a fresh numeric reference; a payment
    awaits funds at once, a request awaits the payer's acceptance.

    Raises:
        ValidationError, NotFoundError (counterparty/broker unknown: reported as a validation
        error on the field), MissingPayoutAccountError, OperationBlockedError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    risk: RiskGate
    policy: PlatformPolicy

    async def execute(self, cmd: OpenEscrow) -> Escrow:
        now = self.clock.now()
        async with self.risk.session() as risk, self.uow() as uow:
            creator = await uow.users.get(cmd.creator_id)
            other = await uow.users.find_by_email(cmd.counterparty_email)
            if other is None:
                raise ValidationError(
                    "no registered user has that e-mail", field="counterparty_email"
                )
            brokers = []
            for email, bps in cmd.commissions:
                broker = await uow.users.find_by_email(email)
                if broker is None:
                    raise ValidationError(f"broker {email} is not registered", field="commissions")
                brokers.append(Commission(broker.id, bps))
            payer, payee = (
                (creator, other) if cmd.creator_role is CreatorRole.PAYER else (other, creator)
            )
            terms = EscrowTerms(
                amount=Money(cmd.amount_minor, Currency.of(cmd.currency)),
                custody_percent=cmd.custody_percent,
                custody_days=cmd.custody_days,
                description=cmd.description,
                release_conditions=cmd.release_conditions,
                commissions=tuple(brokers),
                milestones=tuple(MilestoneSpec(n, s) for n, s in cmd.milestones),
            )
            await require_payout_accounts(uow.users, [payee.id, *(c.broker_id for c in brokers)])
            escrow = Escrow.open(
                escrow_id=EscrowId(self.ids.new_id("esc")),
                kind=cmd.kind,
                created_by=cmd.creator_role,
                payer_id=payer.id,
                payee_id=payee.id,
                terms=terms,
                fee=self.policy.fees.fee_for(cmd.kind, terms.amount),
                reference=self.ids.new_reference(),
                deposit_clabe=payer.deposit_clabe,
                funding_window=self.policy.funding_window,
                at=now,
            )
            screening = await risk.check(
                "escrow.create",
                actor_id=cmd.creator_id,
                at=now,
                escrow_id=escrow.id,
                amount=terms.amount,
                # Milestones name the deliverables, which is what an invoice would document.
                attributes={**escrow_facts(escrow), "has_invoice": bool(escrow.milestones)},
            )
            apply(escrow, screening, "escrow.create", now)
            await persist_escrow(uow, escrow, self.ids, new=True)
            await uow.audit.add(escrow_opened(cmd.creator_id, escrow, now))
            await uow.commit()
        return escrow
