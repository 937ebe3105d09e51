"""The rail's statement: what the SPEI provider says happened, for reconciliation.

The statement is the provider's own record, read over the network and outside any database
transaction. Periods are half-open, ``[since, until)``, in UTC.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from kustodia_domain.ports.payment_rail import RailPayoutStatus
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money


@immutable
@attrs.frozen(kw_only=True)
class RailDeposit:
    """A SPEI transfer the rail received into one of the platform's deposit CLABEs."""

    tracking_key: str
    """The transfer's clave de rastreo: the same key the deposit webhook carried."""
    clabe: str
    reference: str
    amount: Money
    received_at: datetime


@immutable
@attrs.frozen(kw_only=True)
class RailPayout:
    """A payout the rail executed, with its status at the time the statement was read."""

    payout_id: str
    """The platform's payout id, sent to the rail as the payout's ``reference``."""
    rail_reference: str
    """The rail's own id for the payout."""
    amount: Money
    status: RailPayoutStatus
    created_at: datetime
    updated_at: datetime
    """When the status last changed (the creation time if it never changed)."""


class RailStatementReader(Protocol):
    """The rail's record of deposits and payouts, for comparing with the books."""

    @abstractmethod
    async def deposits(self, since: datetime, until: datetime) -> Sequence[RailDeposit]:
        """Deposits received in ``[since, until)``, oldest first."""

    @abstractmethod
    async def payouts(self, since: datetime, until: datetime) -> Sequence[RailPayout]:
        """Payouts created or whose status changed in ``[since, until)``, oldest first."""

    @abstractmethod
    async def payout(self, payout_id: str) -> RailPayout | None:
        """The rail's record of the platform's payout ``payout_id``; ``None`` if it has none."""
