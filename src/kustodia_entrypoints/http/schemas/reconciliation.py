"""Bodies of the reconciliation with the rail (back office)."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.ports.reconciliation_queue import ReconciliationDifference
from kustodia_domain.services.reconcile_rail import ReconciliationReport
from kustodia_entrypoints.http.schemas.common import MoneyOut


@attrs.frozen(kw_only=True)
class ReconcileIn:
    """The period to reconcile, ``[since, until)``: timestamps with a time zone, already over."""

    since: datetime
    until: datetime


@attrs.frozen(kw_only=True)
class DifferenceOut:
    """One disagreement between the books and the rail; ``subject`` is a tracking key or payout."""

    key: str
    kind: str
    subject: str
    escrow_id: str | None
    rail_amount: MoneyOut | None
    recorded_amount: MoneyOut | None
    rail_status: str | None
    recorded_status: str | None
    detail: str
    period_start: datetime
    period_end: datetime
    found_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, d: ReconciliationDifference) -> DifferenceOut:
        return cls(
            key=d.key,
            kind=d.kind.value,
            subject=d.subject,
            escrow_id=d.escrow_id,
            rail_amount=None if d.rail_amount is None else MoneyOut.of(d.rail_amount),
            recorded_amount=None if d.recorded_amount is None else MoneyOut.of(d.recorded_amount),
            rail_status=d.rail_status,
            recorded_status=d.recorded_status,
            detail=d.detail,
            period_start=d.period_start,
            period_end=d.period_end,
            found_at=d.found_at,
            resolved_at=d.resolved_at,
        )


@attrs.frozen(kw_only=True)
class DifferenceList:
    items: list[DifferenceOut]


@attrs.frozen(kw_only=True)
class ReconciliationReportOut:
    """What a run compared and found; ``queued`` counts the differences new to the queue."""

    since: datetime
    until: datetime
    rail_deposits: int
    rail_payouts: int
    queued: int
    differences: list[DifferenceOut]

    @classmethod
    def of(cls, report: ReconciliationReport) -> ReconciliationReportOut:
        return cls(
            since=report.since,
            until=report.until,
            rail_deposits=report.rail_deposits,
            rail_payouts=report.rail_payouts,
            queued=report.queued,
            differences=[DifferenceOut.of(d) for d in report.differences],
        )
