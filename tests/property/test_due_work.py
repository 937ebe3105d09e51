"""The scheduler's filter leaves out only escrows it would have nothing to do for.

Escrows of either kind are opened, perhaps funded, held, cancelled or completed, perhaps passed
over by an earlier run of the scheduler, and then looked at by a later run. Whatever
``DueWork`` leaves out, running the scheduler's steps on it records nothing and changes no
state: so listing only what it includes loses no work.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from kustodia_domain.escrow.due import DueWork
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.shared.errors import KustodiaError
from tests.contract.builders import T0, complete, directory, escrow, fund

RATE_PPM = 100_000
"""10 % a year: enough for a centavo a day on these escrows."""


def scheduler_pass(of: Escrow, now: datetime, rate_ppm: int) -> Escrow:
    """``RunDueJobsHandler`` on one escrow, the screen letting everything through: the escrow
    as the store then holds it (the handler saves only an escrow that recorded something)."""
    worked = copy.deepcopy(of)
    worked.accrue_yield(now.date(), rate_ppm, now)
    worked.expire_if_due(now)
    worked.remind_if_due(now)
    if worked.release_due(now):
        worked.release_if_due(now, directory(worked))
    if not worked.pending_events:
        return of
    worked.pull_events()
    return worked


EXAMPLE = {
    "created_by": CreatorRole.PAYER,
    "funded_after": 0,
    "then": "nothing",
    "rate_ppm": RATE_PPM,
}
"""Funded on ``T0`` (the deadline is ten days later, at 12:00), nothing else done."""

hours = st.integers(min_value=0, max_value=40 * 24)
minutes = st.integers(min_value=0, max_value=3 * 24 * 60)


@given(
    kind=st.sampled_from(EscrowKind),
    created_by=st.sampled_from(CreatorRole),
    funded_after=st.none() | hours,
    then=st.sampled_from(["nothing", "hold", "cancel", "complete"]),
    rate_ppm=st.sampled_from([0, RATE_PPM]),
    first_run_after=hours,
    gaps=st.lists(minutes, max_size=3),
)
# The yield branch: funded yesterday at 12:00, a day of yield due at 12:00 today.
@example(**EXAMPLE, kind=EscrowKind.STANDARD, first_run_after=24, gaps=[])
# The release branch: yield accrued at 11:00 on the deadline's day, released at 13:00.
@example(**EXAMPLE, kind=EscrowKind.STANDARD, first_run_after=239, gaps=[120])
# The reminder branch: reminded at 23:00, yield at 00:00, reminded again at 23:00.
@example(**EXAMPLE, kind=EscrowKind.DUAL_APPROVAL, first_run_after=251, gaps=[60, 23 * 60])
def test_an_escrow_left_out_has_nothing_due(
    *,
    kind: EscrowKind,
    created_by: CreatorRole,
    funded_after: int | None,
    then: str,
    rate_ppm: int,
    first_run_after: int,
    gaps: list[int],
) -> None:
    subject = escrow(kind=kind, created_by=created_by)
    moment = T0
    if funded_after is not None and created_by is CreatorRole.PAYER:
        moment += timedelta(hours=funded_after)
        fund(subject, moment)
    try:
        if then == "hold":
            subject.hold("manual review", moment)
        elif then == "cancel":
            subject.cancel(subject.payer_id, moment)
        elif then == "complete":
            complete(subject, moment)
    except KustodiaError:
        pass  # not allowed from this state: the escrow stays as it was
    subject.pull_events()
    # Earlier runs, then the run under test at ``now``.
    now = moment + timedelta(hours=first_run_after)
    for gap in gaps:
        subject = scheduler_pass(subject, now, rate_ppm)
        now += timedelta(minutes=gap)

    if not DueWork(now).includes(subject):
        assert scheduler_pass(subject, now, rate_ppm) is subject  # nothing recorded
