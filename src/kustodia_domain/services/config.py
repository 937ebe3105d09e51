"""Platform policy values the use cases need (supplied by configuration)."""

from __future__ import annotations

from datetime import timedelta

import attrs

from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money


@attrs.frozen(kw_only=True)
class PlatformPolicy:
    """Configuration of the escrow core.

    ``funding_window``: how long an escrow may await funds (default 7 days).
    ``dispute_response_window``: how long the other party has to answer a dispute.
    ``high_value_threshold``: dispute resolutions of at least this custody amount need a second
    admin. ``treasury_clabe``: where fee and platform-yield sweeps go.
    """

    fees: FeeSchedule = FeeSchedule()
    funding_window: timedelta = timedelta(days=7)
    dispute_response_window: timedelta = timedelta(days=5)
    high_value_threshold: Money = Money.mxn(10_000_000)
    treasury_clabe: Clabe = Clabe.build("646", "180", "99999999")
