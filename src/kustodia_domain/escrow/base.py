"""State and primitives of the escrow aggregate, shared by its command mixins.

Only this module assigns ``state`` (in ``_transition``, through the transition table) and only
``_record`` appends events, numbering them so that ledger keys derived from them are stable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from kustodia_domain.escrow.deposits import Deposit
from kustodia_domain.escrow.directory import PayoutDirectory
from kustodia_domain.escrow.errors import NotAPartyError, PayoutStateError
from kustodia_domain.escrow.events import EscrowEvent, PayoutScheduled, Transfer
from kustodia_domain.escrow.payouts import Payout, PayoutLeg
from kustodia_domain.escrow.settlement import payee_side_owed
from kustodia_domain.escrow.states import Action, EscrowState, next_state
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind, EscrowTerms, Party
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import DisputeId, EscrowId, PayoutId, UserId
from kustodia_domain.shared.money import Money
from kustodia_domain.shared.time import ensure_utc


@attrs.define(kw_only=True)
class Milestone:
    """A named part of the custody amount, released on its own approval."""

    name: str
    amount: Money
    released: bool = False
    payer_approved: bool = False
    payee_approved: bool = False


@attrs.define(kw_only=True)
class EscrowBase:
    """Fields of the escrow and the primitives every command uses."""

    id: EscrowId
    kind: EscrowKind
    created_by: CreatorRole
    payer_id: UserId
    payee_id: UserId
    terms: EscrowTerms
    fee: Money
    reference: str
    deposit_clabe: Clabe
    state: EscrowState
    created_at: datetime
    updated_at: datetime
    funding_deadline: datetime | None = None
    funded_at: datetime | None = None
    custody_ends_at: datetime | None = None
    payer_approved: bool = False
    payee_approved: bool = False
    milestones: list[Milestone] = attrs.field(factory=list)
    deposits: list[Deposit] = attrs.field(factory=list)
    payouts: list[Payout] = attrs.field(factory=list)
    custody_balance: Money
    payee_side_paid: dict[UserId, Money] = attrs.field(factory=dict)
    yield_accrued: Money
    yield_carry: int = 0
    yield_accrued_through: date | None = None
    dispute_id: DisputeId | None = None
    hold_reason: str | None = None
    hold_by_risk: bool = False
    """The current hold was placed by the risk screen: only an approved override lifts it."""
    settled_at: datetime | None = None
    needs_review: bool = False
    review_reasons: list[str] = attrs.field(factory=list)
    last_reminded_at: datetime | None = None
    event_sequence: int = 0
    version: int = 0
    pending_events: list[EscrowEvent] = attrs.field(factory=list, eq=False, repr=False)

    def pull_events(self) -> list[EscrowEvent]:
        """Hand over the events recorded since the last pull (the use case persists them)."""
        events, self.pending_events = self.pending_events, []
        return events

    def party_of(self, user_id: str) -> Party | None:
        """Which party ``user_id`` is, if any."""
        if user_id == self.payer_id:
            return Party.PAYER
        if user_id == self.payee_id:
            return Party.PAYEE
        return None

    def involves(self, user_id: str) -> bool:
        """Whether ``user_id`` is a party or a broker (who may see the escrow)."""
        return self.party_of(user_id) is not None or any(
            c.broker_id == user_id for c in self.terms.commissions
        )

    def _require_party(self, user_id: str, *allowed: Party) -> Party:
        party = self.party_of(user_id)
        if party is None or party not in allowed:
            raise NotAPartyError(f"user {user_id} may not do this on escrow {self.id}")
        return party

    def _init_milestones(self) -> None:
        self.milestones = [
            Milestone(name=spec.name, amount=amount)
            for spec, amount in zip(
                self.terms.milestones, self.terms.milestone_amounts, strict=True
            )
        ]

    def _transition(self, action: Action, at: datetime) -> None:
        self.state = next_state(self.state, action)
        self.updated_at = ensure_utc(at)

    def _record(self, event_type: type[EscrowEvent], at: datetime, **fields: Any) -> None:
        self.event_sequence += 1
        self.pending_events.append(
            event_type(
                aggregate_id=self.id,
                sequence=self.event_sequence,
                occurred_at=ensure_utc(at),
                **fields,
            )
        )

    @property
    def _currency_zero(self) -> Money:
        return Money.zero(self.terms.amount.currency)

    @property
    def _custody_account(self) -> Account:
        return Account.custody(self.id, self.terms.amount.currency)

    @property
    def _payer_payable(self) -> Account:
        return Account.payable(self.payer_id, self.terms.amount.currency)

    @property
    def _owed(self) -> dict[UserId, Money]:
        return payee_side_owed(self.payee_id, self.terms)

    def _schedule(
        self,
        leg: PayoutLeg,
        beneficiary: UserId | None,
        amount: Money,
        destination: Clabe,
        at: datetime,
        *,
        ordinal: int | None = None,
        attempt: int = 1,
    ) -> Payout | None:
        """Append a payout for ``amount`` (none for a zero amount) and record it as scheduled.

        Without ``ordinal`` the payout opens a new leg; with it, it is ``attempt`` of that leg.

        Invariant: no two payouts of the escrow share an id or an idempotency key.

        Raises:
            PayoutStateError: the escrow already holds this attempt of this leg; nothing is
                appended.
        """
        if not amount.is_positive:
            return None
        ordinal = len({p.ordinal for p in self.payouts}) + 1 if ordinal is None else ordinal
        payout = Payout(
            id=PayoutId(f"{self.id}-p{ordinal}" + (f"-a{attempt}" if attempt > 1 else "")),
            escrow_id=self.id,
            ordinal=ordinal,
            leg=leg,
            beneficiary_id=beneficiary,
            amount=amount,
            destination=destination,
            attempt=attempt,
            created_at=at,
            updated_at=at,
        )
        self._require_new_payout(payout)
        self.payouts.append(payout)
        self._record(
            PayoutScheduled,
            at,
            payout_id=payout.id,
            leg=leg.value,
            beneficiary_id=beneficiary,
            amount=amount,
            idempotency_key=payout.idempotency_key,
        )
        return payout

    def _require_new_payout(self, payout: Payout) -> None:
        # The outbox and the stores take an existing idempotency key or payout id for work
        # already done and skip it, so a duplicate would be scheduled but never sent. Refuse it
        # here, where every payout is created, whichever command asked for it.
        for existing in self.payouts:
            if payout.id == existing.id or payout.idempotency_key == existing.idempotency_key:
                raise PayoutStateError(
                    f"escrow {self.id} already holds payout {existing.id} (leg"
                    f" {existing.ordinal}, attempt {existing.attempt}); a payout is never"
                    " scheduled twice"
                )

    def _payee_side_transfers(self, shares: dict[UserId, Money]) -> list[Transfer]:
        currency = self.terms.amount.currency
        return [
            Transfer(self._custody_account, Account.payable(user, currency), amount)
            for user, amount in shares.items()
        ]

    def _pay_payee_side(
        self,
        shares: dict[UserId, Money],
        payee_leg: PayoutLeg,
        directory: PayoutDirectory,
        at: datetime,
    ) -> None:
        for user, amount in shares.items():
            self.payee_side_paid[user] = (
                self.payee_side_paid.get(user, self._currency_zero) + amount
            )
            leg = payee_leg if user == self.payee_id else PayoutLeg.COMMISSION
            if amount.is_positive:
                self._schedule(leg, user, amount, directory.destination(user), at)

    def _require_destinations(self, directory: PayoutDirectory) -> None:
        # Resolve every payee-side destination before anything changes, so a missing payout
        # account fails the command cleanly instead of half-way through a settlement.
        for user in self._owed:
            directory.destination(user)
