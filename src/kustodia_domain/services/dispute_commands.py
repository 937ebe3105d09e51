"""Use cases of the dispute process: open, message, evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import attrs

from kustodia_domain.disputes.errors import DisputeClosedError
from kustodia_domain.disputes.model import Dispute, DisputeStatus, Evidence, Message
from kustodia_domain.ports.blobs import BlobStore
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import visible_dispute, visible_escrow
from kustodia_domain.services.audit_records import (
    dispute_message_posted,
    dispute_opened,
    evidence_added,
)
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.persistence import (
    ASSESSMENT_TOPIC,
    persist_dispute,
    persist_escrow,
)
from kustodia_domain.services.risk_gate import RiskGate, RiskSession, apply, escrow_facts
from kustodia_domain.shared.ids import DisputeId, UserId


@attrs.frozen(kw_only=True)
class OpenDispute:
    """A party disputes its funded escrow."""

    escrow_id: str
    actor_id: UserId
    reason: str
    details: str


@attrs.frozen
class OpenDisputeHandler:
    """Opens a dispute and freezes release in the same transaction.

    Rules: only a party, only while the escrow is ``funded`` (not before funding, not after
    release, not while held); the other party is notified and must answer within the response
    window; an assessment is requested through the outbox.

    Raises: NotFoundError, NotAPartyError, InvalidEscrowTransitionError, ValidationError,
    OperationBlockedError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    risk: RiskGate
    policy: PlatformPolicy

    async def execute(self, cmd: OpenDispute) -> Dispute:
        now = self.clock.now()
        async with self.risk.session() as risk, self.uow() as uow:
            escrow = await visible_escrow(uow, cmd.escrow_id, cmd.actor_id)
            dispute = Dispute.open(
                dispute_id=DisputeId(self.ids.new_id("dsp")),
                escrow_id=escrow.id,
                payer_id=escrow.payer_id,
                payee_id=escrow.payee_id,
                opened_by=cmd.actor_id,
                reason=cmd.reason,
                details=cmd.details,
                at=now,
                response_window=self.policy.dispute_response_window,
            )
            escrow.mark_disputed(dispute.id, cmd.actor_id, now)
            screening = await risk.check(
                "dispute.opened",
                actor_id=cmd.actor_id,
                at=now,
                escrow_id=escrow.id,
                amount=escrow.custody_balance,
                attributes=escrow_facts(escrow),
            )
            apply(escrow, screening, "dispute.opened", now)
            await persist_escrow(uow, escrow, self.ids)
            await persist_dispute(uow, dispute, self.ids, new=True)
            await uow.outbox.add(
                OutboxMessage(
                    key=f"{ASSESSMENT_TOPIC}:{dispute.id}",
                    topic=ASSESSMENT_TOPIC,
                    payload={"dispute_id": dispute.id},
                    created_at=now,
                )
            )
            await uow.audit.add(dispute_opened(cmd.actor_id, dispute, now))
            await uow.commit()
        return dispute


@attrs.frozen(kw_only=True)
class PostDisputeMessage:
    """A party or an admin writes in the dispute thread."""

    dispute_id: str
    actor_id: UserId
    is_admin: bool
    body: str


@attrs.frozen
class PostDisputeMessageHandler:
    """Adds a message visible to both parties and admins.

    Raises: NotFoundError (outsiders), DisputeClosedError, ValidationError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: PostDisputeMessage) -> Message:
        async with self.uow() as uow:
            dispute = await visible_dispute(
                uow, cmd.dispute_id, cmd.actor_id, is_admin=cmd.is_admin
            )
            message = dispute.post_message(
                message_id=self.ids.new_id("msg"),
                author_id=cmd.actor_id,
                is_admin=cmd.is_admin,
                body=cmd.body,
                at=self.clock.now(),
            )
            await persist_dispute(uow, dispute, self.ids)
            await uow.audit.add(dispute_message_posted(cmd.actor_id, dispute, message))
            await uow.commit()
        return message


@attrs.frozen(kw_only=True)
class AddEvidence:
    """A party or an admin uploads a file to the dispute."""

    dispute_id: str
    actor_id: UserId
    is_admin: bool
    filename: str
    content_type: str
    data: bytes


@attrs.frozen
class AddEvidenceHandler:
    """Stores an evidence file and its metadata on the dispute.

    The bytes go to the blob store (content-addressed, outside the transaction); the dispute
    keeps SHA-256, size and type. Limits: 10 MiB; PDF, PNG, JPEG, WebP or plain text. The upload
    is screened with the file's SHA-256 (a file reused across escrows is suspect) and the
    screening shows in the escrow's timeline.

    Raises: NotFoundError, DisputeClosedError, ValidationError (type or size),
    OperationBlockedError (nothing is stored).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    blobs: BlobStore
    risk: RiskGate

    async def execute(self, cmd: AddEvidence) -> Evidence:
        async with self.risk.session() as risk:
            return await self._add(cmd, risk)

    async def _add(self, cmd: AddEvidence, risk: RiskSession) -> Evidence:
        now = self.clock.now()
        async with self.uow() as uow:
            dispute = await visible_dispute(
                uow, cmd.dispute_id, cmd.actor_id, is_admin=cmd.is_admin
            )
            if dispute.status is DisputeStatus.RESOLVED:
                raise DisputeClosedError(f"dispute {dispute.id} is resolved")
            escrow = await uow.escrows.get(dispute.escrow_id)
        # Validate and screen before storing anything: a refused file never reaches the blob store.
        probe = Evidence(
            id="probe",
            uploaded_by=cmd.actor_id,
            filename=cmd.filename,
            content_type=cmd.content_type,
            size_bytes=len(cmd.data),
            sha256="",
            blob_key="",
            uploaded_at=now,
        )
        screening = await risk.check(
            "dispute.evidence_uploaded",
            actor_id=cmd.actor_id,
            at=now,
            escrow_id=escrow.id,
            attributes={
                **escrow_facts(escrow),
                "evidence_sha256": hashlib.sha256(cmd.data).hexdigest(),
            },
        )
        stored = await self.blobs.put(cmd.data, cmd.content_type)
        evidence = attrs.evolve(
            probe, id=self.ids.new_id("evd"), sha256=stored.sha256, blob_key=stored.key
        )
        async with self.uow() as uow:
            dispute = await visible_dispute(
                uow, cmd.dispute_id, cmd.actor_id, is_admin=cmd.is_admin
            )
            dispute.add_evidence(evidence, is_admin=cmd.is_admin)
            escrow = await uow.escrows.get(dispute.escrow_id)
            apply(escrow, screening, "dispute.evidence_uploaded", now)
            await persist_dispute(uow, dispute, self.ids)
            await persist_escrow(uow, escrow, self.ids)
            await uow.audit.add(evidence_added(cmd.actor_id, dispute, evidence))
            await uow.commit()
        return evidence
