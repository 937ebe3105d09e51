"""The LLM dispute assessor against a real local chat-completions server.

Every case ends in a valid ``Assessment``: the model's when its answer arrived and validated
(``fallback_used`` false), otherwise exactly the deterministic policy's, marked as a fallback,
with the reason logged.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import attrs
import orjson
import pytest

from kustodia_adapters.llm import LlmDisputeAssessor
from kustodia_adapters.llm.payloads import ANSWER_SCHEMA, SCHEMA_NAME, SYSTEM_PROMPT
from kustodia_domain.disputes.assessment import (
    Assessment,
    AssessmentOutcome,
    AssessmentRequest,
    Factor,
)
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from tests.integration.llm.chat_server import (
    ChatServer,
    Reply,
    answer,
    completion,
    error,
    running_chat_server,
)
from tests.integration.llm.support import (
    API_KEY,
    AT,
    FAST,
    GOOD_ANSWER,
    MODEL,
    RecordedSleep,
    dispute_request,
    make_assessor,
    policy_fallback,
)


def fallback_reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(r, "reason", "?") for r in caplog.records if r.name == "kustodia.llm"]


async def assert_fallback(
    assessment: Assessment,
    request: AssessmentRequest,
    caplog: pytest.LogCaptureFixture,
    reason: str,
) -> None:
    assert assessment == await policy_fallback(request)
    assert assessment.fallback_used is True
    assert (assessment.model, assessment.model_version) == ("kustodia-policy", "1")
    assert fallback_reasons(caplog) == [reason]


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD_ANSWER, **changes}


def answer_text(document: object) -> str:
    return orjson.dumps(document).decode()


# ---------------------------------------------------------------- the model answers well
async def test_a_valid_answer_is_the_models_with_its_name_and_version(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(answer(GOOD_ANSWER, model="gpt-4o-mini-2024-07-18"))
    assessment = await make_assessor(chat_server).assess(dispute_request(), AT)

    assert assessment == Assessment(
        outcome=AssessmentOutcome.SPLIT,
        payee_share_bps=3_500,
        confidence_bps=6_200,
        factors=(
            Factor("buyer_evidence", -25, "two files and three messages"),
            Factor("seller_silent", -20, "no answer before the deadline"),
            Factor("seller_new_account", -5, "account under 30 days old"),
        ),
        summary=GOOD_ANSWER["summary"],
        model=MODEL,
        model_version="gpt-4o-mini-2024-07-18",
        fallback_used=False,
        created_at=AT,
    )
    assert fallback_reasons(caplog) == []


async def test_the_request_is_a_chat_completion_asking_for_the_strict_schema(
    chat_server: ChatServer,
) -> None:
    chat_server.reply(answer(GOOD_ANSWER))
    await make_assessor(chat_server, max_tokens=700).assess(dispute_request(), AT)

    [request] = chat_server.received
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert set(body) == {
        "model",
        "messages",
        "temperature",
        "max_tokens",
        "stream",
        "response_format",
    }
    assert (body["model"], body["temperature"], body["max_tokens"], body["stream"]) == (
        MODEL,
        0.0,
        700,
        False,
    )
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": ANSWER_SCHEMA},
    }
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == SYSTEM_PROMPT


async def test_a_local_server_without_a_key_gets_no_authorization_and_names_its_model(
    chat_server: ChatServer,
) -> None:
    chat_server.reply(answer(GOOD_ANSWER, model="llama3.1:8b"))
    assessor = make_assessor(chat_server, model="llama3.1:8b", api_key=None)
    assessment = await assessor.assess(dispute_request(), AT)

    assert "authorization" not in chat_server.received[0].headers
    assert (assessment.model, assessment.model_version, assessment.fallback_used) == (
        "llama3.1:8b",
        "llama3.1:8b",
        False,
    )


async def test_a_server_that_reports_no_model_is_recorded_with_the_configured_one(
    chat_server: ChatServer,
) -> None:
    chat_server.reply(answer(GOOD_ANSWER, model=None))
    assessment = await make_assessor(chat_server).assess(dispute_request(), AT)
    assert (assessment.model, assessment.model_version, assessment.fallback_used) == (
        MODEL,
        MODEL,
        False,
    )


@pytest.mark.parametrize(
    ("outcome", "share"),
    [("favor_buyer", 0), ("favor_seller", 10_000), ("manual_review", 0), ("manual_review", 10_000)],
)
async def test_every_outcome_with_a_consistent_share_is_accepted(
    chat_server: ChatServer, outcome: str, share: int
) -> None:
    chat_server.reply(answer(with_(outcome=outcome, payee_share_bps=share)))
    assessment = await make_assessor(chat_server).assess(dispute_request(), AT)
    assert (assessment.outcome.value, assessment.payee_share_bps) == (outcome, share)
    assert assessment.fallback_used is False


async def test_one_markdown_fence_around_the_object_is_tolerated(chat_server: ChatServer) -> None:
    chat_server.reply(completion("```json\n" + answer_text(GOOD_ANSWER) + "\n```"))
    assessment = await make_assessor(chat_server).assess(dispute_request(), AT)
    assert assessment.fallback_used is False


# ---------------------------------------------------------------- malformed answers
@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"outcome": "split", "payee_share_bps": 3500', id="truncated-object"),
        pytest.param("{'outcome': 'split'}", id="python-dict"),
        pytest.param("Sure! Here is my assessment: split it 35/65.", id="prose"),
        pytest.param(answer_text(GOOD_ANSWER) + "\nHope this helps!", id="trailing-prose"),
        pytest.param(answer_text(GOOD_ANSWER) + answer_text(GOOD_ANSWER), id="two-objects"),
        pytest.param(answer_text(GOOD_ANSWER).replace("6200", "NaN"), id="nan-is-not-json"),
        pytest.param(
            answer_text(GOOD_ANSWER).replace(
                '"outcome":"split"', '"outcome":"split","outcome":"favor_buyer"'
            ),
            id="duplicate-key",
        ),
        pytest.param("[" * 50_000, id="too-deep-or-too-long"),
    ],
)
async def test_malformed_json_falls_back_to_the_policy(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    chat_server.reply(completion(content))
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    await assert_fallback(assessment, request, caplog, "invalid_json")
    assert len(chat_server.received) == 1  # a bad answer is not retried


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(with_(note="extra key"), id="extra-key"),
        pytest.param({k: v for k, v in GOOD_ANSWER.items() if k != "summary"}, id="missing-key"),
        pytest.param(with_(outcome="approve"), id="unknown-outcome"),
        pytest.param(with_(outcome="SPLIT"), id="outcome-wrong-case"),
        pytest.param(with_(payee_share_bps="3500"), id="share-as-string"),
        pytest.param(with_(payee_share_bps=3500.0), id="share-as-float"),
        pytest.param(with_(confidence_bps=True), id="bool-is-not-int"),
        pytest.param(with_(confidence_bps=10_001), id="confidence-over-10000"),
        pytest.param(with_(confidence_bps=-1), id="confidence-negative"),
        pytest.param(with_(outcome="favor_buyer", payee_share_bps=5_000), id="buyer-with-share"),
        pytest.param(with_(outcome="favor_seller", payee_share_bps=0), id="seller-without-all"),
        pytest.param(with_(payee_share_bps=0), id="split-of-nothing"),
        pytest.param(with_(payee_share_bps=10_000), id="split-of-everything"),
        pytest.param(with_(summary="x" * 2_001), id="summary-too-long"),
        pytest.param(with_(summary="   "), id="summary-blank"),
        pytest.param(with_(summary=None), id="summary-null"),
        pytest.param(with_(factors=[]), id="no-factors"),
        pytest.param(with_(factors=GOOD_ANSWER["factors"] * 5), id="too-many-factors"),
        pytest.param(with_(factors="buyer_evidence"), id="factors-not-a-list"),
        pytest.param(
            with_(factors=[{"name": "x", "weight": 3.5, "detail": "d"}]), id="weight-float"
        ),
        pytest.param(
            with_(factors=[{"name": "x", "weight": 101, "detail": "d"}]), id="weight-too-big"
        ),
        pytest.param(
            with_(factors=[{"name": "x", "weight": 1, "detail": "d", "url": "u"}]),
            id="factor-extra-key",
        ),
        pytest.param(with_(factors=[{"name": "x", "weight": 1}]), id="factor-missing-detail"),
        pytest.param(with_(factors=[["x", 1, "d"]]), id="factor-not-an-object"),
        pytest.param([GOOD_ANSWER], id="array-instead-of-object"),
        pytest.param("split", id="string-instead-of-object"),
    ],
)
async def test_an_answer_that_violates_the_schema_falls_back_to_the_policy(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture, document: object
) -> None:
    chat_server.reply(answer(document))
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    await assert_fallback(assessment, request, caplog, "schema")


# ---------------------------------------------------------------- slow, limited, failing
async def test_a_slow_server_times_out_after_bounded_retries_and_falls_back(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(answer(GOOD_ANSWER, delay=5.0))
    request = dispute_request()
    assessor = make_assessor(chat_server, client=attrs.evolve(FAST, max_retries=1))
    started = time.monotonic()
    assessment = await assessor.assess(request, AT)

    assert time.monotonic() - started < 2.0  # two 0.25 s attempts, not the server's 5 s
    assert len(chat_server.received) == 2
    await assert_fallback(assessment, request, caplog, "timeout")


async def test_the_deadline_bounds_the_whole_call(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(answer(GOOD_ANSWER, delay=5.0))
    request = dispute_request()
    client = attrs.evolve(FAST, timeout_seconds=2.0, deadline_seconds=0.3, max_retries=5)
    started = time.monotonic()
    assessment = await make_assessor(chat_server, client=client).assess(request, AT)

    assert time.monotonic() - started < 1.5
    assert len(chat_server.received) == 1
    await assert_fallback(assessment, request, caplog, "timeout")


async def test_a_timeout_then_an_answer_uses_the_answer(chat_server: ChatServer) -> None:
    chat_server.reply(answer(GOOD_ANSWER, delay=5.0), answer(GOOD_ANSWER))
    assessment = await make_assessor(chat_server).assess(dispute_request(), AT)
    assert assessment.fallback_used is False
    assert len(chat_server.received) == 2


async def test_429_then_success_is_retried_honouring_retry_after_up_to_the_cap(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(error(429, retry_after="7"), answer(GOOD_ANSWER))
    sleep = RecordedSleep()
    assessment = await make_assessor(chat_server, sleep=sleep).assess(dispute_request(), AT)

    assert assessment.fallback_used is False
    assert assessment.outcome is AssessmentOutcome.SPLIT
    assert len(chat_server.received) == 2
    assert sleep.waits == [FAST.max_retry_after_seconds]  # asked for 7 s, capped
    assert fallback_reasons(caplog) == []
    first, second = chat_server.received
    assert first.body == second.body  # the retry sends the same request


async def test_429_with_a_short_http_date_retry_after_really_waits_and_succeeds(
    chat_server: ChatServer,
) -> None:
    soon = format_datetime(datetime.now(UTC), usegmt=True)
    chat_server.reply(error(429, retry_after=soon), answer(GOOD_ANSWER))
    assessment = await make_assessor(chat_server).assess(dispute_request(), AT)
    assert assessment.fallback_used is False
    assert len(chat_server.received) == 2


async def test_429_forever_stops_after_the_bounded_retries_and_falls_back(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(error(429))
    sleep = RecordedSleep()
    request = dispute_request()
    assessment = await make_assessor(chat_server, sleep=sleep).assess(request, AT)

    assert len(chat_server.received) == FAST.max_retries + 1
    assert sleep.waits == [0.01, 0.02]  # exponential backoff without a Retry-After
    await assert_fallback(assessment, request, caplog, "status_429")


async def test_500_forever_falls_back_after_the_bounded_retries(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(error(500))
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    assert len(chat_server.received) == FAST.max_retries + 1
    await assert_fallback(assessment, request, caplog, "status_500")


async def test_a_5xx_then_success_uses_the_answer(chat_server: ChatServer) -> None:
    chat_server.reply(error(502), error(503, retry_after="0"), answer(GOOD_ANSWER))
    sleep = RecordedSleep()
    assessment = await make_assessor(chat_server, sleep=sleep).assess(dispute_request(), AT)
    assert assessment.fallback_used is False
    assert sleep.waits == [0.01, 0.0]


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_a_client_error_is_not_retried_and_falls_back(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    chat_server.reply(error(status))
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    assert len(chat_server.received) == 1
    await assert_fallback(assessment, request, caplog, f"status_{status}")


async def test_no_retries_configured_means_one_attempt(chat_server: ChatServer) -> None:
    chat_server.reply(error(500))
    assessor = make_assessor(chat_server, client=attrs.evolve(FAST, max_retries=0))
    assessment = await assessor.assess(dispute_request(), AT)
    assert assessment.fallback_used is True
    assert len(chat_server.received) == 1


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(
            completion(None, refusal="I'm sorry, I can't help with that."),
            "refusal",
            id="message-refusal",
        ),
        pytest.param(
            completion(answer_text(GOOD_ANSWER), refusal="I can't assess this."),
            "refusal",
            id="refusal-beside-content",
        ),
        pytest.param(completion("", finish_reason="content_filter"), "content_filter", id="filter"),
        pytest.param(
            completion(answer_text(GOOD_ANSWER), finish_reason="content_filter"),
            "content_filter",
            id="filter-with-content",
        ),
        pytest.param(completion('{"outcome": "sp', finish_reason="length"), "truncated", id="cut"),
        pytest.param(completion(None), "empty", id="no-content"),
        pytest.param(completion("  \n"), "empty", id="blank-content"),
    ],
)
async def test_a_refusal_or_an_unusable_choice_falls_back(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture, reply: Reply, reason: str
) -> None:
    chat_server.reply(reply)
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    await assert_fallback(assessment, request, caplog, reason)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html>502 Bad Gateway</html>", id="html"),
        pytest.param(b'{"choices": []}', id="no-choices"),
        pytest.param(b'{"choices": [{"text": "legacy completion"}]}', id="no-message"),
        pytest.param(b"[]", id="array"),
    ],
)
async def test_a_success_status_without_a_chat_completion_falls_back(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    chat_server.reply(Reply(body=body))
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    assert len(chat_server.received) == 1
    await assert_fallback(assessment, request, caplog, "protocol")


async def test_an_oversized_response_is_refused(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.reply(completion("x" * 2_000_000))
    request = dispute_request()
    assessment = await make_assessor(chat_server).assess(request, AT)
    await assert_fallback(assessment, request, caplog, "protocol")


async def test_an_unreachable_server_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    with running_chat_server() as server:
        gone = server
    request = dispute_request()
    assessment = await make_assessor(gone).assess(request, AT)
    await assert_fallback(assessment, request, caplog, "transport")


# ---------------------------------------------------------------- configuration
@pytest.mark.parametrize(
    ("base_url", "model"),
    [
        pytest.param(None, MODEL, id="no-base-url"),
        pytest.param("SERVER", None, id="no-model"),
        pytest.param("  ", MODEL, id="blank-base-url"),
        pytest.param("SERVER", "", id="blank-model"),
    ],
)
async def test_missing_configuration_falls_back_without_calling_out(
    chat_server: ChatServer,
    caplog: pytest.LogCaptureFixture,
    base_url: str | None,
    model: str | None,
) -> None:
    url = chat_server.base_url if base_url == "SERVER" else base_url
    assessor = LlmDisputeAssessor(base_url=url, model=model, api_key=API_KEY)
    request = dispute_request()
    assessment = await assessor.assess(request, AT)

    assert assessor.configured is False
    assert chat_server.received == []
    await assert_fallback(assessment, request, caplog, "not_configured")


@pytest.mark.parametrize(
    "base_url", ["localhost:11434/v1", "ftp://models.example/v1", "http://", "http://[::1/v1"]
)
def test_a_base_url_that_is_not_http_is_rejected_when_wiring(base_url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        LlmDisputeAssessor(base_url=base_url, model=MODEL)


async def test_a_fallback_that_does_not_say_so_is_still_recorded_as_a_fallback(
    chat_server: ChatServer,
) -> None:
    chat_server.reply(error(500))
    plain = PolicyDisputeAssessor()  # fallback_used=False on its own
    assessor = make_assessor(chat_server, fallback=plain)
    request = dispute_request()
    assessment = await assessor.assess(request, AT)
    assert assessment == attrs.evolve(await plain.assess(request, AT), fallback_used=True)
