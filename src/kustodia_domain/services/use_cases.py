"""Every use case, built from one set of ports.

This is what an application (HTTP, CLI, worker, test or notebook) holds to run the product.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.ports.assessor import DisputeAssessor, PartyHistoryReader
from kustodia_domain.ports.blobs import BlobStore
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.payment_rail import PaymentRail
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.ports.yield_rate import YieldRateProvider
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.dispute_commands import (
    AddEvidenceHandler,
    OpenDisputeHandler,
    PostDisputeMessageHandler,
)
from kustodia_domain.services.escrow_commands import (
    AcceptEscrowHandler,
    ApproveReleaseHandler,
    CancelEscrowHandler,
)
from kustodia_domain.services.holds import ClearHoldHandler, HoldEscrowHandler
from kustodia_domain.services.open_escrow import OpenEscrowHandler
from kustodia_domain.services.payouts import (
    ConfirmPayoutHandler,
    DispatchPayoutsHandler,
    ReissuePayoutHandler,
    ReturnPayoutHandler,
)
from kustodia_domain.services.queries import (
    DisputeQueries,
    EscrowQueries,
    NotificationQueries,
)
from kustodia_domain.services.record_deposit import RecordDepositHandler
from kustodia_domain.services.resolve_dispute import (
    ApproveResolutionHandler,
    AssessDisputeHandler,
    ResolveDisputeHandler,
)
from kustodia_domain.services.risk_gate import RiskGate
from kustodia_domain.services.run_due_jobs import RunDueJobsHandler
from kustodia_domain.services.users import RegisterUserHandler, SetPayoutAccountHandler


@attrs.frozen(kw_only=True)
class Ports:
    """The ports a Kustodia application needs."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    rail: PaymentRail
    risk: RiskScreen
    assessor: DisputeAssessor
    history: PartyHistoryReader
    blobs: BlobStore
    rates: YieldRateProvider
    policy: PlatformPolicy = PlatformPolicy()


@attrs.frozen(kw_only=True)
class UseCases:
    """One handler per use case, wired to the same ports."""

    register_user: RegisterUserHandler
    set_payout_account: SetPayoutAccountHandler
    open_escrow: OpenEscrowHandler
    accept_escrow: AcceptEscrowHandler
    cancel_escrow: CancelEscrowHandler
    record_deposit: RecordDepositHandler
    approve_release: ApproveReleaseHandler
    hold_escrow: HoldEscrowHandler
    clear_hold: ClearHoldHandler
    open_dispute: OpenDisputeHandler
    post_dispute_message: PostDisputeMessageHandler
    add_evidence: AddEvidenceHandler
    assess_dispute: AssessDisputeHandler
    resolve_dispute: ResolveDisputeHandler
    approve_resolution: ApproveResolutionHandler
    dispatch_payouts: DispatchPayoutsHandler
    confirm_payout: ConfirmPayoutHandler
    return_payout: ReturnPayoutHandler
    reissue_payout: ReissuePayoutHandler
    run_due_jobs: RunDueJobsHandler
    escrows: EscrowQueries
    disputes: DisputeQueries
    notifications: NotificationQueries

    @classmethod
    def build(cls, p: Ports) -> UseCases:
        """Wire every handler to ``p``."""
        risk = RiskGate(p.risk, p.ids)
        base = (p.uow, p.clock, p.ids)
        return cls(
            register_user=RegisterUserHandler(*base, rail=p.rail, risk=risk),
            set_payout_account=SetPayoutAccountHandler(p.uow, p.clock, risk),
            open_escrow=OpenEscrowHandler(*base, risk=risk, policy=p.policy),
            accept_escrow=AcceptEscrowHandler(*base, policy=p.policy),
            cancel_escrow=CancelEscrowHandler(*base),
            record_deposit=RecordDepositHandler(*base, risk=risk, policy=p.policy),
            approve_release=ApproveReleaseHandler(*base, risk=risk, policy=p.policy),
            hold_escrow=HoldEscrowHandler(*base),
            clear_hold=ClearHoldHandler(*base),
            open_dispute=OpenDisputeHandler(*base, risk=risk, policy=p.policy),
            post_dispute_message=PostDisputeMessageHandler(*base),
            add_evidence=AddEvidenceHandler(*base, blobs=p.blobs, risk=risk),
            assess_dispute=AssessDisputeHandler(*base, assessor=p.assessor, history=p.history),
            resolve_dispute=ResolveDisputeHandler(*base, policy=p.policy),
            approve_resolution=ApproveResolutionHandler(*base, policy=p.policy),
            dispatch_payouts=DispatchPayoutsHandler(*base, rail=p.rail),
            confirm_payout=ConfirmPayoutHandler(*base),
            return_payout=ReturnPayoutHandler(*base),
            reissue_payout=ReissuePayoutHandler(*base),
            run_due_jobs=RunDueJobsHandler(p.uow, p.ids, p.rates, risk, p.policy),
            escrows=EscrowQueries(p.uow),
            disputes=DisputeQueries(p.uow),
            notifications=NotificationQueries(p.uow),
        )
