"""The HTTP rail keeps the ``PaymentRail`` contract the sandbox rail keeps, against the fake."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from kustodia_adapters.rails.client import RailApiClient
from kustodia_adapters.rails.http_spei import HttpSpeiRail
from kustodia_domain.ports.payment_rail import PaymentRail, PayoutOrder
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money
from tests.contract import test_payment_rail as contract
from tests.integration.rails.fake_provider import FakeRailProvider


class TestHttpSpeiRail(contract.PaymentRailContract):
    provider: FakeRailProvider

    @pytest.fixture
    async def rail(self, provider: FakeRailProvider, api: RailApiClient) -> HttpSpeiRail:
        self.provider = provider
        return HttpSpeiRail(api)

    def executed(self, rail: PaymentRail) -> Sequence[PayoutOrder]:
        executed = []
        for key, execution in self.provider.executions.items():
            payout = self.provider.payouts[execution.payout_id]
            executed.append(
                PayoutOrder(
                    payout_id=payout.reference,
                    idempotency_key=key,
                    amount=Money.mxn(payout.amount),
                    destination=Clabe(payout.destination_clabe),
                    concept=payout.concept,
                )
            )
        return executed
