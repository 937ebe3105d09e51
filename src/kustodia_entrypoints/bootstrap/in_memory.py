"""Kustodia on the in-memory adapters: for tests, notebooks, examples and the walkthrough."""

from __future__ import annotations

import attrs

from kustodia_adapters.crypto.argon2_hasher import Argon2PasswordHasher
from kustodia_adapters.email import ConsoleNotifier, drops_message
from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.back_office import InMemoryBackOfficeReads
from kustodia_adapters.in_memory.blobs import InMemoryBlobStore
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.credentials import InMemoryCredentialStore, TokenSecretSource
from kustodia_adapters.in_memory.fraud import (
    InMemoryAlertRepository,
    InMemoryOverrideRepository,
    InMemoryPartyProfiles,
    InMemoryRiskHistory,
    InMemoryRiskLists,
)
from kustodia_adapters.in_memory.history import InMemoryPartyHistoryReader
from kustodia_adapters.in_memory.idempotency import InMemoryIdempotencyStore
from kustodia_adapters.in_memory.ids import SequentialIdGenerator
from kustodia_adapters.in_memory.kyc import InMemoryKycSessions, SandboxKycProvider
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.rail_statement import InMemoryRailStatement
from kustodia_adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import CommitFence, InMemoryUnitOfWork
from kustodia_adapters.in_memory.webhooks import InMemoryWebhookReceipts
from kustodia_adapters.in_memory.yield_rate import FixedYieldRate
from kustodia_domain.fraud.alerts import AlertRepository
from kustodia_domain.fraud.history import RiskHistory
from kustodia_domain.fraud.lists import RiskLists
from kustodia_domain.fraud.profiles import PartyProfiles
from kustodia_domain.fraud.ruleset_files import default_ruleset
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.credentials import PasswordHasher
from kustodia_domain.ports.idempotency import REQUEST_CLAIM
from kustodia_domain.ports.kyc import KycProvider
from kustodia_domain.ports.notifications import Notifier
from kustodia_domain.ports.rail_statement import RailStatementReader
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.services.use_cases import Ports, UseCases
from kustodia_entrypoints.bootstrap.reporting import log_absorbed

FAST_HASHER_KIB = 64
"""argon2id memory for tests and demos: the same algorithm at a cost that keeps them quick."""


@attrs.frozen(kw_only=True)
class InMemoryKustodia:
    """The whole product in one process: its use cases and the fakes behind them."""

    use_cases: UseCases
    store: InMemoryStore
    clock: FixedClock
    rail: InMemoryPaymentRail
    audit: InMemoryAuditTrail
    risk: RiskScreen
    """The screen the use cases ask: the rule engine unless a test passed its own."""

    def uow(self) -> InMemoryUnitOfWork:
        """A new unit of work over the shared store (for assertions on stored state)."""
        return InMemoryUnitOfWork(self.store)


def fast_hasher() -> PasswordHasher:
    """argon2id with minimal cost, for tests and throwaway demos only."""
    return Argon2PasswordHasher(time_cost=1, memory_kib=FAST_HASHER_KIB, parallelism=1)


def rule_engine(
    history: RiskHistory, profiles: PartyProfiles, lists: RiskLists
) -> RuleEngineRiskScreen:
    """The fraud rule engine with the shipped ruleset and no shadow candidates."""
    return RuleEngineRiskScreen(
        ruleset=default_ruleset(), history=history, profiles=profiles, lists=lists, shadow=()
    )


def in_memory_ports(
    store: InMemoryStore,
    *,
    clock: Clock,
    rail: InMemoryPaymentRail,
    audit: InMemoryAuditTrail,
    ids: IdGenerator | None = None,
    policy: PlatformPolicy | None = None,
    risk: RiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
    hasher: PasswordHasher | None = None,
    alerts: AlertRepository | None = None,
    kyc: KycProvider | None = None,
    notifier: Notifier | None = None,
    statement: RailStatementReader | None = None,
) -> Ports:
    """Every port on in-memory adapters over ``store``.

    ``risk`` defaults to the rule engine over the same in-memory profiles and lists the use
    cases keep; tests about something other than fraud may pass ``AllowAllRiskScreen()``.
    E-mails go to the console notifier unless ``notifier`` says otherwise, and the rail's
    statement is the sandbox rail's own unless ``statement`` replaces it.
    """
    profiles, lists = InMemoryPartyProfiles(), InMemoryRiskLists()
    keys = InMemoryIdempotencyStore()

    def unit_of_work() -> InMemoryUnitOfWork:
        # Fenced by the claim of the request being served, if it has one.
        claim = REQUEST_CLAIM.get()
        return InMemoryUnitOfWork(store, None if claim is None else CommitFence(keys, claim, clock))

    return Ports(
        uow=unit_of_work,
        clock=clock,
        ids=ids or SequentialIdGenerator(),
        rail=rail,
        risk=risk or rule_engine(InMemoryRiskHistory(), profiles, lists),
        assessor=assessor or PolicyDisputeAssessor(),
        history=InMemoryPartyHistoryReader(store),
        blobs=InMemoryBlobStore(),
        rates=FixedYieldRate(),
        policy=policy or PlatformPolicy(),
        audit=audit,
        hasher=hasher or fast_hasher(),
        credentials=InMemoryCredentialStore(),
        secrets=TokenSecretSource(),
        idempotency=keys,
        webhook_receipts=InMemoryWebhookReceipts(),
        kyc=kyc or SandboxKycProvider(),
        kyc_sessions=InMemoryKycSessions(),
        back_office=InMemoryBackOfficeReads(store),
        alerts=alerts or InMemoryAlertRepository(),
        overrides=InMemoryOverrideRepository(),
        lists=lists,
        profiles=profiles,
        notifier=notifier or ConsoleNotifier(),
        email_is_permanent=drops_message,
        statement=statement or InMemoryRailStatement(rail),
        reconciliation=InMemoryReconciliationQueue(),
        report=log_absorbed,
    )


def build_in_memory(
    *,
    clock: FixedClock | None = None,
    policy: PlatformPolicy | None = None,
    risk: RiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
) -> InMemoryKustodia:
    """Wire every use case to fresh in-memory adapters with a hand-moved clock.

    The fraud rule engine screens every operation unless ``risk`` replaces it.
    """
    store = InMemoryStore()
    clock = clock or FixedClock()
    rail = InMemoryPaymentRail()
    audit = InMemoryAuditTrail(store)
    ports = in_memory_ports(
        store, clock=clock, rail=rail, audit=audit, policy=policy, risk=risk, assessor=assessor
    )
    return InMemoryKustodia(
        use_cases=UseCases.build(ports),
        store=store,
        clock=clock,
        rail=rail,
        audit=audit,
        risk=ports.risk,
    )
