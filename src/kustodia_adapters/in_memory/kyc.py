"""The sandbox KYC provider, and the platform's KYC sessions in a dict."""

from __future__ import annotations

import uuid

import attrs

from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.kyc import (
    KycProvider,
    KycResult,
    KycSession,
    KycSessionRecord,
    KycSessions,
    KycStatus,
)
from kustodia_domain.shared.errors import ConflictError

SANDBOX_KYC_URL = "https://sandbox.kustodia.mx/kyc"


class SandboxKycProvider(KycProvider):
    """Opens sessions at a sandbox URL; :meth:`settle` dictates their verdict.

    The verdict is what a real provider would put in its signed webhook: the sandbox endpoints
    sign it and send it through the webhook's own path. The sandbox keeps no sessions of its
    own: it answers for the record the platform stored when the session was opened, so a
    session opened before a restart can still be settled after it.
    """

    def __init__(self, base_url: str = SANDBOX_KYC_URL) -> None:
        self._base_url = base_url.rstrip("/")

    async def start_verification(self, user_id: str, target_level: KycLevel) -> KycSession:
        session_id = f"kyc_{uuid.uuid4().hex}"
        return KycSession(session_id=session_id, url=f"{self._base_url}/{session_id}")

    def settle(
        self, session: KycSessionRecord, status: KycStatus, reasons: tuple[str, ...] = ()
    ) -> KycResult:
        """The provider's result for ``session``, for the user and the level it was opened for."""
        return KycResult(
            session_id=session.session_id,
            user_id=session.user_id,
            status=status,
            level=session.target_level,
            reasons=reasons,
        )


class InMemoryKycSessions(KycSessions):
    def __init__(self) -> None:
        self._records: dict[str, KycSessionRecord] = {}

    async def add(self, record: KycSessionRecord) -> None:
        if record.session_id in self._records:
            raise ConflictError(f"kyc session {record.session_id} is stored already")
        self._records[record.session_id] = record

    async def get(self, session_id: str) -> KycSessionRecord | None:
        return self._records.get(session_id)

    async def settle(self, settled: KycSessionRecord) -> bool:
        # No await between the check and the write: atomic on the event loop.
        current = self._records.get(settled.session_id)
        if current is None or current.status is not KycStatus.PENDING:
            return False
        self._records[settled.session_id] = settled
        return True

    async def reopen(self, session_id: str) -> None:
        current = self._records.get(session_id)
        if current is not None:
            self._records[session_id] = attrs.evolve(
                current, status=KycStatus.PENDING, verified_level=None, reasons=(), settled_at=None
            )
