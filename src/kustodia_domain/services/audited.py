"""Users' commands, each recorded in the audit trail once it took effect.

The edges (HTTP, CLI) run these rather than the bare handlers, so every state change a user
makes is in the hash-chained trail with its actor; the handlers stay unaware of auditing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import attrs

from kustodia_domain.audit.chain import AuditValue
from kustodia_domain.disputes.model import Dispute, Evidence, Message
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.identity.model import User
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.auth import AuthUseCases, SignUp
from kustodia_domain.services.dispute_commands import (
    AddEvidence,
    AddEvidenceHandler,
    OpenDispute,
    OpenDisputeHandler,
    PostDisputeMessage,
    PostDisputeMessageHandler,
)
from kustodia_domain.services.escrow_commands import (
    AcceptEscrowHandler,
    ApproveRelease,
    ApproveReleaseHandler,
    CancelEscrowHandler,
    EscrowCommand,
)
from kustodia_domain.services.open_escrow import OpenEscrow, OpenEscrowHandler
from kustodia_domain.services.users import SetPayoutAccount, SetPayoutAccountHandler

C = TypeVar("C")
R = TypeVar("R")


@attrs.frozen(kw_only=True)
class Entry:
    """What to record about one command: actor, action, subject and details."""

    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, AuditValue] = attrs.field(factory=dict)


@attrs.frozen
class Audited(Generic[C, R]):
    """Runs a command, then records what ``describe`` says about it (only if it succeeded)."""

    run: Callable[[C], Awaitable[R]]
    audit: AuditLog
    describe: Callable[[C, R], Entry]

    async def execute(self, cmd: C) -> R:
        result = await self.run(cmd)
        entry = self.describe(cmd, result)
        await self.audit.record(
            actor_id=entry.actor_id,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            details=entry.details,
        )
        return result


def _escrow(action: str) -> Callable[[EscrowCommand, Escrow], Entry]:
    def describe(cmd: EscrowCommand, escrow: Escrow) -> Entry:
        return Entry(
            actor_id=cmd.actor_id,
            action=action,
            subject_type="escrow",
            subject_id=escrow.id,
            details={"status": escrow.state.value},
        )

    return describe


def _signed_up(cmd: SignUp, user: User) -> Entry:
    return Entry(
        actor_id=user.id, action="user.registered", subject_type="user", subject_id=user.id
    )


def _payout_account(cmd: SetPayoutAccount, user: User) -> Entry:
    # The CLABE itself stays out of the trail; who changed it and when is what matters.
    return Entry(
        actor_id=cmd.user_id,
        action="user.payout_account_changed",
        subject_type="user",
        subject_id=user.id,
    )


def _opened(cmd: OpenEscrow, escrow: Escrow) -> Entry:
    return Entry(
        actor_id=cmd.creator_id,
        action="escrow.opened",
        subject_type="escrow",
        subject_id=escrow.id,
        details={"status": escrow.state.value, "amount": escrow.terms.amount.amount_minor},
    )


def _disputed(cmd: OpenDispute, dispute: Dispute) -> Entry:
    return Entry(
        actor_id=cmd.actor_id,
        action="dispute.opened",
        subject_type="dispute",
        subject_id=dispute.id,
        details={"escrow_id": dispute.escrow_id},
    )


def _message(cmd: PostDisputeMessage, message: Message) -> Entry:
    return Entry(
        actor_id=cmd.actor_id,
        action="dispute.message_posted",
        subject_type="dispute",
        subject_id=cmd.dispute_id,
        details={"message_id": message.id},
    )


def _evidence(cmd: AddEvidence, evidence: Evidence) -> Entry:
    return Entry(
        actor_id=cmd.actor_id,
        action="dispute.evidence_added",
        subject_type="dispute",
        subject_id=cmd.dispute_id,
        details={"evidence_id": evidence.id, "sha256": evidence.sha256},
    )


@attrs.frozen(kw_only=True)
class PartyCommands:
    """The commands users run, audited."""

    sign_up: Audited[SignUp, User]
    set_payout_account: Audited[SetPayoutAccount, User]
    open_escrow: Audited[OpenEscrow, Escrow]
    accept_escrow: Audited[EscrowCommand, Escrow]
    cancel_escrow: Audited[EscrowCommand, Escrow]
    approve_release: Audited[ApproveRelease, Escrow]
    open_dispute: Audited[OpenDispute, Dispute]
    post_dispute_message: Audited[PostDisputeMessage, Message]
    add_evidence: Audited[AddEvidence, Evidence]


@attrs.frozen(kw_only=True)
class PartyHandlers:
    """The bare handlers :func:`audited_party_commands` wraps."""

    auth: AuthUseCases
    set_payout_account: SetPayoutAccountHandler
    open_escrow: OpenEscrowHandler
    accept_escrow: AcceptEscrowHandler
    cancel_escrow: CancelEscrowHandler
    approve_release: ApproveReleaseHandler
    open_dispute: OpenDisputeHandler
    post_dispute_message: PostDisputeMessageHandler
    add_evidence: AddEvidenceHandler


def audited_party_commands(h: PartyHandlers, audit: AuditLog) -> PartyCommands:
    """Wrap each of the users' handlers so that it records its effect in ``audit``."""
    return PartyCommands(
        sign_up=Audited(h.auth.sign_up, audit, _signed_up),
        set_payout_account=Audited(h.set_payout_account.execute, audit, _payout_account),
        open_escrow=Audited(h.open_escrow.execute, audit, _opened),
        accept_escrow=Audited(h.accept_escrow.execute, audit, _escrow("escrow.accepted")),
        cancel_escrow=Audited(h.cancel_escrow.execute, audit, _escrow("escrow.cancelled")),
        approve_release=Audited(
            h.approve_release.execute, audit, _escrow("escrow.release_approved")
        ),
        open_dispute=Audited(h.open_dispute.execute, audit, _disputed),
        post_dispute_message=Audited(h.post_dispute_message.execute, audit, _message),
        add_evidence=Audited(h.add_evidence.execute, audit, _evidence),
    )
