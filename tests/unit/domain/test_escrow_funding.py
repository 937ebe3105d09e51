"""Opening, accepting and funding escrows: the rules the legacy system broke."""

from datetime import timedelta

import pytest

from kustodia_domain.escrow.errors import InvalidEscrowTransitionError, NotAPartyError
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.money import MXN
from tests.support.escrows import (
    DIRECTORY,
    PAYEE,
    PAYER,
    SOURCE_A,
    SOURCE_B,
    T0,
    LedgerMirror,
    deposit,
    mxn,
    open_escrow,
    terms,
)


def test_a_payment_awaits_funds_and_a_payment_request_awaits_acceptance() -> None:
    assert open_escrow().state is EscrowState.AWAITING_FUNDS
    request = open_escrow(created_by=CreatorRole.PAYEE)
    assert request.state is EscrowState.REQUESTED
    assert request.funding_instructions is None


def test_only_the_payer_accepts_a_payment_request() -> None:
    request = open_escrow(created_by=CreatorRole.PAYEE)
    with pytest.raises(NotAPartyError):
        request.accept(PAYEE, T0, timedelta(days=7))
    request.accept(PAYER, T0 + timedelta(days=1), timedelta(days=7))
    assert request.state is EscrowState.AWAITING_FUNDS
    assert request.funding_deadline == T0 + timedelta(days=8)


def test_a_deposit_to_an_unaccepted_request_is_returned_whole_to_its_source() -> None:
    request = open_escrow(created_by=CreatorRole.PAYEE)
    request.receive_deposit(deposit(100_000), T0, DIRECTORY)
    assert request.state is EscrowState.REQUESTED
    assert [(p.leg, p.amount, p.destination) for p in request.payouts] == [
        (PayoutLeg.BOUNCE, mxn(100_000), SOURCE_A)
    ]


def test_the_amount_due_adds_the_platform_fee_on_top_for_the_payer() -> None:
    escrow = open_escrow(fee=1_500)
    assert escrow.amount_due == mxn(101_500)
    instructions = escrow.funding_instructions
    assert instructions is not None
    assert instructions.amount_due == mxn(101_500)
    assert instructions.reference == "1000001"


def test_a_partial_deposit_keeps_the_escrow_awaiting_the_rest() -> None:
    escrow = open_escrow(fee=1_500)
    escrow.receive_deposit(deposit(40_000), T0, DIRECTORY)
    assert escrow.state is EscrowState.AWAITING_FUNDS
    assert escrow.funded_amount == mxn(40_000)
    assert escrow.funding_instructions is not None
    assert escrow.funding_instructions.amount_due == mxn(61_500)
    assert escrow.custody_ends_at is None


def test_deposits_accumulate_and_the_excess_goes_back_to_its_own_source() -> None:
    escrow = open_escrow(fee=1_500)
    escrow.receive_deposit(deposit(40_000, "t1", SOURCE_A), T0, DIRECTORY)
    escrow.receive_deposit(deposit(70_000, "t2", SOURCE_B), T0, DIRECTORY)
    assert escrow.state is EscrowState.FUNDED
    assert escrow.funded_amount == mxn(101_500)
    excess = [p for p in escrow.payouts if p.leg is PayoutLeg.EXCESS_REFUND]
    assert [(p.amount, p.destination) for p in excess] == [(mxn(8_500), SOURCE_B)]


def test_the_same_tracking_key_is_recorded_only_once() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(40_000, "same"), T0, DIRECTORY)
    escrow.receive_deposit(deposit(40_000, "same"), T0, DIRECTORY)
    assert escrow.funded_amount == mxn(40_000)
    assert len(escrow.deposits) == 1


def test_the_custody_clock_starts_at_funding_not_at_creation() -> None:
    escrow = open_escrow(terms(custody_days=5))
    funded_at = T0 + timedelta(days=3)
    escrow.receive_deposit(deposit(100_000, at=funded_at), funded_at, DIRECTORY)
    assert escrow.funded_at == funded_at
    assert escrow.custody_ends_at == funded_at + timedelta(days=5)


def test_funding_charges_the_fee_and_pays_the_immediate_share_at_once() -> None:
    escrow = open_escrow(terms(100_000, custody_percent=30), fee=2_000)
    mirror = LedgerMirror()
    escrow.receive_deposit(deposit(102_000), T0, DIRECTORY)
    mirror.absorb(escrow)
    legs = {p.leg: p.amount for p in escrow.payouts}
    assert legs == {PayoutLeg.PLATFORM_FEE: mxn(2_000), PayoutLeg.IMMEDIATE: mxn(70_000)}
    assert escrow.custody_balance == mxn(30_000)
    assert mirror.held(Account.custody(escrow.id, MXN)) == 30_000
    assert mirror.held(Account.platform_fees(MXN)) == 2_000
    assert mirror.total() == 0


def test_full_custody_pays_nothing_to_the_seller_before_release() -> None:
    escrow = open_escrow(terms(100_000, custody_percent=100))
    escrow.receive_deposit(deposit(100_000), T0, DIRECTORY)
    assert [p for p in escrow.payouts if p.beneficiary_id == PAYEE] == []
    assert escrow.custody_balance == mxn(100_000)


def test_zero_custody_releases_at_funding_and_completes_when_paid_out() -> None:
    escrow = open_escrow(terms(100_000, custody_percent=0))
    escrow.receive_deposit(deposit(100_000), T0, DIRECTORY)
    assert escrow.state is EscrowState.RELEASED
    for payout in escrow.payouts:
        escrow.confirm_payout(payout.id, T0)
    assert escrow.state is EscrowState.COMPLETED


def test_cancelling_before_funding_returns_each_partial_deposit_to_its_source() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(30_000, "t1", SOURCE_A), T0, DIRECTORY)
    escrow.receive_deposit(deposit(20_000, "t2", SOURCE_B), T0, DIRECTORY)
    escrow.cancel(PAYEE, T0)
    assert escrow.state is EscrowState.CANCELLED
    refunds = sorted((p.destination.value, p.amount.amount_minor) for p in escrow.payouts)
    assert refunds == sorted([(SOURCE_A.value, 30_000), (SOURCE_B.value, 20_000)])
    assert escrow.custody_balance == mxn(0)


def test_a_funded_escrow_cannot_be_cancelled() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(100_000), T0, DIRECTORY)
    with pytest.raises(InvalidEscrowTransitionError) as raised:
        escrow.cancel(PAYER, T0)
    assert raised.value.code == "escrow.invalid_transition"
    assert escrow.state is EscrowState.FUNDED


def test_an_escrow_not_funded_within_the_window_expires_and_refunds() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(10_000), T0, DIRECTORY)
    assert not escrow.expire_if_due(T0 + timedelta(days=6))
    assert escrow.expire_if_due(T0 + timedelta(days=7))
    assert escrow.state is EscrowState.EXPIRED
    assert [p.leg for p in escrow.payouts] == [PayoutLeg.REFUND]


def test_a_late_deposit_to_a_funded_escrow_is_returned_whole() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(100_000, "t1"), T0, DIRECTORY)
    escrow.receive_deposit(deposit(5_000, "t2", SOURCE_B), T0, DIRECTORY)
    bounce = [p for p in escrow.payouts if p.leg is PayoutLeg.BOUNCE]
    assert [(p.amount, p.destination) for p in bounce] == [(mxn(5_000), SOURCE_B)]
    assert escrow.custody_balance == mxn(100_000)


def test_outsiders_may_not_cancel_or_approve() -> None:
    escrow = open_escrow()
    with pytest.raises(NotAPartyError):
        escrow.cancel("usr_outsider", T0)  # type: ignore[arg-type]


def test_deposits_from_one_source_are_refunded_in_one_payout() -> None:
    escrow = open_escrow()
    escrow.receive_deposit(deposit(30_000, "t1", SOURCE_A), T0, DIRECTORY)
    escrow.receive_deposit(deposit(20_000, "t2", SOURCE_A), T0, DIRECTORY)
    escrow.cancel(PAYER, T0)
    assert [(p.destination, p.amount) for p in escrow.payouts] == [(SOURCE_A, mxn(50_000))]
