"""The lifecycle state machine on the in-memory adapters."""

from hypothesis import settings

from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.services.config import PlatformPolicy
from kustodia_entrypoints.bootstrap.in_memory import build_in_memory
from tests.property.lifecycle_machine import EscrowLifecycle, LifecycleApp


class InMemoryEscrowLifecycle(EscrowLifecycle):
    def build(self) -> LifecycleApp:
        return build_in_memory(
            policy=PlatformPolicy(fees=FeeSchedule(standard_bps=150, dual_approval_bps=250))
        )


TestInMemoryEscrowLifecycle = InMemoryEscrowLifecycle.TestCase
TestInMemoryEscrowLifecycle.settings = settings(stateful_step_count=40)
