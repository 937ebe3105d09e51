"""Users' commands, each followed by chaining the audit record it committed.

Every handler here adds its audit record to its own unit of work (see
:mod:`kustodia_domain.services.audit_records`), so the record is committed with the change, or
not at all. Once the command returned, its record is moved onto the hash-chained trail at once,
so staff see it right away; when that fails the command's answer does not change (the work is
done, and a 5xx would invite a retry that does it again): the record waits in the queue and
the worker chains it (:meth:`AuditLog.chain`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import attrs

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


@attrs.frozen
class Audited(Generic[C, R]):
    """Runs a command that records its own audit entry, then chains what is pending."""

    run: Callable[[C], Awaitable[R]]
    audit: AuditLog

    async def execute(self, cmd: C) -> R:
        result = await self.run(cmd)
        await self.audit.chain_after_commit()
        return result


@attrs.frozen(kw_only=True)
class PartyCommands:
    """The commands users run, each audited in its own unit of work."""

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
    """The handlers :func:`audited_party_commands` wraps."""

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
    """Wrap each of the users' handlers so that its committed audit record is chained."""
    return PartyCommands(
        sign_up=Audited(h.auth.sign_up, audit),
        set_payout_account=Audited(h.set_payout_account.execute, audit),
        open_escrow=Audited(h.open_escrow.execute, audit),
        accept_escrow=Audited(h.accept_escrow.execute, audit),
        cancel_escrow=Audited(h.cancel_escrow.execute, audit),
        approve_release=Audited(h.approve_release.execute, audit),
        open_dispute=Audited(h.open_dispute.execute, audit),
        post_dispute_message=Audited(h.post_dispute_message.execute, audit),
        add_evidence=Audited(h.add_evidence.execute, audit),
    )
