"""Operations: health, readiness, metrics, OpenAPI, security headers, CORS, production mode."""

from __future__ import annotations

import re

from kustodia_entrypoints.http.config import Mode
from kustodia_entrypoints.http.services import Readiness
from tests.http.harness import Person, World, running_world


def test_health_and_readiness_answer(world: World) -> None:
    assert world.ok("GET", "/health") == {"status": "ok"}
    assert world.ok("GET", "/ready") == {"status": "ready", "checks": {"database": "in-memory"}}


def test_readiness_is_503_when_the_database_is_not_ready() -> None:
    class Down:
        async def check(self) -> Readiness:
            return Readiness(
                ready=False, checks={"database": "schema at 186b72ab9567, head is ce09d9c2161d"}
            )

    with running_world(readiness=Down()) as world:
        reply = world.call("GET", "/ready")
    assert (reply.status_code, reply.json()["status"]) == (503, "not_ready")


def test_metrics_expose_latency_escrows_decisions_and_backlog(
    world: World, payer: Person, payee: Person
) -> None:
    world.funded(payer, payee)
    text = world.client.get("/metrics").text
    assert (
        'kustodia_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/escrows"'
        in text
    )
    assert 'kustodia_escrows{state="funded"} 1.0' in text
    assert 'kustodia_risk_decisions{outcome="allow"}' in text
    # No payout is due yet; the e-mails of the notifications wait for the worker.
    assert re.search(r"^kustodia_outbox_backlog [1-9]\d*\.0$", text, flags=re.MULTILINE)


def test_the_openapi_document_is_3_1_with_docs_and_problem_responses(world: World) -> None:
    document = world.ok("GET", "/schema/openapi.json")
    assert document["openapi"].startswith("3.1")
    assert "/v1/escrows/{escrow_id}/approve-release" in document["paths"]
    post = document["paths"]["/v1/escrows"]["post"]
    assert post["responses"]["422"]["content"]["application/problem+json"]
    assert world.client.get("/schema").status_code == 200


def test_every_response_carries_security_headers_and_a_request_id(world: World) -> None:
    for reply in (
        world.client.get("/health"),
        world.client.get("/nowhere", headers={"X-Request-ID": "abc-123"}),
    ):
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["x-request-id"] == "abc-123"
    assert reply.json()["code"] == "not_found"


def test_cors_answers_only_allowed_origins() -> None:
    with running_world(cors_origins=("https://app.kustodia.mx",)) as world:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = world.client.options(
            "/v1/escrows", headers={"Origin": "https://app.kustodia.mx", **preflight}
        )
        other = world.client.options(
            "/v1/escrows", headers={"Origin": "https://evil.example", **preflight}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://app.kustodia.mx"
    assert "access-control-allow-origin" not in other.headers


def test_production_has_no_sandbox_and_strict_transport() -> None:
    with running_world(mode=Mode.PRODUCTION) as world:
        payer = world.person("payer")
        assert (
            world.call("POST", "/v1/sandbox/clock/advance", payer, {"seconds": 60}).status_code
            == 404
        )
        assert world.call("GET", "/v1/sandbox/clock", payer).status_code == 404
        assert "/v1/sandbox/clock" not in world.ok("GET", "/schema/openapi.json")["paths"]
        assert (
            world.client.get("/health").headers["strict-transport-security"].startswith("max-age=")
        )


def test_an_unexpected_failure_is_a_bare_500() -> None:
    class Broken:
        async def check(self) -> Readiness:
            raise RuntimeError("SELECT * FROM secrets")

    with running_world(readiness=Broken()) as world:
        reply = world.call("GET", "/ready")
    assert reply.status_code == 500
    assert "SELECT" not in reply.text
    assert reply.json()["code"] == "internal"
