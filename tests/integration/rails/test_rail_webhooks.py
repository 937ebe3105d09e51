"""The provider's webhooks, signed by the fake, verified by the platform's own edge verifier."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from kustodia_entrypoints.http.signatures import SignatureRejected, verify
from tests.http.harness import WEBHOOK_SECRET, World, running_world
from tests.integration.rails.fake_provider import Delivery, FakeRailProvider

TOLERANCE = timedelta(seconds=300)
FORGERS_SECRET = "a-secret-the-forger-guessed"  # noqa: S105 - test-only


def check(delivery: Delivery, *, secret: str = WEBHOOK_SECRET) -> str:
    return verify(
        delivery.headers["Kustodia-Signature"],
        delivery.body,
        secret=secret,
        now=datetime.now(UTC),
        tolerance=TOLERANCE,
    )


def deposit(provider: FakeRailProvider) -> Delivery:
    return provider.receive_deposit(
        clabe="646180000000000018", reference="1234567", amount=10_000, tracking_key="TRK1"
    )


def test_the_providers_webhooks_pass_the_edge_verifier(provider: FakeRailProvider) -> None:
    received = deposit(provider)
    assert check(received)
    assert json.loads(received.body)["type"] == "deposit.received"


def test_a_payout_notice_passes_the_edge_verifier_and_names_the_platforms_payout(
    provider: FakeRailProvider,
) -> None:
    notice = provider.webhook({"event_id": "evt_9", "type": "payout.confirmed", "payout_id": "p1"})
    assert check(notice)


def test_a_webhook_signed_with_another_secret_is_forged(provider: FakeRailProvider) -> None:
    forged = provider.webhook({"event_id": "evt_1", "type": "payout.confirmed", "payout_id": "p"})
    with pytest.raises(SignatureRejected) as raised:
        check(forged, secret=FORGERS_SECRET)
    assert raised.value.code == "webhook.signature_invalid"


def test_a_tampered_body_is_forged(provider: FakeRailProvider) -> None:
    genuine = deposit(provider)
    tampered = Delivery(genuine.body.replace(b"10000", b"99999999"), genuine.headers)
    with pytest.raises(SignatureRejected) as raised:
        check(tampered)
    assert raised.value.code == "webhook.signature_invalid"


def test_a_stale_webhook_is_rejected(provider: FakeRailProvider) -> None:
    stale = provider.webhook(
        {"event_id": "evt_1", "type": "payout.returned", "payout_id": "p"},
        at=datetime.now(UTC) - timedelta(minutes=10),
    )
    with pytest.raises(SignatureRejected) as raised:
        check(stale)
    assert raised.value.code == "webhook.signature_stale"


def _post(world: World, delivery: Delivery) -> tuple[int, dict[str, object]]:
    reply = world.client.post("/v1/webhooks/spei", content=delivery.body, headers=delivery.headers)
    return reply.status_code, reply.json()


def test_the_platform_applies_the_providers_deposit_webhook_and_refuses_forgeries(
    provider: FakeRailProvider,
) -> None:
    with running_world() as world:
        payer, payee = world.person("payer", payout=False), world.person("payee")
        escrow = world.escrow(payer, payee)
        funding = escrow["funding_instructions"]

        def arrives(tracking_key: str, secret: str | None = None) -> Delivery:
            genuine = provider.receive_deposit(
                clabe=funding["clabe"],
                reference=funding["reference"],
                amount=escrow["amount_due"],
                tracking_key=tracking_key,
            )
            if secret is None:
                return genuine
            return provider.webhook(json.loads(genuine.body), secret=secret)

        forged = arrives("TRK-FORGED", secret=FORGERS_SECRET)
        assert _post(world, forged)[0] == 401
        stale_event = json.loads(arrives("TRK-STALE").body)
        stale = provider.webhook(stale_event, at=datetime.now(UTC) - timedelta(minutes=6))
        assert _post(world, stale)[0] == 401
        assert world.get(payer, escrow["id"])["status"] == "awaiting_funds"

        genuine = arrives("TRK-GENUINE")
        assert _post(world, genuine) == (200, {"status": "applied"})
        assert _post(world, genuine)[0] == 400  # the same delivery again is a replay
        funded = world.get(payer, escrow["id"])
        assert funded["status"] == "funded"
        assert [d["tracking_key"] for d in funded["deposits"]] == ["TRK-GENUINE"]
