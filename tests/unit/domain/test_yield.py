"""Yield on custody: daily compounding at an annual rate, split 80/20 without losing centavos."""

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.settlement import accrue_daily, split_yield
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.money import MXN
from tests.support.escrows import DIRECTORY, PAYER, T0, LedgerMirror, funded_escrow, mxn, terms

RATE_7_2 = 72_000


def test_one_year_of_daily_compounding_at_7_2_percent_earns_about_7_46_percent() -> None:
    accrued, _ = accrue_daily(10_000_000, RATE_7_2, 365, 0)
    # (1 + 0.072/365)^365 - 1 = 7.4648...%; integer accrual stays within a centavo per day.
    assert 746_000 <= accrued <= 746_500


@given(st.integers(0, 10**12), st.integers(1, 30), st.integers(1, 30))
def test_accruing_in_two_runs_equals_accruing_in_one(principal: int, a: int, b: int) -> None:
    whole, carry_whole = accrue_daily(principal, RATE_7_2, a + b, 0)
    first, carry = accrue_daily(principal, RATE_7_2, a, 0)
    second, carry = accrue_daily(principal + first, RATE_7_2, b, carry)
    assert (first + second, carry) == (whole, carry_whole)


@given(st.integers(0, 10**12))
def test_the_yield_split_never_loses_a_centavo(accrued: int) -> None:
    payer, platform = split_yield(mxn(accrued))
    assert payer.amount_minor + platform.amount_minor == accrued
    assert payer.amount_minor == 0 or payer.amount_minor >= 100


def test_a_payer_share_under_one_peso_stays_with_the_platform() -> None:
    assert split_yield(mxn(120)) == (mxn(0), mxn(120))
    assert split_yield(mxn(125)) == (mxn(100), mxn(25))


def test_yield_accrues_in_custody_and_is_paid_eighty_percent_to_the_payer() -> None:
    escrow = funded_escrow(terms(100_000_000, custody_days=30))
    mirror = LedgerMirror()
    accrued = escrow.accrue_yield((T0 + timedelta(days=30)).date(), RATE_7_2, T0)
    assert accrued.amount_minor > 0
    escrow.approve_release(PAYER, T0 + timedelta(days=30), DIRECTORY)
    mirror.absorb(escrow)
    payer_yield = [p for p in escrow.payouts if p.leg is PayoutLeg.PAYER_YIELD]
    platform_yield = [p for p in escrow.payouts if p.leg is PayoutLeg.PLATFORM_YIELD]
    assert payer_yield[0].amount + platform_yield[0].amount == accrued
    assert mirror.held(Account.escrow_yield(escrow.id, MXN)) == 0
    assert mirror.held(Account.yield_receivable(MXN)) == 0
    assert mirror.total() == 0


def test_no_yield_accrues_before_funding_or_after_settlement() -> None:
    escrow = funded_escrow()
    escrow.approve_release(PAYER, T0, DIRECTORY)
    assert escrow.accrue_yield((T0 + timedelta(days=10)).date(), RATE_7_2, T0).is_zero
