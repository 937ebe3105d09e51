"""The back office's reconciliation with the rail: open differences, and runs over a period."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from kustodia_domain.services.reconcile_rail import ReconcileRail
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.reconciliation import (
    DifferenceList,
    DifferenceOut,
    ReconcileIn,
    ReconciliationReportOut,
)


class AdminReconciliationController(Controller):
    path = "/v1/admin/reconciliation"
    tags = ("admin",)

    @get("/differences", summary="Open differences between the books and the rail")
    async def differences(self, principal: PrincipalDep, uc: UseCasesDep) -> DifferenceList:
        principal.require_staff()
        found = await uc.platform.reconciliation.differences(principal.id)
        return DifferenceList(items=[DifferenceOut.of(d) for d in found])

    @post(
        "/run",
        status_code=200,
        opt={OPT: True},
        summary="Reconcile a past period with the rail's statement",
    )
    async def run(
        self, data: JSONBody[ReconcileIn], principal: PrincipalDep, uc: UseCasesDep
    ) -> ReconciliationReportOut:
        """Compare the rail's deposits and payouts of ``[since, until)`` with the books.

        Every difference is queued once; the books are never changed. Audited.
        """
        principal.require_admin()
        report = await uc.platform.reconciliation.run(
            principal.id, ReconcileRail(since=data.since, until=data.until)
        )
        return ReconciliationReportOut.of(report)
