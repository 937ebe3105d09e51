"""Custody commands: approvals, holds, disputes, settlement (at most once) and yield."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from kustodia_domain.escrow.directory import PayoutDirectory
from kustodia_domain.escrow.errors import InvalidEscrowTransitionError, SettlementRuleError
from kustodia_domain.escrow.events import (
    EscrowDisputed,
    EscrowHoldCleared,
    EscrowPutOnHold,
    EscrowRefunded,
    EscrowSplit,
    FundsReleased,
    MilestoneReleased,
    ReleaseApproved,
    ReleaseReminderDue,
    Transfer,
    YieldAccrued,
    YieldDistributed,
)
from kustodia_domain.escrow.payout_book import PayoutBook
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.settlement import (
    accrue_daily,
    final_payee_side,
    refund_by_source,
    split_payee_side,
    split_yield,
)
from kustodia_domain.escrow.states import CUSTODY, Action, EscrowState, next_state
from kustodia_domain.escrow.terms import EscrowKind, Party
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.errors import RuleViolationError
from kustodia_domain.shared.ids import DisputeId, UserId
from kustodia_domain.shared.money import Money

REMINDER_INTERVAL = timedelta(days=1)
"""How often the parties of an overdue ``dual_approval`` escrow are reminded."""


class Resolution(StrEnum):
    """How an admin settles a disputed escrow."""

    RELEASE = "release"
    REFUND = "refund"
    SPLIT = "split"


class CustodyMixin(PayoutBook):
    """Commands on an escrow while money is in custody."""

    # ------------------------------------------------------------------ approvals
    def approve_release(
        self,
        actor_id: UserId,
        at: datetime,
        directory: PayoutDirectory,
        milestone: str | None = None,
    ) -> None:
        """Record a party's approval; release when the kind's rule is met.

        ``standard``: the payer's approval releases. ``dual_approval``: both parties must
        approve. With milestones, approvals name a milestone and release only that part.

        Raises:
            NotAPartyError: the actor is not the payer or the payee.
            InvalidEscrowTransitionError: the escrow is not funded (held, disputed, settled...).
            SettlementRuleError: a milestone is missing, unknown or already released.
        """
        party = self.require_approver(actor_id)
        self._require_destinations(directory)
        if self.milestones:
            self._approve_milestone(party, milestone, at, directory)
            return
        if milestone is not None:
            raise SettlementRuleError("this escrow has no milestones")
        if (party is Party.PAYER and self.payer_approved) or (
            party is Party.PAYEE and self.payee_approved
        ):
            return
        self.payer_approved |= party is Party.PAYER
        self.payee_approved |= party is Party.PAYEE
        self._transition(Action.APPROVE, at)
        self._record(ReleaseApproved, at, party=party.value, milestone=None)
        if self._approvals_met(payer=self.payer_approved, payee=self.payee_approved):
            self._release_all(at, directory, reason=f"{self.kind.value}_approval")

    def require_approver(self, actor_id: UserId) -> Party:
        """Check that ``actor_id`` may approve a release now, before anything is screened.

        Raises:
            NotAPartyError: the actor is not the payer or the payee.
            InvalidEscrowTransitionError: the escrow is not funded.
        """
        party = self._require_party(actor_id, Party.PAYER, Party.PAYEE)
        next_state(self.state, Action.APPROVE)
        return party

    def _approvals_met(self, *, payer: bool, payee: bool) -> bool:
        return payer and (payee or self.kind is EscrowKind.STANDARD)

    def _approve_milestone(
        self, party: Party, name: str | None, at: datetime, directory: PayoutDirectory
    ) -> None:
        target = next((m for m in self.milestones if m.name == name), None)
        if target is None or target.released:
            raise SettlementRuleError(f"no unreleased milestone named {name!r}")
        if (party is Party.PAYER and target.payer_approved) or (
            party is Party.PAYEE and target.payee_approved
        ):
            return
        target.payer_approved |= party is Party.PAYER
        target.payee_approved |= party is Party.PAYEE
        self._transition(Action.APPROVE, at)
        self._record(ReleaseApproved, at, party=party.value, milestone=target.name)
        if not self._approvals_met(payer=target.payer_approved, payee=target.payee_approved):
            return
        target.released = True
        if all(m.released for m in self.milestones):
            self._release_all(at, directory, reason="milestones")
            return
        self._transition(Action.RELEASE_MILESTONE, at)
        shares = split_payee_side(target.amount, self._owed)
        self.custody_balance -= target.amount
        self._record(
            MilestoneReleased,
            at,
            milestone=target.name,
            amount=target.amount,
            transfers=tuple(self._payee_side_transfers(shares)),
        )
        self._pay_payee_side(shares, PayoutLeg.RELEASE, directory, at)

    def release_due(self, at: datetime) -> bool:
        """Whether the clock releases this escrow at ``at``.

        Only a funded ``standard`` escrow whose custody period has ended; never a
        ``dual_approval``, held or disputed one.
        """
        return (
            self.kind is EscrowKind.STANDARD
            and self.state is EscrowState.FUNDED
            and self.custody_ends_at is not None
            and at >= self.custody_ends_at
        )

    def release_if_due(self, at: datetime, directory: PayoutDirectory) -> bool:
        """Auto-release the escrow if :meth:`release_due`; returns whether it released."""
        due = self.release_due(at)
        if due:
            self._require_destinations(directory)
            self._release_all(at, directory, reason="deadline")
        return due

    def remind_if_due(self, at: datetime) -> bool:
        """Remind the parties of a ``dual_approval`` escrow past its deadline (once a day)."""
        overdue = (
            self.kind is EscrowKind.DUAL_APPROVAL
            and self.state is EscrowState.FUNDED
            and self.custody_ends_at is not None
            and at >= self.custody_ends_at
        )
        recent = (
            self.last_reminded_at is not None and at - self.last_reminded_at < REMINDER_INTERVAL
        )
        if not overdue or recent or self.custody_ends_at is None:
            return False
        self.last_reminded_at = at
        self._record(ReleaseReminderDue, at, custody_ends_at=self.custody_ends_at)
        return True

    # ------------------------------------------------------------------ holds and disputes
    def hold(self, reason: str, at: datetime, *, by_risk: bool = False) -> None:
        """Put a funded escrow on hold: release and payouts pause, nothing moves.

        ``by_risk``: the risk screen decided the hold, so only an approved override (a second
        admin's four-eyes decision) may lift it; see :meth:`clear_hold`.
        """
        self._transition(Action.HOLD, at)
        self.hold_reason = reason
        self.hold_by_risk = by_risk
        self._record(EscrowPutOnHold, at, reason=reason)

    def clear_hold(self, cleared_by: UserId, at: datetime, *, by_override: bool = False) -> None:
        """Clear a hold; the escrow is funded again (and auto-release may follow).

        Raises:
            InvalidEscrowTransitionError: the escrow is not on hold.
            RuleViolationError: the risk screen placed the hold and this is not an approved
                override (one admin alone cannot lift a risk decision).
        """
        if self.state is EscrowState.ON_HOLD and self.hold_by_risk and not by_override:
            raise RuleViolationError(
                f"escrow {self.id} was held by the risk screen: lift it with an approved override"
            )
        self._transition(Action.CLEAR_HOLD, at)
        self.hold_reason = None
        self.hold_by_risk = False
        self._record(EscrowHoldCleared, at, cleared_by=cleared_by)

    def mark_disputed(self, dispute_id: DisputeId, actor_id: UserId, at: datetime) -> None:
        """A party opened a dispute: release freezes immediately.

        Raises:
            NotAPartyError: the actor is not a party.
            InvalidEscrowTransitionError: the escrow is not funded.
        """
        self._require_party(actor_id, Party.PAYER, Party.PAYEE)
        self._transition(Action.DISPUTE, at)
        self.dispute_id = dispute_id
        self._record(EscrowDisputed, at, dispute_id=dispute_id, opened_by=actor_id)

    def resolve(
        self,
        resolution: Resolution,
        at: datetime,
        directory: PayoutDirectory,
        *,
        payee_amount: Money | None = None,
        reason: str,
    ) -> None:
        """Settle a disputed escrow by release, refund or split of what remains in custody.

        Raises:
            InvalidEscrowTransitionError: the escrow is not disputed.
            SettlementRuleError: a split without a payee amount within the custody balance.
        """
        if self.state is not EscrowState.DISPUTED:
            raise InvalidEscrowTransitionError(
                state=self.state.value, action=f"resolve_{resolution.value}"
            )
        self._require_destinations(directory)
        if resolution is Resolution.RELEASE:
            self._release_all(at, directory, reason=reason, action=Action.RESOLVE_RELEASE)
        elif resolution is Resolution.REFUND:
            self._refund_all(at, directory, reason)
        else:
            self._split(payee_amount, at, directory, reason)

    # ------------------------------------------------------------------ settlement
    def _release_all(
        self,
        at: datetime,
        directory: PayoutDirectory,
        *,
        reason: str,
        action: Action = Action.RELEASE,
    ) -> None:
        self._transition(action, at)
        amount = self.custody_balance
        shares = final_payee_side(amount, self.payee_id, self._owed, self.payee_side_paid)
        self._settle(at)
        self._record(
            FundsReleased,
            at,
            amount=amount,
            reason=reason,
            transfers=tuple(self._payee_side_transfers(shares)),
        )
        self._pay_payee_side(shares, PayoutLeg.RELEASE, directory, at)
        self._distribute_yield(at, directory)

    def _refund_all(self, at: datetime, directory: PayoutDirectory, reason: str) -> None:
        self._transition(Action.RESOLVE_REFUND, at)
        amount = self.custody_balance
        self._settle(at)
        self._record(
            EscrowRefunded,
            at,
            amount=amount,
            reason=reason,
            transfers=(Transfer(self._custody_account, self._payer_payable, amount),),
        )
        self._refund_to_sources(amount, at)
        self._distribute_yield(at, directory)

    def _split(
        self, payee_amount: Money | None, at: datetime, directory: PayoutDirectory, reason: str
    ) -> None:
        remaining = self.custody_balance
        if payee_amount is None or not (self._currency_zero <= payee_amount <= remaining):
            raise SettlementRuleError(f"a split needs a payee amount between 0 and {remaining}")
        self._transition(Action.RESOLVE_SPLIT, at)
        payer_amount = remaining - payee_amount
        shares = split_payee_side(payee_amount, self._owed)
        self._settle(at)
        transfers = [
            *self._payee_side_transfers(shares),
            Transfer(self._custody_account, self._payer_payable, payer_amount),
        ]
        self._record(
            EscrowSplit,
            at,
            payee_amount=payee_amount,
            payer_amount=payer_amount,
            reason=reason,
            transfers=tuple(transfers),
        )
        self._pay_payee_side(shares, PayoutLeg.RELEASE, directory, at)
        self._refund_to_sources(payer_amount, at)
        self._distribute_yield(at, directory)

    def _settle(self, at: datetime) -> None:
        self.settled_at = at
        self.custody_balance = self._currency_zero

    def _refund_to_sources(self, amount: Money, at: datetime) -> None:
        for clabe, part in refund_by_source(amount, self.deposits):
            self._schedule(PayoutLeg.REFUND, self.payer_id, part, clabe, at)

    # ------------------------------------------------------------------ yield
    def accrue_yield(self, through: date, annual_rate_ppm: int, at: datetime) -> Money:
        """Accrue daily-compounded yield on the custody balance up to ``through`` (exclusive).

        Only escrows in custody (funded, on hold, disputed) accrue. Returns what accrued.
        """
        if self.state not in CUSTODY or self.yield_accrued_through is None:
            return self._currency_zero
        days = (through - self.yield_accrued_through).days
        if days <= 0:
            return self._currency_zero
        principal = self.custody_balance.amount_minor + self.yield_accrued.amount_minor
        interest, self.yield_carry = accrue_daily(
            principal, annual_rate_ppm, days, self.yield_carry
        )
        self.yield_accrued_through = through
        accrued = Money(interest, self.terms.amount.currency)
        if accrued.is_positive:
            self.yield_accrued += accrued
            currency = accrued.currency
            self._record(
                YieldAccrued,
                at,
                amount=accrued,
                through=through,
                transfers=(
                    Transfer(
                        Account.yield_receivable(currency),
                        Account.escrow_yield(self.id, currency),
                        accrued,
                    ),
                ),
            )
        return accrued

    def _distribute_yield(self, at: datetime, directory: PayoutDirectory) -> None:
        accrued = self.yield_accrued
        if accrued.is_zero:
            return
        payer, platform = split_yield(accrued)
        currency = accrued.currency
        self.yield_accrued = self._currency_zero
        self._record(
            YieldDistributed,
            at,
            payer_amount=payer,
            platform_amount=platform,
            transfers=(
                Transfer(Account.escrow_yield(self.id, currency), self._payer_payable, payer),
                Transfer(
                    Account.escrow_yield(self.id, currency),
                    Account.platform_yield(currency),
                    platform,
                ),
                # The accrued yield is collected as cash when the escrow settles.
                Transfer(Account.rail_cash(currency), Account.yield_receivable(currency), accrued),
            ),
        )
        if payer.is_positive:
            source = next(d.source_clabe for d in self.deposits if d.applied.is_positive)
            self._schedule(PayoutLeg.PAYER_YIELD, self.payer_id, payer, source, at)
        if platform.amount_minor >= 100:  # noqa: PLR2004 - sub-1-MXN shares are not paid out
            self._schedule(PayoutLeg.PLATFORM_YIELD, None, platform, directory.treasury, at)
