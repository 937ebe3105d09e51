"""Deposits that matched no escrow: held in suspense and queued for admins."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money


@immutable
@attrs.frozen(kw_only=True)
class UnmatchedDeposit:
    """A deposit whose (CLABE, reference) matched no escrow."""

    tracking_key: str
    clabe: str
    reference: str
    amount: Money
    source_clabe: Clabe
    sender_name: str
    received_at: datetime
    resolved: bool = False


class UnmatchedDepositRepository(Protocol):
    """The reconciliation queue of unmatched deposits."""

    @abstractmethod
    async def add(self, deposit: UnmatchedDeposit) -> bool:
        """Queue ``deposit``; ``False`` if its tracking key was already queued."""

    @abstractmethod
    async def get(self, tracking_key: str) -> UnmatchedDeposit | None:
        """The deposit queued under ``tracking_key``, resolved or not; ``None`` if never queued."""

    @abstractmethod
    async def list_open(self) -> Sequence[UnmatchedDeposit]:
        """Unresolved unmatched deposits, oldest first."""
