"""Kustodia on the in-memory adapters: for tests, notebooks, examples and the walkthrough."""

from __future__ import annotations

import attrs

from kustodia_adapters.in_memory.blobs import InMemoryBlobStore
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.history import InMemoryPartyHistoryReader
from kustodia_adapters.in_memory.ids import SequentialIdGenerator
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_adapters.in_memory.yield_rate import FixedYieldRate
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.services.use_cases import Ports, UseCases


@attrs.frozen(kw_only=True)
class InMemoryKustodia:
    """The whole product in one process: its use cases and the fakes behind them."""

    use_cases: UseCases
    store: InMemoryStore
    clock: FixedClock
    rail: InMemoryPaymentRail

    def uow(self) -> InMemoryUnitOfWork:
        """A new unit of work over the shared store (for assertions on stored state)."""
        return InMemoryUnitOfWork(self.store)


def build_in_memory(
    *,
    clock: FixedClock | None = None,
    policy: PlatformPolicy | None = None,
    risk: RiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
) -> InMemoryKustodia:
    """Wire every use case to fresh in-memory adapters with a hand-moved clock."""
    store = InMemoryStore()
    clock = clock or FixedClock()
    rail = InMemoryPaymentRail()
    ports = Ports(
        uow=lambda: InMemoryUnitOfWork(store),
        clock=clock,
        ids=SequentialIdGenerator(),
        rail=rail,
        risk=risk or AllowAllRiskScreen(),
        assessor=assessor or PolicyDisputeAssessor(),
        history=InMemoryPartyHistoryReader(store),
        blobs=InMemoryBlobStore(),
        rates=FixedYieldRate(),
        policy=policy or PlatformPolicy(),
    )
    return InMemoryKustodia(use_cases=UseCases.build(ports), store=store, clock=clock, rail=rail)
