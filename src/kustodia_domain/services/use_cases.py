"""Every use case, built from one set of ports.

This is what an application (HTTP, CLI, worker, test or notebook) holds to run the product.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.fraud.alerts import AlertRepository
from kustodia_domain.fraud.lists import RiskLists
from kustodia_domain.fraud.overrides import OverrideRepository
from kustodia_domain.fraud.profiles import PartyProfiles
from kustodia_domain.identity.credentials import LoginPolicy
from kustodia_domain.ports.assessor import DisputeAssessor, PartyHistoryReader
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.ports.back_office import BackOfficeReads
from kustodia_domain.ports.blobs import BlobStore
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.credentials import CredentialStore, PasswordHasher, SecretSource
from kustodia_domain.ports.idempotency import IdempotencyStore
from kustodia_domain.ports.kyc import KycProvider, KycSessions
from kustodia_domain.ports.notifications import Notifier
from kustodia_domain.ports.payment_rail import PaymentRail
from kustodia_domain.ports.rail_statement import RailStatementReader
from kustodia_domain.ports.reconciliation_queue import ReconciliationQueue
from kustodia_domain.ports.reporting import Report, unreported
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.ports.webhooks import WebhookReceipts
from kustodia_domain.ports.yield_rate import YieldRateProvider
from kustodia_domain.services.admin_commands import BackOfficeCommands, DisputeHandlers
from kustodia_domain.services.admin_queries import BackOfficeQueries
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.audited import PartyCommands, PartyHandlers, audited_party_commands
from kustodia_domain.services.auth import AuthUseCases
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.deliver_emails import DeliverEmailsHandler, never_permanent
from kustodia_domain.services.dispatch_payouts import DispatchPayoutsHandler
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
from kustodia_domain.services.idempotency import IdempotentRequests
from kustodia_domain.services.kyc import KycUseCases, RecordKycResultHandler, StartKycHandler
from kustodia_domain.services.open_escrow import OpenEscrowHandler
from kustodia_domain.services.operations import Operations
from kustodia_domain.services.payouts import (
    ConfirmPayoutHandler,
    ReissuePayoutHandler,
    ReturnPayoutHandler,
)
from kustodia_domain.services.profiles import Profiles
from kustodia_domain.services.queries import (
    DisputeQueries,
    EscrowQueries,
    NotificationQueries,
)
from kustodia_domain.services.rail_events import RailEvents
from kustodia_domain.services.reconcile_rail import ReconcileRailHandler
from kustodia_domain.services.reconciliation_desk import ReconciliationDesk
from kustodia_domain.services.record_deposit import RecordDepositHandler
from kustodia_domain.services.resolve_dispute import (
    ApproveResolutionHandler,
    AssessDisputeHandler,
    ResolveDisputeHandler,
)
from kustodia_domain.services.risk_followups import FollowUps
from kustodia_domain.services.risk_gate import RiskGate
from kustodia_domain.services.risk_lists_admin import ListDesk
from kustodia_domain.services.risk_overrides import OverrideDesk
from kustodia_domain.services.risk_profiles import ProfileKeeper
from kustodia_domain.services.run_due_jobs import RunDueJobsHandler
from kustodia_domain.services.support import SupportUseCases
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
    # The platform's edges (auth, support, audit, back office, idempotency, webhooks):
    audit: AuditTrail
    hasher: PasswordHasher
    credentials: CredentialStore
    secrets: SecretSource
    idempotency: IdempotencyStore
    webhook_receipts: WebhookReceipts
    # KYC: the provider, and the sessions the platform opened with it.
    kyc: KycProvider
    kyc_sessions: KycSessions
    back_office: BackOfficeReads
    # The fraud engine's stores the use cases write: alerts, overrides, lists and profiles.
    alerts: AlertRepository
    overrides: OverrideRepository
    lists: RiskLists
    profiles: PartyProfiles
    # E-mail (the worker sends the outbox's ``email.send`` messages through ``notifier``):
    notifier: Notifier
    email_is_permanent: Callable[[Exception], bool] = never_permanent
    """Which of the notifier's errors give an e-mail up instead of retrying it."""
    # Reconciliation with the rail: its statement, and the queue of differences found.
    statement: RailStatementReader
    reconciliation: ReconciliationQueue
    login: LoginPolicy = LoginPolicy()
    report: Report = unreported
    """Where failures absorbed on purpose go (chaining after a commit)."""


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
    deliver_emails: DeliverEmailsHandler
    reconcile_rail: ReconcileRailHandler
    escrows: EscrowQueries
    disputes: DisputeQueries
    notifications: NotificationQueries
    risk: RiskGate
    profiles: ProfileKeeper
    platform: PlatformUseCases = attrs.field(init=False)
    """Built by :meth:`build` from the handlers above, which it shares."""

    @classmethod
    def build(cls, p: Ports) -> UseCases:
        """Wire every handler to ``p``."""
        follow_ups = FollowUps(p.uow, p.ids, p.lists, p.back_office)
        risk = RiskGate(p.risk, p.ids, p.alerts, p.overrides, follow_ups)
        profiles = ProfileKeeper(p.profiles)
        base = (p.uow, p.clock, p.ids)
        use_cases = cls(
            register_user=RegisterUserHandler(*base, rail=p.rail, risk=risk, profiles=profiles),
            set_payout_account=SetPayoutAccountHandler(p.uow, p.clock, risk, profiles),
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
            resolve_dispute=ResolveDisputeHandler(*base, policy=p.policy, profiles=profiles),
            approve_resolution=ApproveResolutionHandler(*base, policy=p.policy, profiles=profiles),
            dispatch_payouts=DispatchPayoutsHandler(*base, rail=p.rail, risk=risk),
            confirm_payout=ConfirmPayoutHandler(*base),
            return_payout=ReturnPayoutHandler(*base, risk=risk),
            reissue_payout=ReissuePayoutHandler(*base, risk=risk),
            run_due_jobs=RunDueJobsHandler(p.uow, p.ids, p.rates, risk, p.policy),
            deliver_emails=DeliverEmailsHandler(
                p.uow, p.clock, p.notifier, is_permanent=p.email_is_permanent
            ),
            reconcile_rail=ReconcileRailHandler(
                p.uow, p.clock, p.back_office, p.statement, p.reconciliation
            ),
            escrows=EscrowQueries(p.uow),
            disputes=DisputeQueries(p.uow),
            notifications=NotificationQueries(p.uow),
            risk=risk,
            profiles=profiles,
        )
        # The platform's use cases wrap the core handlers, so they are built once those exist;
        # a frozen class sets a late field the way attrs documents, through object.__setattr__.
        object.__setattr__(use_cases, "platform", PlatformUseCases.build(p, use_cases))
        return use_cases


@attrs.frozen(kw_only=True)
class PlatformUseCases:
    """What the edges run beyond the core handlers.

    Auth, audited user commands, support, the back office, idempotency keys, rail notices,
    operations and reconciliation with the rail.
    """

    auth: AuthUseCases
    profiles: Profiles
    party: PartyCommands
    support: SupportUseCases
    audit: AuditLog
    back_office: BackOfficeQueries
    admin: BackOfficeCommands
    overrides: OverrideDesk
    lists: ListDesk
    idempotency: IdempotentRequests
    rail: RailEvents
    kyc: KycUseCases
    operations: Operations
    reconciliation: ReconciliationDesk

    @classmethod
    def build(cls, p: Ports, uc: UseCases) -> PlatformUseCases:
        """Wire the platform's use cases to ``p`` and to the core handlers of ``uc``."""
        audit = AuditLog(p.audit, p.clock, p.report)
        auth = AuthUseCases(
            p.uow, p.clock, p.ids, uc.register_user, p.hasher, p.credentials, p.secrets, p.login
        )
        party = PartyHandlers(
            auth=auth,
            set_payout_account=uc.set_payout_account,
            open_escrow=uc.open_escrow,
            accept_escrow=uc.accept_escrow,
            cancel_escrow=uc.cancel_escrow,
            approve_release=uc.approve_release,
            open_dispute=uc.open_dispute,
            post_dispute_message=uc.post_dispute_message,
            add_evidence=uc.add_evidence,
        )
        disputes = DisputeHandlers(
            assess=uc.assess_dispute, resolve=uc.resolve_dispute, approve=uc.approve_resolution
        )
        return cls(
            auth=auth,
            profiles=Profiles(p.uow),
            party=audited_party_commands(party, audit),
            support=SupportUseCases(p.uow, p.clock, p.ids, audit),
            audit=audit,
            back_office=BackOfficeQueries(p.uow, p.back_office, p.alerts, audit),
            admin=BackOfficeCommands(
                p.uow,
                p.clock,
                audit,
                p.alerts,
                uc.hold_escrow,
                uc.clear_hold,
                disputes,
                uc.reissue_payout,
                uc.risk,
                uc.profiles,
            ),
            overrides=OverrideDesk(p.uow, p.clock, p.ids, p.alerts, p.overrides, uc.risk, audit),
            lists=ListDesk(p.uow, p.clock, p.ids, p.lists, audit),
            idempotency=IdempotentRequests(p.idempotency, p.clock),
            rail=RailEvents(
                p.clock,
                p.webhook_receipts,
                audit,
                uc.record_deposit,
                uc.confirm_payout,
                uc.return_payout,
            ),
            kyc=KycUseCases(
                p.clock,
                p.webhook_receipts,
                p.kyc_sessions,
                StartKycHandler(p.uow, p.clock, p.kyc, p.kyc_sessions),
                RecordKycResultHandler(p.uow, p.clock, p.kyc_sessions, uc.risk, uc.profiles, audit),
            ),
            operations=Operations(
                p.uow, p.back_office, audit, uc.run_due_jobs, uc.dispatch_payouts
            ),
            reconciliation=ReconciliationDesk(p.uow, p.reconciliation, uc.reconcile_rail, audit),
        )
