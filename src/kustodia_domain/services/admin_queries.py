"""Back-office reads for staff (admins and compliance): search, analytics, users, queues, audit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from kustodia_domain.audit.chain import AuditEntry, ChainCheck
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.fraud.alerts import Alert, AlertRepository, AlertState
from kustodia_domain.identity.model import User
from kustodia_domain.ledger.accounts import AccountKind
from kustodia_domain.ports.back_office import BackOfficeReads, EscrowFilter
from kustodia_domain.ports.reconciliation import UnmatchedDeposit
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.analytics import Analytics, compute_analytics
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.queries import MAX_PAGE
from kustodia_domain.services.staff import READERS, require_role

FEE_EARNING_EVENTS = frozenset({"EscrowFunded"})
"""Ledger transactions in which the platform earns its fee (sweeps and returns are not revenue)."""
YIELD_EARNING_EVENTS = frozenset({"YieldDistributed"})


@attrs.frozen
class BackOfficeQueries:
    """Every method first checks that ``staff_id`` is an admin or a compliance officer.

    Raises: ForbiddenError (any other role).
    """

    uow: Callable[[], UnitOfWork]
    reads: BackOfficeReads
    alerts: AlertRepository
    audit: AuditLog

    async def search_escrows(self, staff_id: str, criteria: EscrowFilter) -> Sequence[Escrow]:
        await self._staff(staff_id)
        bounded = attrs.evolve(
            criteria, limit=min(max(criteria.limit, 1), MAX_PAGE), offset=max(criteria.offset, 0)
        )
        return await self.reads.search_escrows(bounded)

    async def analytics(self, staff_id: str) -> Analytics:
        await self._staff(staff_id)
        return compute_analytics(
            await self.reads.escrow_summaries(),
            await self.reads.ledger_credits(AccountKind.PLATFORM_FEES, FEE_EARNING_EVENTS),
            await self.reads.ledger_credits(AccountKind.PLATFORM_YIELD, YIELD_EARNING_EVENTS),
        )

    async def users(
        self, staff_id: str, *, text: str | None, limit: int = 50, offset: int = 0
    ) -> Sequence[User]:
        await self._staff(staff_id)
        return await self.reads.search_users(
            text=text, limit=min(max(limit, 1), MAX_PAGE), offset=max(offset, 0)
        )

    async def reconciliation_queue(self, staff_id: str) -> Sequence[UnmatchedDeposit]:
        """Deposits that matched no escrow (held in suspense), oldest first."""
        async with self.uow() as uow:
            await require_role(uow, staff_id, READERS)
            return await uow.unmatched_deposits.list_open()

    async def fraud_alerts(self, staff_id: str, state: AlertState) -> Sequence[Alert]:
        """The fraud review queue (``open`` alerts) or its resolved alerts."""
        await self._staff(staff_id)
        return await self.alerts.by_state(state)

    async def audit_entries(
        self, staff_id: str, *, offset: int = 0, limit: int = 50
    ) -> Sequence[AuditEntry]:
        await self._staff(staff_id)
        return await self.audit.page(offset=offset, limit=limit)

    async def verify_audit(self, staff_id: str) -> ChainCheck:
        await self._staff(staff_id)
        return await self.audit.verify()

    async def _staff(self, staff_id: str) -> None:
        async with self.uow() as uow:
            await require_role(uow, staff_id, READERS)
