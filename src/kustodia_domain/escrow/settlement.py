"""Pure arithmetic of settlement: who gets what, always through :func:`allocate`.

Payee side: the payee and the brokers share whatever goes to the payee side in the ratio of
their shares of the amount (payee ``amount - commissions``, each broker its commission). On the
final release every broker receives exactly what is still owed, so over the whole life of the
escrow a fully released escrow pays each broker exactly ``bps`` of the amount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kustodia_domain.escrow.deposits import Deposit
from kustodia_domain.escrow.terms import EscrowTerms
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.money import Money, allocate

PPM = 1_000_000
DAYS_PER_YEAR = 365
PAYER_YIELD_PERCENT = 80
MIN_YIELD_PAYOUT_MINOR = 100
"""Yield shares below 1 MXN are not paid out; they stay with the platform."""


def payee_side_owed(payee_id: UserId, terms: EscrowTerms) -> dict[UserId, Money]:
    """What each payee-side party is owed over the escrow's life on a full release."""
    owed = dict(
        zip((c.broker_id for c in terms.commissions), terms.commission_amounts, strict=True)
    )
    commissions = sum((m.amount_minor for m in owed.values()), 0)
    return {payee_id: Money(terms.amount.amount_minor - commissions, terms.amount.currency), **owed}


def split_payee_side(amount: Money, owed: Mapping[UserId, Money]) -> dict[UserId, Money]:
    """Share ``amount`` across the payee side in proportion to what each is owed."""
    parts = allocate(amount, [m.amount_minor for m in owed.values()])
    return dict(zip(owed, parts, strict=True))


def final_payee_side(
    amount: Money, payee_id: UserId, owed: Mapping[UserId, Money], paid: Mapping[UserId, Money]
) -> dict[UserId, Money]:
    """Pay the last ``amount`` so that each broker ends with exactly what it is owed."""
    shares = {
        user: owed[user] - paid.get(user, Money.zero(amount.currency))
        for user in owed
        if user != payee_id
    }
    brokers = sum((m.amount_minor for m in shares.values()), 0)
    return {payee_id: Money(amount.amount_minor - brokers, amount.currency), **shares}


def refund_by_source(amount: Money, deposits: Sequence[Deposit]) -> list[tuple[Clabe, Money]]:
    """Return ``amount`` to the deposits' sources in proportion to what each source applied.

    Deposits from the same CLABE are one source, so each source gets one refund.
    """
    applied: dict[Clabe, int] = {}
    for d in deposits:
        if d.applied.is_positive:
            applied[d.source_clabe] = applied.get(d.source_clabe, 0) + d.applied.amount_minor
    if not applied or amount.is_zero:
        return []
    parts = allocate(amount, list(applied.values()))
    return [(clabe, part) for clabe, part in zip(applied, parts, strict=True) if part.is_positive]


def accrue_daily(principal_minor: int, rate_ppm: int, days: int, carry: int) -> tuple[int, int]:
    """Daily-compounded yield over ``days`` at an annual rate of ``rate_ppm`` (parts per million).

    Each day earns ``(principal + accrued) * rate / 365``; the fraction of a centavo not yet
    credited is kept in ``carry`` (numerator over ``PPM * 365``) so nothing is lost between runs.

    Returns:
        ``(accrued_minor, carry)`` for the period.
    """
    denominator = PPM * DAYS_PER_YEAR
    accrued = 0
    for _ in range(days):
        numerator = (principal_minor + accrued) * rate_ppm + carry
        interest, carry = divmod(numerator, denominator)
        accrued += interest
    return accrued, carry


def split_yield(accrued: Money) -> tuple[Money, Money]:
    """Split yield 80/20 (payer/platform); a payer share below 1 MXN stays with the platform."""
    if accrued.is_zero:
        return accrued, accrued
    payer, platform = allocate(accrued, [PAYER_YIELD_PERCENT, 100 - PAYER_YIELD_PERCENT])
    if payer.amount_minor < MIN_YIELD_PAYOUT_MINOR:
        return Money.zero(accrued.currency), accrued
    return payer, platform
