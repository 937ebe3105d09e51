"""The ``Escrow`` aggregate root: creation, acceptance, funding and the end of funding.

Custody, settlement and payouts live in the mixins this class combines
(:mod:`~kustodia_domain.escrow.custody`, :mod:`~kustodia_domain.escrow.payout_book`), so each
module stays readable; all of them change state only through ``_transition``, which consults the
one transition table.

Invariants (checked by the Hypothesis lifecycle machine):
    * ``custody_balance`` equals the balance of the escrow's custody ledger account;
    * the custody clock starts at funding: ``custody_ends_at == funded_at + custody_days``;
    * deposited = applied + excess; applied never exceeds the amount due;
    * at most one settlement (release, refund or split) is ever recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from kustodia_domain.escrow.custody import CustodyMixin
from kustodia_domain.escrow.deposits import Deposit, IncomingDeposit
from kustodia_domain.escrow.directory import PayoutDirectory
from kustodia_domain.escrow.events import (
    DepositBounced,
    DepositReceived,
    EscrowCancelled,
    EscrowExpired,
    EscrowFunded,
    EscrowOpened,
    PaymentRequestAccepted,
    Transfer,
)
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.settlement import refund_by_source, split_payee_side
from kustodia_domain.escrow.states import Action, EscrowState, allows
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind, EscrowTerms, Party
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import EscrowId, UserId
from kustodia_domain.shared.money import Money
from kustodia_domain.shared.time import ensure_utc


@attrs.frozen(kw_only=True)
class FundingInstructions:
    """Where and how much to pay: the payer's deposit CLABE, the escrow reference, what is due."""

    clabe: Clabe
    reference: str
    amount_due: Money


@attrs.define(kw_only=True)
class Escrow(CustodyMixin):
    """An escrow between a payer and a payee (see the module docstring for its invariants)."""

    @classmethod
    def open(
        cls,
        *,
        escrow_id: EscrowId,
        kind: EscrowKind,
        created_by: CreatorRole,
        payer_id: UserId,
        payee_id: UserId,
        terms: EscrowTerms,
        fee: Money,
        reference: str,
        deposit_clabe: Clabe,
        funding_window: timedelta,
        at: datetime,
    ) -> Escrow:
        """Open an escrow: a payment (payer creates, awaits funds) or a request (awaits accept).

        Raises:
            ValidationError: payer and payee are the same user, or a broker is a party.
        """
        at = ensure_utc(at)
        if payer_id == payee_id:
            raise ValidationError(
                "payer and payee must be different users", field="counterparty_email"
            )
        if any(c.broker_id in (payer_id, payee_id) for c in terms.commissions):
            raise ValidationError("a broker cannot be a party", field="commissions")
        state = (
            EscrowState.AWAITING_FUNDS if created_by is CreatorRole.PAYER else EscrowState.REQUESTED
        )
        escrow = cls(
            id=escrow_id,
            kind=kind,
            created_by=created_by,
            payer_id=payer_id,
            payee_id=payee_id,
            terms=terms,
            fee=fee,
            reference=reference,
            deposit_clabe=deposit_clabe,
            state=state,
            created_at=at,
            updated_at=at,
            funding_deadline=at + funding_window,
            custody_balance=Money.zero(terms.amount.currency),
            yield_accrued=Money.zero(terms.amount.currency),
        )
        escrow._init_milestones()
        escrow._record(
            EscrowOpened,
            at,
            kind=kind.value,
            created_by=created_by.value,
            payer_id=payer_id,
            payee_id=payee_id,
            amount=terms.amount,
            fee=fee,
            amount_due=escrow.amount_due,
            custody_percent=terms.custody_percent,
            custody_days=terms.custody_days,
            reference=reference,
        )
        return escrow

    # ------------------------------------------------------------------ queries
    @property
    def amount_due(self) -> Money:
        """What the payer must deposit: the amount plus the platform fee."""
        return self.terms.amount + self.fee

    @property
    def funded_amount(self) -> Money:
        """Sum of the deposits applied toward the amount due."""
        zero = Money.zero(self.terms.amount.currency)
        return sum((d.applied for d in self.deposits), zero)

    @property
    def funding_instructions(self) -> FundingInstructions | None:
        """How to fund the escrow, only while it awaits funds."""
        if self.state is not EscrowState.AWAITING_FUNDS:
            return None
        return FundingInstructions(
            clabe=self.deposit_clabe,
            reference=self.reference,
            amount_due=self.amount_due - self.funded_amount,
        )

    # ------------------------------------------------------------------ commands
    def accept(self, actor_id: UserId, at: datetime, funding_window: timedelta) -> None:
        """The payer accepts a payment request; the funding window starts now.

        Raises:
            NotAPartyError: the actor is not the payer.
            InvalidEscrowTransitionError: the escrow is not a pending request.
        """
        self._require_party(actor_id, Party.PAYER)
        self._transition(Action.ACCEPT, at)
        self.funding_deadline = at + funding_window
        self._record(PaymentRequestAccepted, at, accepted_by=actor_id)

    def receive_deposit(
        self, deposit: IncomingDeposit, at: datetime, directory: PayoutDirectory
    ) -> None:
        """Apply a deposit; fund the escrow when deposits cover the amount due.

        A partial deposit keeps the escrow ``awaiting_funds``; the part of a deposit beyond the
        amount due is refunded to its source; a deposit the escrow cannot accept (any state but
        ``awaiting_funds``) is bounced back to its source whole. A tracking key seen before is
        ignored, so a replayed deposit changes nothing.
        """
        if any(d.tracking_key == deposit.tracking_key for d in self.deposits):
            return
        if not allows(self.state, Action.DEPOSIT):
            self._bounce(deposit, at)
            return
        remaining = self.amount_due - self.funded_amount
        if deposit.amount >= remaining:
            self._require_destinations(directory)
        applied = deposit.amount.min(remaining)
        excess = deposit.amount - applied
        self._transition(Action.DEPOSIT, at)
        self.deposits.append(
            Deposit(
                tracking_key=deposit.tracking_key,
                amount=deposit.amount,
                applied=applied,
                excess=excess,
                source_clabe=deposit.source_clabe,
                received_at=deposit.received_at,
            )
        )
        self.custody_balance += applied
        currency = deposit.amount.currency
        self._record(
            DepositReceived,
            at,
            tracking_key=deposit.tracking_key,
            amount=deposit.amount,
            applied=applied,
            excess=excess,
            funded_total=self.funded_amount,
            transfers=(
                Transfer(Account.rail_cash(currency), self._custody_account, applied),
                Transfer(Account.rail_cash(currency), self._payer_payable, excess),
            ),
        )
        if excess.is_positive:
            self._schedule(PayoutLeg.EXCESS_REFUND, self.payer_id, excess, deposit.source_clabe, at)
        if self.funded_amount == self.amount_due:
            self._fund(at, directory)

    def _bounce(self, deposit: IncomingDeposit, at: datetime) -> None:
        self.deposits.append(
            Deposit(
                tracking_key=deposit.tracking_key,
                amount=deposit.amount,
                applied=Money.zero(deposit.amount.currency),
                excess=deposit.amount,
                source_clabe=deposit.source_clabe,
                received_at=deposit.received_at,
            )
        )
        self._record(
            DepositBounced,
            at,
            tracking_key=deposit.tracking_key,
            amount=deposit.amount,
            reason=f"escrow is {self.state.value}",
            transfers=(
                Transfer(
                    Account.rail_cash(deposit.amount.currency), self._payer_payable, deposit.amount
                ),
            ),
        )
        self._schedule(PayoutLeg.BOUNCE, self.payer_id, deposit.amount, deposit.source_clabe, at)

    def _fund(self, at: datetime, directory: PayoutDirectory) -> None:
        self._transition(Action.FUND, at)
        self.funded_at = at
        self.custody_ends_at = at + timedelta(days=self.terms.custody_days)
        self.yield_accrued_through = at.date()
        immediate = split_payee_side(self.terms.immediate_amount, self._owed)
        currency = self.terms.amount.currency
        transfers = [Transfer(self._custody_account, Account.platform_fees(currency), self.fee)]
        transfers += [
            Transfer(self._custody_account, Account.payable(user, currency), amount)
            for user, amount in immediate.items()
        ]
        self.custody_balance -= self.fee + self.terms.immediate_amount
        self._record(
            EscrowFunded,
            at,
            funded_at=at,
            custody_ends_at=self.custody_ends_at,
            custody_amount=self.terms.custody_amount,
            immediate_amount=self.terms.immediate_amount,
            fee=self.fee,
            transfers=tuple(transfers),
        )
        if self.fee.is_positive:
            self._schedule(PayoutLeg.PLATFORM_FEE, None, self.fee, directory.treasury, at)
        self._pay_payee_side(immediate, PayoutLeg.IMMEDIATE, directory, at)
        if self.terms.custody_amount.is_zero:
            self._release_all(at, directory, reason="zero_custody")

    def cancel(self, actor_id: UserId, at: datetime) -> None:
        """Either party cancels before funding; deposits so far go back to their sources.

        Raises:
            NotAPartyError: the actor is not a party.
            InvalidEscrowTransitionError: the escrow is funded or already ended.
        """
        self._require_party(actor_id, Party.PAYER, Party.PAYEE)
        self._transition(Action.CANCEL, at)
        refunded = self.custody_balance
        self._record(
            EscrowCancelled,
            at,
            cancelled_by=actor_id,
            refunded=refunded,
            transfers=self._refund_transfers(refunded),
        )
        self._refund_deposits(refunded, at)

    def expire_if_due(self, at: datetime) -> bool:
        """Expire an unfunded escrow whose funding window has passed; refunds deposits."""
        if self.funding_deadline is None or at < self.funding_deadline:
            return False
        if not allows(self.state, Action.EXPIRE):
            return False
        self._transition(Action.EXPIRE, at)
        refunded = self.custody_balance
        self._record(
            EscrowExpired, at, refunded=refunded, transfers=self._refund_transfers(refunded)
        )
        self._refund_deposits(refunded, at)
        return True

    def _refund_deposits(self, refunded: Money, at: datetime) -> None:
        # Before funding, custody holds exactly what each deposit applied: each goes home.
        for clabe, amount in refund_by_source(refunded, self.deposits):
            self._schedule(PayoutLeg.REFUND, self.payer_id, amount, clabe, at)
        self.custody_balance -= refunded

    def _refund_transfers(self, amount: Money) -> tuple[Transfer, ...]:
        return (Transfer(self._custody_account, self._payer_payable, amount),)
