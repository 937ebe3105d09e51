"""Use cases of the payout lifecycle after dispatch: confirmation, return, reissue.

Dispatch itself, with the screening of every payout, is :mod:`.dispatch_payouts`.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout, PayoutStatus
from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_records import payout_noticed, payout_reissued
from kustodia_domain.services.dispatch_payouts import REFUND_LEGS
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, apply, escrow_facts
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError


async def _escrow_of(uow: UnitOfWork, payout_id: str) -> Escrow:
    escrow = await uow.escrows.find_by_payout(payout_id)
    if escrow is None:
        raise NotFoundError("payout", payout_id)
    return escrow


def returned_facts(escrow: Escrow, payout: Payout) -> dict[str, FactValue]:
    """What the screen reads of a returned payout: where it went and, if a user, to whom."""
    facts: dict[str, FactValue] = {
        **escrow_facts(escrow),
        "destination_clabe": payout.destination.value,
    }
    if payout.leg not in REFUND_LEGS and payout.beneficiary_id is not None:
        facts["payee_id"] = payout.beneficiary_id  # a broker's commission names the broker
    return facts


@attrs.frozen(kw_only=True)
class PayoutNotice:
    """The rail's word on a payout (``confirmed`` or ``returned``)."""

    payout_id: str


@attrs.frozen
class ConfirmPayoutHandler:
    """Records a confirmed payout: money leaves the ledger.

    A settled escrow whose payouts are all confirmed completes. A repeated confirmation
    changes nothing.

    Raises: NotFoundError, PayoutStateError (e.g. a returned payout).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: PayoutNotice) -> Escrow:
        async with self.uow() as uow:
            escrow = await _escrow_of(uow, cmd.payout_id)
            now = self.clock.now()
            escrow.confirm_payout(cmd.payout_id, now)
            if escrow.pending_events:  # a repeated confirmation changes nothing, audits nothing
                await uow.audit.add(payout_noticed("payout.confirmed", cmd.payout_id, escrow, now))
            await persist_escrow(uow, escrow, self.ids)
            await uow.commit()
        return escrow


@attrs.frozen
class ReturnPayoutHandler:
    """Records a returned payout (devolución): the money is owed again.

    The escrow is flagged for review, and the return is screened (``payout.returned``: repeated
    returns to one CLABE are suspect); the money already came back, so a ``block`` cannot undo
    the return and only its follow-ups apply. A repeated return changes nothing.

    Raises: NotFoundError, PayoutStateError (a payout never sent).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    risk: RiskGate

    async def execute(self, cmd: PayoutNotice) -> Escrow:
        now = self.clock.now()
        async with self.risk.session() as risk, self.uow() as uow:
            escrow = await _escrow_of(uow, cmd.payout_id)
            payout = escrow.payout(cmd.payout_id)
            first = payout.status is not PayoutStatus.RETURNED
            escrow.return_payout(cmd.payout_id, now)
            if first:
                screening = await risk.screen(
                    "payout.returned",
                    actor_id=None,
                    at=now,
                    escrow_id=escrow.id,
                    amount=payout.amount,
                    attributes=returned_facts(escrow, payout),
                    # One return per payout attempt: a retried notice must not count twice.
                    event_id=f"rke-{payout.id}-returned",
                )
                apply(escrow, screening, "payout.returned", now)
            if escrow.pending_events:  # a repeated return changes nothing, audits nothing
                await uow.audit.add(payout_noticed("payout.returned", cmd.payout_id, escrow, now))
            await persist_escrow(uow, escrow, self.ids)
            await uow.commit()
        return escrow


@attrs.frozen(kw_only=True)
class ReissuePayout:
    """Send a returned payout again; ``destination`` defaults to the original one.

    ``requested_by`` is the admin who asked, recorded in the audit trail.
    """

    payout_id: str
    destination: str | None = None
    requested_by: str | None = None


@attrs.frozen
class ReissuePayoutHandler:
    """An admin reissues a returned payout as a new attempt with a new idempotency key.

    A refund reissued to another CLABE is screened at once (``refund``: refunds go back only to
    the account that funded the escrow), so the admin hears of a ``block`` now; every attempt is
    screened again when it is dispatched.

    Only the latest attempt of a payout may be reissued: naming an attempt that a later one
    superseded is refused, and the error names the current attempt. The new attempt commits
    with its audit record (``payout.reissued``).

    Raises: NotFoundError, PayoutStateError (superseded or not returned; nothing changes, nothing
    is screened), ValidationError (bad CLABE), OperationBlockedError (nothing changes).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    risk: RiskGate

    async def execute(self, cmd: ReissuePayout) -> Escrow:
        now = self.clock.now()
        async with self.risk.session() as risk, self.uow() as uow:
            escrow = await _escrow_of(uow, cmd.payout_id)
            # Refuse a payout that cannot be reissued before screening it: a refused reissue
            # must leave no alert and no list change behind.
            original = escrow.reissuable_payout(cmd.payout_id)
            destination = Clabe(cmd.destination) if cmd.destination else original.destination
            if original.leg in REFUND_LEGS and destination != original.destination:
                screening = await risk.check(
                    "refund",
                    actor_id=None,
                    at=now,
                    escrow_id=escrow.id,
                    amount=original.amount,
                    attributes={**escrow_facts(escrow), "destination_clabe": destination.value},
                )
                apply(escrow, screening, "refund", now)
            escrow.reissue_payout(cmd.payout_id, destination, now)
            await persist_escrow(uow, escrow, self.ids)
            moved = destination != original.destination
            record = payout_reissued(
                cmd.requested_by, cmd.payout_id, escrow, new_destination=moved, at=now
            )
            await uow.audit.add(record)
            await uow.commit()
        return escrow
