"""Helpers for the LLM adapter tests: a dispute to assess, fast options, the fallback's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kustodia_adapters.llm import ClientOptions, LlmDisputeAssessor, LlmOptions
from kustodia_domain.disputes.assessment import (
    Assessment,
    AssessmentRequest,
    PartyHistory,
    SideActivity,
)
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.shared.money import Money
from tests.integration.llm.chat_server import ChatServer

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FUNDED = AT - timedelta(days=6)
MODEL = "gpt-4o-mini"
API_KEY = "sk-test-not-a-real-key"

FAST = ClientOptions(
    timeout_seconds=0.25,
    connect_timeout_seconds=0.5,
    deadline_seconds=5.0,
    max_retries=2,
    backoff_seconds=0.01,
    max_backoff_seconds=0.02,
    max_retry_after_seconds=0.05,
    trust_env=False,
)
"""Tiny timeouts and backoffs so that every failure mode runs in well under a second."""


class RecordedSleep:
    """Stands in for ``asyncio.sleep`` and remembers how long each retry would have waited."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_assessor(
    server: ChatServer | None,
    *,
    model: str | None = MODEL,
    api_key: str | None = API_KEY,
    client: ClientOptions = FAST,
    fallback: DisputeAssessor | None = None,
    sleep: RecordedSleep | None = None,
    **options: Any,
) -> LlmDisputeAssessor:
    return LlmDisputeAssessor(
        base_url=None if server is None else server.base_url,
        model=model,
        api_key=api_key,
        fallback=fallback,
        options=LlmOptions(client=client, **options),
        sleep=sleep,
    )


def dispute_request(
    *, reason: str = "goods not delivered", details: str = "The seller stopped answering."
) -> AssessmentRequest:
    """A buyer's dispute with some evidence, a silent seller and ordinary histories."""
    return AssessmentRequest(
        dispute_id="dsp_01HZX3",
        opened_by="payer",
        amount=Money.mxn(5_000_000),
        disputed_amount=Money.mxn(5_000_000),
        escrow_kind="standard",
        reason=reason,
        details=details,
        funded_at=FUNDED,
        custody_ends_at=FUNDED + timedelta(days=10),
        opened_at=FUNDED + timedelta(days=2),
        payer=PartyHistory(
            account_age_days=400,
            escrows_completed=12,
            disputes_opened=1,
            disputes_won=1,
            disputes_lost=0,
            kyc_level="N3",
        ),
        payee=PartyHistory(
            account_age_days=20,
            escrows_completed=1,
            disputes_opened=0,
            disputes_won=0,
            disputes_lost=2,
            kyc_level="N1",
        ),
        payer_activity=SideActivity(messages=3, evidence_files=2, evidence_bytes=250_000),
        payee_activity=SideActivity(messages=0, evidence_files=0, evidence_bytes=0),
        response_due_at=FUNDED + timedelta(days=5),
    )


async def policy_fallback(request: AssessmentRequest, at: datetime = AT) -> Assessment:
    """What the deterministic fallback says about ``request``."""
    return await PolicyDisputeAssessor(fallback_used=True).assess(request, at)


GOOD_ANSWER: dict[str, Any] = {
    "outcome": "split",
    "payee_share_bps": 3_500,
    "confidence_bps": 6_200,
    "factors": [
        {"name": "buyer_evidence", "weight": -25, "detail": "two files and three messages"},
        {"name": "seller_silent", "weight": -20, "detail": "no answer before the deadline"},
        {"name": "seller_new_account", "weight": -5, "detail": "account under 30 days old"},
    ],
    "summary": "The buyer documented the claim and the seller did not answer in time.",
}
