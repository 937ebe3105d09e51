"""Payout lifecycle on the escrow: sent, confirmed, returned, reissued, and completion."""

from __future__ import annotations

from datetime import datetime

from kustodia_domain.escrow.errors import PayoutStateError
from kustodia_domain.escrow.events import (
    EscrowCompleted,
    PayoutConfirmed,
    PayoutReturned,
    PayoutSent,
    Transfer,
)
from kustodia_domain.escrow.payouts import Payout, PayoutStatus
from kustodia_domain.escrow.screening import ScreeningMixin
from kustodia_domain.escrow.states import Action, allows
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError


class PayoutBook(ScreeningMixin):
    """Commands on the escrow's payouts."""

    def payout(self, payout_id: str) -> Payout:
        """The payout with ``payout_id``.

        Raises:
            NotFoundError: this escrow has no such payout.
        """
        for payout in self.payouts:
            if payout.id == payout_id:
                return payout
        raise NotFoundError("payout", payout_id)

    @property
    def live_payouts(self) -> list[Payout]:
        """The latest attempt of every payout leg."""
        latest: dict[int, Payout] = {}
        for payout in self.payouts:
            if payout.ordinal not in latest or payout.attempt > latest[payout.ordinal].attempt:
                latest[payout.ordinal] = payout
        return list(latest.values())

    def mark_payout_sent(self, payout_id: str, at: datetime, rail_reference: str | None) -> None:
        """The rail accepted the instruction (idempotent)."""
        payout = self.payout(payout_id)
        if payout.status is PayoutStatus.SENT:
            return
        payout.mark_sent(at, rail_reference)
        self._record(PayoutSent, at, payout_id=payout.id)

    def confirm_payout(self, payout_id: str, at: datetime) -> None:
        """The rail confirmed the payout: money leaves the ledger; may complete the escrow.

        A payout already confirmed is left alone, so a replayed confirmation changes nothing.
        """
        payout = self.payout(payout_id)
        if payout.status is PayoutStatus.CONFIRMED:
            return
        payout.mark_confirmed(at)
        self._record(
            PayoutConfirmed,
            at,
            payout_id=payout.id,
            transfers=(
                Transfer(
                    payout.debit_account(), Account.rail_cash(payout.amount.currency), payout.amount
                ),
            ),
        )
        self._complete_if_paid(at)

    def return_payout(self, payout_id: str, at: datetime) -> None:
        """The beneficiary's bank returned the payout: money is owed again; flag for review."""
        payout = self.payout(payout_id)
        if payout.status is PayoutStatus.RETURNED:
            return
        was_confirmed = payout.mark_returned(at)
        transfers = (
            (
                Transfer(
                    Account.rail_cash(payout.amount.currency), payout.debit_account(), payout.amount
                ),
            )
            if was_confirmed
            else ()
        )
        self._record(PayoutReturned, at, payout_id=payout.id, transfers=transfers)
        self.flag_for_review(f"payout {payout.id} returned by the receiving bank", at)

    def current_attempt(self, payout_id: str) -> Payout:
        """The latest attempt of the payout leg that ``payout_id`` belongs to.

        Every attempt of a leg shares its ordinal; the one with the highest attempt number is the
        only one the rail may still act on, so it is the one a reissue must continue from.

        Raises:
            NotFoundError: this escrow has no such payout.
        """
        ordinal = self.payout(payout_id).ordinal
        return max((p for p in self.payouts if p.ordinal == ordinal), key=lambda p: p.attempt)

    def reissuable_payout(self, payout_id: str) -> Payout:
        """The payout ``payout_id``, once checked that it may be reissued now; changes nothing.

        Only the latest attempt of a leg, and only once it was returned, may be reissued. A
        superseded attempt is refused even though it is ``returned``: its next attempt exists
        already, and rebuilding it would give two payouts one id and one idempotency key.

        Raises:
            NotFoundError: this escrow has no such payout.
            PayoutStateError: a later attempt superseded the payout (the message names the
                current one), or the payout was not returned.
        """
        payout = self.payout(payout_id)
        current = self.current_attempt(payout_id)
        if current.attempt > payout.attempt:
            raise PayoutStateError(
                f"payout {payout_id} is attempt {payout.attempt}, superseded by attempt"
                f" {current.attempt} ({current.id}, {current.status}); only the current attempt"
                " may be reissued"
            )
        if payout.status is not PayoutStatus.RETURNED:
            raise PayoutStateError(f"payout {payout_id} was not returned")
        return payout

    def reissue_payout(self, payout_id: str, destination: Clabe, at: datetime) -> Payout:
        """Send a returned payout again, as the next attempt of its leg, to ``destination``.

        Raises:
            NotFoundError: this escrow has no such payout.
            PayoutStateError: the payout is not the current attempt of its leg, or was not
                returned (see :meth:`reissuable_payout`); nothing changed.
        """
        payout = self.reissuable_payout(payout_id)
        reissued = self._schedule(
            payout.leg,
            payout.beneficiary_id,
            payout.amount,
            destination,
            at,
            ordinal=payout.ordinal,
            attempt=payout.attempt + 1,
        )
        assert reissued is not None  # noqa: S101 - a returned payout always has a positive amount
        return reissued

    def _complete_if_paid(self, at: datetime) -> None:
        if not allows(self.state, Action.COMPLETE):
            return
        if all(p.status is PayoutStatus.CONFIRMED for p in self.live_payouts):
            self._transition(Action.COMPLETE, at)
            self._record(EscrowCompleted, at)
