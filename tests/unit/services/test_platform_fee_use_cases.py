"""A platform fee above zero is charged on top, posted to the ledger and paid to the treasury."""

from __future__ import annotations

import pytest

from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.events import EscrowFunded
from kustodia_domain.escrow.payouts import PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import EscrowKind, FeeSchedule
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.payouts import PayoutNotice
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.services.resolve_dispute import ResolveDispute
from kustodia_domain.shared.money import MXN
from tests.unit.services.scenario import PAYEE_PAYOUT, SOURCE_A, TREASURY, World, build_world, mxn

AMOUNT = 1_000_000
STANDARD_FEE = 25_000  # 2.5 %
DUAL_FEE = 40_000  # 4 %
FEES = Account.platform_fees(MXN)


@pytest.fixture
async def fee_world() -> World:
    return await build_world(
        policy=PlatformPolicy(fees=FeeSchedule(standard_bps=250, dual_approval_bps=400))
    )


async def test_a_deposit_of_exactly_the_amount_due_funds_the_escrow_and_charges_the_fee(
    fee_world: World,
) -> None:
    world = fee_world
    escrow = await world.open(amount=AMOUNT)
    assert await world.deposit(escrow, AMOUNT + STANDARD_FEE) is DepositOutcome.APPLIED
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.FUNDED
    assert stored.custody_balance == mxn(AMOUNT)
    assert await world.held(FEES) == STANDARD_FEE
    assert await world.held(Account.custody(escrow.id, MXN)) == AMOUNT
    [funded] = await world.events(escrow.id, EscrowFunded)
    assert funded.fee == mxn(STANDARD_FEE)
    [fee] = stored.payouts
    assert (fee.leg, fee.amount, fee.destination, fee.beneficiary_id) == (
        PayoutLeg.PLATFORM_FEE,
        mxn(STANDARD_FEE),
        TREASURY,
        None,
    )
    await world.assert_books_balance()


async def test_a_deposit_of_only_the_amount_leaves_the_fee_still_due(fee_world: World) -> None:
    world = fee_world
    escrow = await world.open(amount=AMOUNT)
    await world.deposit(escrow, AMOUNT)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.AWAITING_FUNDS
    assert stored.funding_instructions is not None
    assert stored.funding_instructions.amount_due == mxn(STANDARD_FEE)
    assert await world.held(FEES) == 0


async def test_the_fee_is_swept_to_the_treasury_and_the_seller_gets_the_whole_amount(
    fee_world: World,
) -> None:
    world = fee_world
    escrow = await world.funded(amount=AMOUNT)
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    await world.dispatch_and_confirm(escrow.id)
    assert sorted((o.destination.value, o.amount.amount_minor) for o in world.app.rail.sent) == (
        sorted([(TREASURY.value, STANDARD_FEE), (PAYEE_PAYOUT.value, AMOUNT)])
    )
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.COMPLETED
    assert await world.held(FEES) == 0
    assert await world.held(Account.rail_cash(MXN)) == 0
    await world.assert_books_balance()


async def test_a_dual_approval_escrow_is_charged_its_own_fee(fee_world: World) -> None:
    world = fee_world
    escrow = await world.funded(kind=EscrowKind.DUAL_APPROVAL, amount=AMOUNT)
    assert escrow.amount_due == mxn(AMOUNT + DUAL_FEE)
    assert await world.held(FEES) == DUAL_FEE
    assert [(p.leg, p.amount) for p in escrow.payouts] == [(PayoutLeg.PLATFORM_FEE, mxn(DUAL_FEE))]


async def test_an_escrow_completes_only_once_the_fee_payout_is_confirmed_too(
    fee_world: World,
) -> None:
    world = fee_world
    escrow = await world.funded(amount=AMOUNT, custody_percent=0)
    assert escrow.state is EscrowState.RELEASED
    legs = {p.leg: p for p in escrow.payouts}
    assert set(legs) == {PayoutLeg.PLATFORM_FEE, PayoutLeg.IMMEDIATE}
    await world.uc.dispatch_payouts.execute()
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=legs[PayoutLeg.IMMEDIATE].id))
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=legs[PayoutLeg.PLATFORM_FEE].id))
    completed = await world.escrow(escrow.id)
    assert completed.state is EscrowState.COMPLETED
    assert {p.status for p in completed.payouts} == {PayoutStatus.CONFIRMED}


async def test_a_refund_after_a_dispute_returns_the_custody_and_the_fee_stays_charged(
    fee_world: World,
) -> None:
    world = fee_world
    escrow = await world.funded(amount=AMOUNT)
    dispute = await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="r", details="d")
    )
    await world.uc.resolve_dispute.execute(
        ResolveDispute(
            dispute_id=dispute.id,
            admin_id=world.admin.id,
            resolution=Resolution.REFUND,
            reason="never shipped",
        )
    )
    refunds = await world.payouts(escrow.id, PayoutLeg.REFUND)
    assert [(p.amount, p.destination) for p in refunds] == [(mxn(AMOUNT), SOURCE_A)]
    assert await world.held(FEES) == STANDARD_FEE
    await world.assert_books_balance()
