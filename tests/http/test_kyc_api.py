"""KYC over HTTP: a user starts a verification; only the provider's signed verdict sets a level."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from httpx import Response

from kustodia_adapters.in_memory.kyc import SandboxKycProvider
from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.ports.kyc import KycResult, KycStatus
from kustodia_domain.services.kyc import RecordKycResultHandler
from kustodia_domain.shared.errors import ConcurrencyConflictError
from kustodia_entrypoints.bootstrap.settings import SettingsError, load_settings
from kustodia_entrypoints.http.config import Mode
from kustodia_entrypoints.http.signatures import sign
from tests.http.harness import WEBHOOK_SECRET, Person, World, running_world

KYC_SECRET = "test-kyc-webhook-secret-0123456789abcdef"  # noqa: S105 - test-only
WRONG_SECRET = "not-the-provider-secret-0123456789abcdef"  # noqa: S105 - test-only
ABOVE_N1_CAP = 700_000
"""7,000.00 MXN: above the N1 monthly cap of 750 UDIs, under the N3 cap."""


@pytest.fixture
def world() -> Iterator[World]:
    with running_world(kyc_webhook_secret=KYC_SECRET) as w:
        yield w


def start(world: World, who: Person, level: str = "N3") -> str:
    session = world.ok("POST", "/v1/me/kyc", who, {"level": level}, status=201)
    assert session["url"].endswith(session["session_id"])
    return str(session["session_id"])


def level_of(world: World, who: Person) -> str:
    return str(world.ok("GET", "/v1/me", who)["kyc_level"])


def verdict(world: World, session_id: str, status: KycStatus) -> dict[str, Any]:
    """What the sandbox provider would put in its webhook for ``session_id``."""
    provider = world.use_cases.platform.kyc.start.provider
    assert isinstance(provider, SandboxKycProvider)
    record = world.run(lambda: world.use_cases.platform.kyc.session(session_id))
    result = provider.settle(record, status)
    return {
        "session_id": result.session_id,
        "user_id": result.user_id,
        "status": result.status.value,
        "level": result.level.value,
        "reasons": list(result.reasons),
    }


def deliver(
    world: World,
    body: dict[str, Any],
    *,
    secret: str = KYC_SECRET,
    at: datetime | None = None,
    header: str | None = None,
) -> Response:
    raw = orjson.dumps(body)
    moment = int((at or world.wall[0]).timestamp())
    signature = f"t={moment},v1={sign(secret, moment, raw)}" if header is None else header
    return world.client.post(
        "/v1/webhooks/kyc",
        content=raw,
        headers={"Kustodia-Signature": signature, "Content-Type": "application/json"},
    )


def audited(world: World, action: str) -> list[AuditRecord]:
    entries = world.run(lambda: world.audit.entries(offset=0, limit=1_000))
    return [e.record for e in entries if e.record.action == action]


def test_a_signed_approval_raises_the_level_and_the_monthly_cap_the_fraud_rules_apply(
    world: World,
) -> None:
    payer, payee = world.person("payer", payout=False), world.person("payee")
    session_id = start(world, payer)
    assert level_of(world, payer) == "N1"

    reply = deliver(world, verdict(world, session_id, KycStatus.APPROVED))

    assert (reply.status_code, reply.json()) == (200, {"status": "approved"})
    assert level_of(world, payer) == "N3"
    escrow = world.escrow(payer, payee, amount=ABOVE_N1_CAP)
    body = {"escrow_id": escrow["id"], "amount": ABOVE_N1_CAP}
    deposit = world.ok("POST", "/v1/sandbox/deposits", payer, body, status=201)
    assert deposit["status"] == "applied"  # held in suspense at N1 (ESC-KYC-02)


def test_without_a_verdict_the_n1_cap_still_holds_a_large_deposit(world: World) -> None:
    payer, payee = world.person("payer", payout=False), world.person("payee")
    start(world, payer)
    escrow = world.escrow(payer, payee, amount=ABOVE_N1_CAP)
    body = {"escrow_id": escrow["id"], "amount": ABOVE_N1_CAP}
    deposit = world.ok("POST", "/v1/sandbox/deposits", payer, body, status=201)
    assert deposit["status"] == "unmatched"


def test_a_forged_stale_or_unsigned_webhook_changes_nothing(world: World) -> None:
    user = world.person()
    session_id = start(world, user)
    approval = verdict(world, session_id, KycStatus.APPROVED)

    forged = deliver(world, approval, secret=WRONG_SECRET)
    stale = deliver(world, approval, at=world.wall[0] - timedelta(seconds=301))
    unsigned = deliver(world, approval, header="")
    spei_secret = deliver(world, approval, secret=WEBHOOK_SECRET)

    assert [r.status_code for r in (forged, stale, unsigned, spei_secret)] == [401] * 4
    assert [r.json()["code"] for r in (forged, stale, unsigned)] == [
        "webhook.signature_invalid",
        "webhook.signature_stale",
        "webhook.signature_missing",
    ]
    assert level_of(world, user) == "N1"
    assert audited(world, "user.kyc_level_changed") == []


def test_a_replayed_webhook_is_refused_and_changes_nothing(world: World) -> None:
    user = world.person()
    session_id = start(world, user)
    raw = orjson.dumps(verdict(world, session_id, KycStatus.REJECTED))
    moment = int(world.wall[0].timestamp())
    headers = {"Kustodia-Signature": f"t={moment},v1={sign(KYC_SECRET, moment, raw)}"}

    first = world.client.post("/v1/webhooks/kyc", content=raw, headers=headers)
    replayed = world.client.post("/v1/webhooks/kyc", content=raw, headers=headers)

    assert (first.status_code, first.json()) == (200, {"status": "rejected"})
    assert (replayed.status_code, replayed.json()["code"]) == (400, "webhook.replayed")
    assert len(audited(world, "user.kyc_rejected")) == 1


def test_a_verdict_whose_first_processing_failed_is_applied_when_the_provider_retries(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = world.person()
    session_id = start(world, user)
    raw = orjson.dumps(verdict(world, session_id, KycStatus.APPROVED))
    moment = int(world.wall[0].timestamp())
    headers = {"Kustodia-Signature": f"t={moment},v1={sign(KYC_SECRET, moment, raw)}"}
    real = RecordKycResultHandler._approve
    calls = itertools.count()

    async def racing(handler: RecordKycResultHandler, result: KycResult) -> None:
        if next(calls) == 0:  # a concurrent change to the user committed first
            raise ConcurrencyConflictError("the user changed meanwhile")
        await real(handler, result)

    monkeypatch.setattr(RecordKycResultHandler, "_approve", racing)

    failed = world.client.post("/v1/webhooks/kyc", content=raw, headers=headers)
    retry = world.client.post("/v1/webhooks/kyc", content=raw, headers=headers)
    replayed = world.client.post("/v1/webhooks/kyc", content=raw, headers=headers)

    assert failed.status_code == 409
    assert (retry.status_code, retry.json()) == (200, {"status": "approved"})
    assert (replayed.status_code, replayed.json()["code"]) == (400, "webhook.replayed")
    assert level_of(world, user) == "N3"
    assert len(audited(world, "user.kyc_level_changed")) == 1


def test_a_rejection_leaves_the_level(world: World) -> None:
    user = world.person()
    session_id = start(world, user)
    rejected = world.ok("POST", f"/v1/sandbox/kyc/{session_id}/reject", user)
    assert rejected == {"status": "rejected"}
    assert level_of(world, user) == "N1"
    [record] = audited(world, "user.kyc_rejected")
    assert record.details["session_id"] == session_id


def test_an_unknown_session_is_refused(world: World) -> None:
    user = world.person()
    body = {"session_id": "kyc_never_opened", "user_id": user.id, "status": "approved"}
    reply = deliver(world, body | {"level": "N4", "reasons": []})
    assert reply.status_code == 404
    assert world.call("POST", "/v1/sandbox/kyc/kyc_never_opened/approve", user).status_code == 404
    assert level_of(world, user) == "N1"


def test_a_user_cannot_raise_their_own_level_without_the_provider(world: World) -> None:
    user, other = world.person(), world.person("other")
    own = world.call("PUT", f"/v1/admin/users/{user.id}/kyc-level", user, {"kyc_level": "N4"})
    assert own.status_code == 403
    assert world.call("PATCH", "/v1/me", user, {"kyc_level": "N4"}).status_code == 405
    # Another user's session, approved, cannot be redirected to oneself...
    session_id = start(world, other)
    redirected = verdict(world, session_id, KycStatus.APPROVED) | {"user_id": user.id}
    assert deliver(world, redirected).status_code == 422
    # ...nor settled by anyone but its user in the sandbox.
    approve = f"/v1/sandbox/kyc/{session_id}/approve"
    assert world.call("POST", approve, user).status_code == 404
    assert world.call("POST", "/v1/me/kyc", user, {"level": "N1"}).status_code == 422
    assert (level_of(world, user), level_of(world, other)) == ("N1", "N1")


def test_the_sandbox_approval_is_delivered_as_a_signed_webhook_once(world: World) -> None:
    user = world.person()
    session_id = start(world, user, "N2")
    approve = f"/v1/sandbox/kyc/{session_id}/approve"
    assert world.ok("POST", approve, user) == {"status": "approved"}
    assert world.ok("POST", approve, user) == {"status": "duplicate"}
    assert level_of(world, user) == "N2"
    [record] = audited(world, "user.kyc_level_changed")
    assert (record.actor_id, record.details["via"]) == (None, "kyc_provider")


def test_without_a_configured_secret_every_kyc_webhook_is_refused() -> None:
    with running_world() as world:
        user = world.person()
        session_id = start(world, user)
        approval = verdict(world, session_id, KycStatus.APPROVED)
        reply = deliver(world, approval, secret="")
        assert (reply.status_code, reply.json()["code"]) == (401, "webhook.not_configured")
        assert level_of(world, user) == "N1"


def test_the_sandbox_approve_endpoint_is_404_in_production() -> None:
    with running_world(mode=Mode.PRODUCTION, kyc_webhook_secret=KYC_SECRET) as world:
        user = world.person()
        session_id = start(world, user)
        reply = world.call("POST", f"/v1/sandbox/kyc/{session_id}/approve", user)
        assert reply.status_code == 404
        assert level_of(world, user) == "N1"


def test_production_refuses_to_start_without_the_kyc_webhook_secret() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"KUSTODIA_ENV": "production"})
    assert "KUSTODIA_KYC_WEBHOOK_SECRET is required in production (no default)" in (
        refused.value.problems
    )
