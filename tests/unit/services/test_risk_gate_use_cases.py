"""The risk gate: ``block`` refuses and changes nothing, ``hold`` freezes, every screening shows."""

from __future__ import annotations

import hashlib

import pytest

from kustodia_domain.escrow.errors import NotAPartyError
from kustodia_domain.escrow.events import EscrowPutOnHold, FundsReleased, RiskScreened
from kustodia_domain.escrow.payouts import PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.screening import Outcome
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.services.dispute_commands import AddEvidence, OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.shared.errors import NotFoundError, OperationBlockedError, RuleViolationError
from kustodia_domain.shared.money import MXN
from tests.unit.services.scenario import AMOUNT, ScriptedRiskScreen, World, mxn


async def test_a_blocked_escrow_creation_is_refused_and_stores_nothing(
    world: World, risk: ScriptedRiskScreen
) -> None:
    risk.outcomes["escrow.create"] = Outcome.BLOCK
    before = world.snapshot()
    with pytest.raises(OperationBlockedError) as error:
        await world.open()
    assert error.value.reasons == ("scripted_block",)
    assert not world.changed_since(before)


async def test_a_blocked_release_is_refused_and_changes_nothing(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.funded()
    risk.outcomes["release"] = Outcome.BLOCK
    before = world.snapshot()
    with pytest.raises(OperationBlockedError):
        await world.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
        )
    assert not world.changed_since(before)
    assert (await world.escrow(escrow.id)).state is EscrowState.FUNDED


async def test_a_blocked_dispute_is_refused_and_changes_nothing(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.funded()
    risk.outcomes["dispute.opened"] = Outcome.BLOCK
    before = world.snapshot()
    with pytest.raises(OperationBlockedError):
        await world.uc.open_dispute.execute(
            OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="r", details="d")
        )
    assert not world.changed_since(before)


async def test_blocked_evidence_is_refused_and_its_bytes_are_not_kept(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.funded()
    dispute = await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="r", details="d")
    )
    risk.outcomes["dispute.evidence_uploaded"] = Outcome.BLOCK
    data = b"%PDF-1.7 forged receipt"
    before = world.snapshot()
    with pytest.raises(OperationBlockedError):
        await world.uc.add_evidence.execute(
            AddEvidence(
                dispute_id=dispute.id,
                actor_id=world.payer.id,
                is_admin=False,
                filename="receipt.pdf",
                content_type="application/pdf",
                data=data,
            )
        )
    assert not world.changed_since(before)
    with pytest.raises(NotFoundError):
        await world.uc.add_evidence.blobs.get(hashlib.sha256(data).hexdigest())


async def test_a_hold_on_release_puts_the_escrow_on_hold_instead_of_releasing_it(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.funded()
    risk.outcomes["release"] = Outcome.HOLD
    returned = await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    stored = await world.escrow(escrow.id)
    assert returned.state is stored.state is EscrowState.ON_HOLD
    assert stored.custody_balance == mxn(AMOUNT)
    assert stored.payouts == []
    assert stored.payer_approved is False
    assert await world.events(escrow.id, FundsReleased) == []
    [hold] = await world.events(escrow.id, EscrowPutOnHold)
    assert "scripted_hold" in hold.reason
    assert await world.held(Account.custody(escrow.id, MXN)) == AMOUNT


async def test_a_hold_at_the_deadline_stops_the_scheduler_from_releasing(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.funded()
    assert escrow.custody_ends_at is not None
    world.app.clock.set(escrow.custody_ends_at)
    risk.outcomes["release"] = Outcome.HOLD
    report = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert report.released == 0
    assert (await world.escrow(escrow.id)).state is EscrowState.ON_HOLD
    assert await world.events(escrow.id, FundsReleased) == []


async def test_a_broker_cannot_put_an_escrow_on_hold_by_asking_for_its_release(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.funded(commissions=((world.broker.email, 500),))
    risk.outcomes["release"] = Outcome.HOLD
    before = world.snapshot()
    with pytest.raises(NotAPartyError):
        await world.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=world.broker.id)
        )
    assert not world.changed_since(before)
    assert (await world.escrow(escrow.id)).state is EscrowState.FUNDED


async def test_payouts_of_an_escrow_the_risk_screen_held_wait_and_one_admin_cannot_clear_it(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.open(custody_percent=40)
    risk.outcomes["escrow.fund"] = Outcome.HOLD
    assert await world.deposit(escrow) is DepositOutcome.APPLIED
    held = await world.escrow(escrow.id)
    assert held.state is EscrowState.ON_HOLD
    [immediate] = held.payouts
    assert immediate.leg is PayoutLeg.IMMEDIATE

    assert await world.uc.dispatch_payouts.execute() == 0
    assert world.app.rail.sent == []
    assert (await world.escrow(escrow.id)).payouts[0].status is PayoutStatus.PENDING

    with pytest.raises(RuleViolationError):  # a risk hold is lifted by an override only
        await world.uc.clear_hold.execute(HoldEscrow(escrow_id=escrow.id, admin_id=world.admin.id))
    assert await world.uc.dispatch_payouts.execute() == 0
    assert world.app.rail.sent == []
    assert (await world.escrow(escrow.id)).state is EscrowState.ON_HOLD


async def test_an_admin_hold_stops_the_payouts_of_that_escrow_only(world: World) -> None:
    held = await world.funded(custody_percent=50)
    other = await world.funded(custody_percent=50)
    await world.uc.hold_escrow.execute(
        HoldEscrow(escrow_id=held.id, admin_id=world.admin.id, reason="chargeback report")
    )
    assert await world.uc.dispatch_payouts.execute() == 1
    assert [o.payout_id for o in world.app.rail.sent] == [p.id for p in other.payouts]
    assert {p.status for p in (await world.escrow(held.id)).payouts} == {PayoutStatus.PENDING}


async def test_every_screening_of_an_escrow_shows_in_its_timeline(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.open()
    await world.deposit(escrow)
    risk.outcomes["release"] = Outcome.FLAG
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payee.id)
    )
    await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="r", details="d")
    )
    screened = await world.events(escrow.id, RiskScreened)
    assert [(e.operation, e.outcome) for e in screened] == [
        ("escrow.create", "allow"),
        ("escrow.fund", "allow"),
        ("release", "flag"),
        ("dispute.opened", "allow"),
    ]
    assert screened[2].rules == ("scripted_flag",)
    assert {e.ruleset for e in screened} == {"scripted-ruleset"}
    escrow_kinds = [e.kind for e in risk.screened if e.escrow_id == escrow.id]
    assert escrow_kinds == ["escrow.create", "escrow.fund", "release", "dispute.opened"]


async def test_a_blocked_deposit_is_kept_in_suspense_never_dropped_nor_applied(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.open()
    risk.outcomes["escrow.fund"] = Outcome.BLOCK
    command = world.deposit_command(escrow, AMOUNT)
    assert await world.uc.record_deposit.execute(command) is DepositOutcome.UNMATCHED
    assert await world.held(Account.suspense(MXN)) == AMOUNT
    assert [d.tracking_key for d in await world.unmatched()] == [command.tracking_key]
    stored = await world.escrow(escrow.id)
    assert (stored.state, stored.deposits) == (EscrowState.AWAITING_FUNDS, [])
    await world.assert_books_balance()


async def test_a_blocked_deposit_replayed_after_the_block_is_lifted_is_still_a_duplicate(
    world: World, risk: ScriptedRiskScreen
) -> None:
    escrow = await world.open()
    risk.outcomes["escrow.fund"] = Outcome.BLOCK
    command = world.deposit_command(escrow, AMOUNT)
    await world.uc.record_deposit.execute(command)
    risk.outcomes.clear()
    before, screened = world.snapshot(), len(risk.screened)
    assert await world.uc.record_deposit.execute(command) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)
    assert len(risk.screened) == screened  # money already held is not screened again
    assert await world.held(Account.rail_cash(MXN)) == AMOUNT
