"""Which escrows have work for the scheduler at a given moment, as thresholds a store can index.

The scheduler (:class:`~kustodia_domain.services.run_due_jobs.RunDueJobsHandler`) runs every
few seconds. Loading every escrow in custody at each run would make each run cost one unit of
work per open escrow, with nothing to do for almost all of them; so repositories list only the
escrows :class:`DueWork` includes, and the escrow's own methods still decide what, if anything,
is done.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from kustodia_domain.escrow.custody import REMINDER_INTERVAL
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import CUSTODY, EscrowState

UNFUNDED = frozenset({EscrowState.REQUESTED, EscrowState.AWAITING_FUNDS})
"""The states an escrow expires from when its funding window closes."""


@attrs.frozen
class DueWork:
    """The scheduler's work at ``now`` (timezone-aware, UTC).

    An escrow is included when at least one of these holds; each mirrors the method that does
    the work:

    * **expiry** (``expire_if_due``): unfunded (:data:`UNFUNDED`) and ``funding_deadline`` at
      or before ``now``;
    * **yield** (``accrue_yield``): in custody with yield accrued through a day before
      :attr:`today`;
    * **release or reminder** (``release_if_due``, ``remind_if_due``): funded, ``custody_ends_at``
      at or before ``now``, and not reminded since :attr:`reminded_before`.

    Every escrow with work at ``now`` is included (what is left out has nothing to do:
    ``tests/property/test_due_work.py``); one included with nothing to do costs a read. An
    escrow whose yield rounds to nothing stays included until it accrues a centavo, since only
    an escrow with news is saved.
    """

    now: datetime

    @property
    def today(self) -> date:
        """The day yield accrues up to (exclusive): the UTC date of ``now``."""
        return self.now.date()

    @property
    def reminded_before(self) -> datetime:
        """A reminder sent at or before this moment is old enough to be sent again."""
        return self.now - REMINDER_INTERVAL

    def includes(self, escrow: Escrow) -> bool:
        """Whether ``escrow`` may have work at ``now``: the filter, for stores holding objects."""
        if escrow.state in UNFUNDED:
            return escrow.funding_deadline is not None and escrow.funding_deadline <= self.now
        if escrow.state not in CUSTODY:
            return False
        accrued = escrow.yield_accrued_through
        if accrued is not None and accrued < self.today:
            return True
        return (
            escrow.state is EscrowState.FUNDED
            and escrow.custody_ends_at is not None
            and escrow.custody_ends_at <= self.now
            and (escrow.last_reminded_at is None or escrow.last_reminded_at <= self.reminded_before)
        )
