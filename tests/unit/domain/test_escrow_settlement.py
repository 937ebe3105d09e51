"""Release, disputes, holds, resolutions and payouts: settlement happens at most once."""

from datetime import timedelta

import pytest

from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.directory import MissingPayoutAccountError, PayoutDirectory
from kustodia_domain.escrow.errors import (
    InvalidEscrowTransitionError,
    PayoutStateError,
    SettlementRuleError,
)
from kustodia_domain.escrow.events import SETTLEMENT_EVENTS
from kustodia_domain.escrow.payouts import PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import Commission, EscrowKind, MilestoneSpec
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.ids import DisputeId
from kustodia_domain.shared.money import MXN
from tests.support.escrows import (
    BROKER,
    BROKER_PAYOUT,
    DIRECTORY,
    PAYEE,
    PAYEE_PAYOUT,
    PAYER,
    SOURCE_A,
    SOURCE_B,
    T0,
    TREASURY,
    LedgerMirror,
    deposit,
    funded_escrow,
    mxn,
    open_escrow,
    terms,
)

AFTER_DEADLINE = T0 + timedelta(days=5)


def test_a_standard_escrow_is_released_by_the_clock_exactly_at_its_deadline() -> None:
    escrow = funded_escrow()
    assert not escrow.release_if_due(AFTER_DEADLINE - timedelta(seconds=1), DIRECTORY)
    assert escrow.release_if_due(AFTER_DEADLINE, DIRECTORY)
    assert escrow.state is EscrowState.RELEASED
    assert [(p.leg, p.amount, p.destination) for p in escrow.payouts] == [
        (PayoutLeg.RELEASE, mxn(100_000), PAYEE_PAYOUT)
    ]


def test_the_payers_approval_releases_a_standard_escrow_early() -> None:
    escrow = funded_escrow()
    escrow.approve_release(PAYEE, T0, DIRECTORY)
    assert escrow.state is EscrowState.FUNDED
    escrow.approve_release(PAYER, T0, DIRECTORY)
    assert escrow.state is EscrowState.RELEASED


def test_a_dual_approval_escrow_is_never_released_by_the_deadline_alone() -> None:
    escrow = funded_escrow(kind=EscrowKind.DUAL_APPROVAL)
    assert not escrow.release_if_due(AFTER_DEADLINE + timedelta(days=400), DIRECTORY)
    escrow.approve_release(PAYER, T0, DIRECTORY)
    assert escrow.state is EscrowState.FUNDED
    escrow.approve_release(PAYEE, T0, DIRECTORY)
    assert escrow.state is EscrowState.RELEASED


def test_an_overdue_dual_approval_escrow_reminds_the_parties_once_a_day() -> None:
    escrow = funded_escrow(kind=EscrowKind.DUAL_APPROVAL)
    assert not escrow.remind_if_due(AFTER_DEADLINE - timedelta(hours=1))
    assert escrow.remind_if_due(AFTER_DEADLINE)
    assert not escrow.remind_if_due(AFTER_DEADLINE + timedelta(hours=23))
    assert escrow.remind_if_due(AFTER_DEADLINE + timedelta(days=1))


def test_a_dispute_opened_a_minute_before_the_deadline_blocks_auto_release() -> None:
    escrow = funded_escrow()
    escrow.mark_disputed(DisputeId("dsp_1"), PAYER, AFTER_DEADLINE - timedelta(minutes=1))
    assert not escrow.release_if_due(AFTER_DEADLINE + timedelta(days=30), DIRECTORY)
    assert escrow.state is EscrowState.DISPUTED
    with pytest.raises(InvalidEscrowTransitionError):
        escrow.approve_release(PAYER, AFTER_DEADLINE, DIRECTORY)


def test_a_held_escrow_is_never_released_and_resumes_when_cleared() -> None:
    escrow = funded_escrow()
    escrow.hold("fraud review", T0)
    assert not escrow.release_if_due(AFTER_DEADLINE, DIRECTORY)
    with pytest.raises(InvalidEscrowTransitionError):
        escrow.approve_release(PAYER, T0, DIRECTORY)
    escrow.clear_hold(PAYER, AFTER_DEADLINE)
    assert escrow.release_if_due(AFTER_DEADLINE, DIRECTORY)


def test_disputes_are_only_opened_while_funded_and_only_by_a_party() -> None:
    unfunded = open_escrow()
    with pytest.raises(InvalidEscrowTransitionError):
        unfunded.mark_disputed(DisputeId("d"), PAYER, T0)
    released = funded_escrow()
    released.approve_release(PAYER, T0, DIRECTORY)
    with pytest.raises(InvalidEscrowTransitionError):
        released.mark_disputed(DisputeId("d"), PAYER, T0)


def test_a_refund_goes_only_to_the_source_clabes_in_proportion() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(75_000, "t1", SOURCE_A), T0, DIRECTORY)
    escrow.receive_deposit(deposit(25_000, "t2", SOURCE_B), T0, DIRECTORY)
    escrow.mark_disputed(DisputeId("d"), PAYEE, T0)
    escrow.resolve(Resolution.REFUND, T0, DIRECTORY, reason="item never shipped")
    refunds = {p.destination: p.amount for p in escrow.payouts}
    assert refunds == {SOURCE_A: mxn(75_000), SOURCE_B: mxn(25_000)}
    assert escrow.state is EscrowState.REFUNDED


def test_a_split_pays_the_payee_its_amount_and_refunds_the_rest() -> None:
    escrow = funded_escrow()
    escrow.mark_disputed(DisputeId("d"), PAYER, T0)
    escrow.resolve(
        Resolution.SPLIT, T0, DIRECTORY, payee_amount=mxn(60_000), reason="partly delivered"
    )
    assert escrow.state is EscrowState.SPLIT
    legs = {(p.leg, p.destination): p.amount for p in escrow.payouts}
    assert legs == {
        (PayoutLeg.RELEASE, PAYEE_PAYOUT): mxn(60_000),
        (PayoutLeg.REFUND, SOURCE_A): mxn(40_000),
    }


@pytest.mark.parametrize("payee_amount", [None, -1, 100_001])
def test_an_impossible_split_is_rejected_and_changes_nothing(payee_amount: int | None) -> None:
    escrow = funded_escrow()
    escrow.mark_disputed(DisputeId("d"), PAYER, T0)
    escrow.pull_events()
    amount = None if payee_amount is None else mxn(payee_amount)
    with pytest.raises(SettlementRuleError):
        escrow.resolve(Resolution.SPLIT, T0, DIRECTORY, payee_amount=amount, reason="x")
    assert escrow.state is EscrowState.DISPUTED
    assert escrow.pull_events() == []


def test_a_second_settlement_is_refused() -> None:
    escrow = funded_escrow()
    escrow.mark_disputed(DisputeId("d"), PAYER, T0)
    escrow.resolve(Resolution.RELEASE, T0, DIRECTORY, reason="delivered")
    with pytest.raises(InvalidEscrowTransitionError):
        escrow.resolve(Resolution.REFUND, T0, DIRECTORY, reason="again")
    with pytest.raises(InvalidEscrowTransitionError):
        escrow.approve_release(PAYER, T0, DIRECTORY)
    assert not escrow.release_if_due(AFTER_DEADLINE, DIRECTORY)
    settlements = [e for e in escrow.pull_events() if isinstance(e, SETTLEMENT_EVENTS)]
    assert len(settlements) == 1


def test_brokers_are_paid_exactly_their_commission_deducted_from_the_seller() -> None:
    escrow = funded_escrow(
        terms(100_001, custody_percent=33, commissions=(Commission(BROKER, 250),)), fee=0
    )
    escrow.approve_release(PAYER, T0, DIRECTORY)
    paid = dict.fromkeys((PAYEE_PAYOUT, BROKER_PAYOUT), 0)
    for payout in escrow.payouts:
        paid[payout.destination] += payout.amount.amount_minor
    assert paid[BROKER_PAYOUT] == 2_500  # 2.5 % of 1,000.01 MXN, rounded by allocate
    assert paid[PAYEE_PAYOUT] == 100_001 - 2_500


def test_the_fee_is_swept_to_the_treasury_and_counts_as_revenue() -> None:
    escrow = funded_escrow(fee=3_000)
    fee = [p for p in escrow.payouts if p.leg is PayoutLeg.PLATFORM_FEE]
    assert [(p.amount, p.destination, p.beneficiary_id) for p in fee] == [
        (mxn(3_000), TREASURY, None)
    ]


def test_a_missing_payout_account_fails_the_release_cleanly() -> None:
    escrow = funded_escrow()
    escrow.pull_events()
    with pytest.raises(MissingPayoutAccountError):
        escrow.approve_release(PAYER, T0, PayoutDirectory({}, TREASURY))
    assert escrow.state is EscrowState.FUNDED
    assert escrow.pull_events() == []


def test_milestones_release_one_by_one_and_complete_the_escrow() -> None:
    milestones = (MilestoneSpec("design", 3_000), MilestoneSpec("build", 7_000))
    escrow = funded_escrow(terms(100_000, milestones=milestones))
    with pytest.raises(SettlementRuleError):
        escrow.approve_release(PAYER, T0, DIRECTORY)
    escrow.approve_release(PAYER, T0, DIRECTORY, milestone="design")
    assert escrow.state is EscrowState.FUNDED
    assert escrow.custody_balance == mxn(70_000)
    escrow.approve_release(PAYER, T0, DIRECTORY, milestone="build")
    assert escrow.state is EscrowState.RELEASED
    assert sum(p.amount.amount_minor for p in escrow.payouts) == 100_000


def test_completion_waits_for_every_payout_to_be_confirmed() -> None:
    escrow = funded_escrow(fee=1_000)
    escrow.approve_release(PAYER, T0, DIRECTORY)
    *first, last = escrow.payouts
    for payout in first:
        escrow.confirm_payout(payout.id, T0)
    assert escrow.state is EscrowState.RELEASED
    escrow.confirm_payout(last.id, T0)
    assert escrow.state is EscrowState.COMPLETED


def test_a_returned_payout_puts_the_money_back_and_flags_the_escrow() -> None:
    escrow = funded_escrow()
    mirror = LedgerMirror()
    escrow.approve_release(PAYER, T0, DIRECTORY)
    (payout,) = escrow.payouts
    escrow.mark_payout_sent(payout.id, T0, "rail-1")
    escrow.confirm_payout(payout.id, T0)
    escrow.return_payout(payout.id, T0 + timedelta(days=1))
    mirror.absorb(escrow)
    assert escrow.needs_review
    assert mirror.held(Account.payable(PAYEE, MXN)) == 100_000
    assert mirror.total() == 0
    reissued = escrow.reissue_payout(payout.id, BROKER_PAYOUT, T0 + timedelta(days=2))
    assert reissued.idempotency_key != payout.idempotency_key
    escrow.confirm_payout(reissued.id, T0 + timedelta(days=3))
    assert escrow.state is EscrowState.COMPLETED


def test_a_payout_cannot_be_confirmed_after_it_was_returned() -> None:
    escrow = funded_escrow()
    escrow.approve_release(PAYER, T0, DIRECTORY)
    (payout,) = escrow.payouts
    escrow.mark_payout_sent(payout.id, T0, None)
    escrow.return_payout(payout.id, T0)
    with pytest.raises(PayoutStateError):
        escrow.confirm_payout(payout.id, T0)
    assert payout.status is PayoutStatus.RETURNED


def test_payout_idempotency_keys_are_stable_and_unique() -> None:
    escrow = funded_escrow(fee=1_000)
    escrow.approve_release(PAYER, T0, DIRECTORY)
    keys = [p.idempotency_key for p in escrow.payouts]
    assert len(set(keys)) == len(keys)
    assert keys == [f"payout:esc_1:{n}:1" for n in range(1, len(keys) + 1)]


def test_a_payout_returned_after_completion_flags_the_escrow_and_is_owed_again() -> None:
    escrow = funded_escrow()
    mirror = LedgerMirror()
    escrow.approve_release(PAYER, T0, DIRECTORY)
    (payout,) = escrow.payouts
    escrow.mark_payout_sent(payout.id, T0, None)
    escrow.confirm_payout(payout.id, T0)
    assert escrow.state is EscrowState.COMPLETED
    escrow.return_payout(payout.id, T0 + timedelta(days=2))
    mirror.absorb(escrow)
    assert escrow.state is EscrowState.COMPLETED
    assert escrow.needs_review
    assert mirror.held(Account.payable(PAYEE, MXN)) == 100_000
    reissued = escrow.reissue_payout(payout.id, PAYEE_PAYOUT, T0 + timedelta(days=3))
    assert reissued.status is PayoutStatus.PENDING
