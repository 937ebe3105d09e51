"""Platform analytics: volume (GMV) and revenue kept apart, counts by status, dispute rate.

GMV is what buyers paid for goods and services (the escrow amounts of every escrow ever funded);
fee revenue is what the platform earned on top (credits to the platform-fee account at funding,
read from the ledger). Fees are never part of GMV, and GMV never counts as revenue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ports.back_office import EscrowSummary
from kustodia_domain.shared.money import BPS_WHOLE, MXN, Money

SECONDS_PER_HOUR = 3_600


@attrs.frozen(kw_only=True)
class Analytics:
    """Platform figures in MXN.

    ``dispute_rate_bps``: escrows ever disputed per funded escrow, in basis points.
    ``average_custody_hours``: from funding to settlement, over settled escrows (``None`` if none).
    """

    gmv: Money
    fee_revenue: Money
    yield_revenue: Money
    escrows_total: int
    escrows_by_status: Mapping[str, int]
    funded_escrows: int
    disputed_escrows: int
    dispute_rate_bps: int
    average_custody_hours: int | None


def compute_analytics(
    summaries: Sequence[EscrowSummary],
    fee_credits: Mapping[str, int],
    yield_credits: Mapping[str, int],
) -> Analytics:
    """Aggregate the escrows' facts and the ledger's revenue credits (minor units per currency)."""
    by_status = {state.value: 0 for state in EscrowState}
    for summary in summaries:
        by_status[summary.state.value] += 1
    funded = [s for s in summaries if s.funded_at is not None]
    disputed = sum(s.disputed for s in funded)
    custody = [
        (s.settled_at - s.funded_at).total_seconds()
        for s in funded
        if s.settled_at is not None and s.funded_at is not None
    ]
    return Analytics(
        gmv=Money(sum(s.amount.amount_minor for s in funded), MXN),
        fee_revenue=Money(fee_credits.get(MXN.code, 0), MXN),
        yield_revenue=Money(yield_credits.get(MXN.code, 0), MXN),
        escrows_total=len(summaries),
        escrows_by_status=by_status,
        funded_escrows=len(funded),
        disputed_escrows=disputed,
        dispute_rate_bps=(disputed * BPS_WHOLE) // len(funded) if funded else 0,
        average_custody_hours=(
            round(sum(custody) / len(custody) / SECONDS_PER_HOUR) if custody else None
        ),
    )
