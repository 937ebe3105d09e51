"""The lifecycle state machine on the in-memory adapters."""

from hypothesis import settings

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.services.config import PlatformPolicy
from kustodia_entrypoints.bootstrap.in_memory import build_in_memory
from tests.property.lifecycle_machine import EscrowLifecycle, LifecycleApp


class InMemoryEscrowLifecycle(EscrowLifecycle):
    def build(self) -> LifecycleApp:
        # The machine checks money and state invariants for any sequence of commands, and its
        # model expects every deposit to apply: fraud verdicts have their own tests, so the
        # screen here allows everything.
        return build_in_memory(
            policy=PlatformPolicy(fees=FeeSchedule(standard_bps=150, dual_approval_bps=250)),
            risk=AllowAllRiskScreen(),
        )


TestInMemoryEscrowLifecycle = InMemoryEscrowLifecycle.TestCase
TestInMemoryEscrowLifecycle.settings = settings(stateful_step_count=40)
