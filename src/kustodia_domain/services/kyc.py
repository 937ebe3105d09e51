"""KYC: a user asks to verify a level, and the provider's verdict sets it.

The level a user holds changes through :func:`change_kyc_level` only: screened as
``kyc.updated``, saved, written to the fraud engine's profiles (the monthly caps the rules apply
follow the level), and audited. An admin reaches it through the back office; a user reaches it
only through a provider's verdict on a session the platform opened for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import ClassVar

import attrs

from kustodia_domain.audit.chain import AuditRecord, AuditValue
from kustodia_domain.identity.model import KycLevel, User
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.kyc import (
    KycProvider,
    KycResult,
    KycSession,
    KycSessionRecord,
    KycSessions,
    KycStatus,
)
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.ports.webhooks import WebhookReceipts
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.risk_gate import RiskGate
from kustodia_domain.services.risk_profiles import ProfileKeeper
from kustodia_domain.shared.errors import NotFoundError, RuleViolationError, ValidationError

_RANK = {KycLevel.N1: 1, KycLevel.N2: 2, KycLevel.N3: 3, KycLevel.N4: 4}


class KycResultRefusedError(RuleViolationError):
    """A provider's result that does not fit the session it names; nothing changed."""

    code: ClassVar[str] = "kyc.result_refused"


async def change_kyc_level(
    *,
    uow: Callable[[], UnitOfWork],
    clock: Clock,
    risk: RiskGate,
    profiles: ProfileKeeper,
    audit: AuditLog,
    actor_id: str | None,
    user_id: str,
    level: KycLevel,
    details: Mapping[str, AuditValue] | None = None,
) -> User:
    """Set the user's verified KYC level; screened as ``kyc.updated`` first.

    ``actor_id`` is the admin who set it, or ``None`` for the provider's verdict; ``details``
    are added to the audit record. Setting the level the user already holds writes nothing
    (no audit record) but still records the verification in the risk profile.

    Raises: NotFoundError, OperationBlockedError (the level stays as it was).
    """
    now = clock.now()
    async with uow() as work:
        previous = (await work.users.get(user_id)).kyc_level
    await risk.check(
        "kyc.updated",
        actor_id=user_id,
        at=now,
        attributes={"kyc_level": level.value, "previous_kyc_level": previous.value},
    )
    async with uow() as work:
        user = await work.users.get(user_id)
        current = user.kyc_level
        # A level already set changes nothing and records nothing: a provider retrying a
        # verdict whose profile update failed after the level committed gets that update done.
        if current is not level:
            user.set_kyc_level(level)
            await work.users.save(user)
            await work.audit.add(
                AuditRecord(
                    actor_id=actor_id,
                    action="user.kyc_level_changed",
                    subject_type="user",
                    subject_id=user_id,
                    at=now,
                    details={"from": current.value, "to": level.value, **(details or {})},
                )
            )
            await work.commit()
    await audit.chain_after_commit()
    await profiles.kyc_verified(user, now)
    return user


@attrs.frozen(kw_only=True)
class StartKyc:
    """A user asks to verify ``level``."""

    user_id: str
    level: KycLevel


@attrs.frozen
class StartKycHandler:
    """Opens a verification with the provider and records whose session it is.

    Rules: only a level above the user's current one may be asked for; the provider is called
    outside any transaction; the level does not change until the provider's verdict arrives.

    Raises:
        NotFoundError: no such user. ValidationError: the user already holds that level.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    provider: KycProvider
    sessions: KycSessions

    async def execute(self, cmd: StartKyc) -> KycSession:
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
        if _RANK[cmd.level] <= _RANK[user.kyc_level]:
            raise ValidationError(
                f"already verified at {user.kyc_level.value}; ask for a higher level",
                field="level",
            )
        session = await self.provider.start_verification(user.id, cmd.level)
        await self.sessions.add(
            KycSessionRecord(
                session_id=session.session_id,
                user_id=user.id,
                target_level=cmd.level,
                started_at=self.clock.now(),
            )
        )
        return session


class KycOutcome(StrEnum):
    """What a provider's result did."""

    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"
    DUPLICATE = "duplicate"


@attrs.frozen
class RecordKycResultHandler:
    """Applies the provider's verdict on a session, once.

    Rules: the session must be one the platform opened, for the user the result names, and the
    verified level may not exceed the level asked for; ``approved`` sets the user's level through
    :func:`change_kyc_level`; ``rejected`` leaves it and is recorded; ``pending`` changes
    nothing; a session already settled is a duplicate and changes nothing.

    Raises:
        NotFoundError: unknown session. KycResultRefusedError: the result does not fit it.
        OperationBlockedError: the screen blocked the level change (the session stays pending,
            so the provider's retry is applied once the block is lifted).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    sessions: KycSessions
    risk: RiskGate
    profiles: ProfileKeeper
    audit: AuditLog

    async def execute(self, result: KycResult) -> KycOutcome:
        record = await self.sessions.get(result.session_id)
        if record is None:
            raise NotFoundError("kyc session", result.session_id)
        if record.user_id != result.user_id:
            raise KycResultRefusedError("the result names another user than its session")
        if _RANK[result.level] > _RANK[record.target_level]:
            raise KycResultRefusedError("the result verifies a level above the one asked for")
        if record.status is not KycStatus.PENDING:
            return KycOutcome.DUPLICATE
        if result.status is KycStatus.PENDING:
            return KycOutcome.PENDING
        settled = attrs.evolve(
            record,
            status=result.status,
            verified_level=result.level if result.status is KycStatus.APPROVED else None,
            reasons=result.reasons,
            settled_at=self.clock.now(),
        )
        if not await self.sessions.settle(settled):
            return KycOutcome.DUPLICATE
        try:
            if result.status is KycStatus.APPROVED:
                await self._approve(result)
                return KycOutcome.APPROVED
            await self._reject(result)
        except BaseException:
            await self.sessions.reopen(result.session_id)
            raise
        return KycOutcome.REJECTED

    async def _approve(self, result: KycResult) -> None:
        await change_kyc_level(
            uow=self.uow,
            clock=self.clock,
            risk=self.risk,
            profiles=self.profiles,
            audit=self.audit,
            actor_id=None,
            user_id=result.user_id,
            level=result.level,
            details={"via": "kyc_provider", "session_id": result.session_id},
        )

    async def _reject(self, result: KycResult) -> None:
        await self.audit.record(
            actor_id=None,
            action="user.kyc_rejected",
            subject_type="user",
            subject_id=result.user_id,
            details={
                "session_id": result.session_id,
                "level": result.level.value,
                "reasons": ", ".join(result.reasons)[:500],
            },
        )


@attrs.frozen
class KycUseCases:
    """What the edges run for KYC: start a verification, take the provider's signed verdicts."""

    clock: Clock
    receipts: WebhookReceipts
    sessions: KycSessions
    start: StartKycHandler
    record: RecordKycResultHandler

    async def delivered(self, signature: str) -> bool:
        """Whether a webhook signed ``signature`` was already consumed (a replay, refused).

        Reads only: a delivery whose processing failed was never recorded (see
        :meth:`consumed`), so the provider's retry of the identical request is applied.
        """
        return await self.receipts.seen(_receipt_key(signature))

    async def consumed(self, signature: str) -> None:
        """Record the delivery signed ``signature``. Call only after its verdict was applied.

        Never earlier: a receipt recorded before a failed apply (a 409 from a concurrent change
        to the user, a screen that blocked the level change) would refuse the provider's retry
        and leave the session pending for good. The window this leaves (a crash, or two
        concurrent deliveries) is harmless: a session settles once (``KycSessions.settle``),
        so the verdict applied again is a ``duplicate`` that changes nothing.
        """
        await self.receipts.first_seen(_receipt_key(signature), self.clock.now())

    async def session(self, session_id: str) -> KycSessionRecord:
        """A session the platform opened. Raises NotFoundError."""
        record = await self.sessions.get(session_id)
        if record is None:
            raise NotFoundError("kyc session", session_id)
        return record


def _receipt_key(signature: str) -> str:
    return f"kyc:{signature}"
