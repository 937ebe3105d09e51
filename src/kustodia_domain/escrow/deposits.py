"""Deposits as the escrow records them."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money


@immutable
@attrs.frozen(kw_only=True)
class IncomingDeposit:
    """A SPEI deposit reported by the rail, matched to an escrow by (CLABE, reference).

    ``tracking_key`` (clave de rastreo) identifies the transfer; the same key is only ever
    recorded once.
    """

    tracking_key: str
    amount: Money
    source_clabe: Clabe
    sender_name: str
    received_at: datetime


@immutable
@attrs.frozen(kw_only=True)
class Deposit:
    """A deposit the escrow applied: ``applied`` counts toward funding, ``excess`` went back."""

    tracking_key: str
    amount: Money
    applied: Money
    excess: Money
    source_clabe: Clabe
    received_at: datetime
