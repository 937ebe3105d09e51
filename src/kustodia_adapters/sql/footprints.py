"""What of an escrow is stored in its write-once child rows, to insert only what is new."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.escrow.model import Escrow


@attrs.frozen(kw_only=True)
class EscrowFootprint:
    """The child rows an escrow had at ``version``: deposits, payouts and its settlement.

    Deposits and payouts are only ever appended to an escrow and a settlement happens once, so
    the rows to insert on a save are the escrow's parts missing from the footprint of the
    version it was read at.
    """

    version: int
    deposit_keys: frozenset[str] = frozenset()
    payout_ids: frozenset[str] = frozenset()
    settled_at: datetime | None = None

    @classmethod
    def of(cls, escrow: Escrow, version: int) -> EscrowFootprint:
        """The footprint ``escrow`` leaves once stored at ``version``."""
        return cls(
            version=version,
            deposit_keys=frozenset(d.tracking_key for d in escrow.deposits),
            payout_ids=frozenset(p.id for p in escrow.payouts),
            settled_at=escrow.settled_at,
        )


NOTHING_STORED = EscrowFootprint(version=0)
"""The footprint of an escrow not stored yet."""
