"""The chat-completions client's retry arithmetic and its own guards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from kustodia_adapters.llm.client import (
    ChatCompletionsClient,
    ChatTimeoutError,
    ClientOptions,
    retry_after_seconds,
)
from tests.integration.llm.chat_server import ChatServer, answer
from tests.integration.llm.support import FAST, GOOD_ANSWER

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": format_datetime(NOW + timedelta(seconds=20), usegmt=True)}, 20.0),
        ({"retry-after": format_datetime(NOW - timedelta(seconds=20), usegmt=True)}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "nan", "retry-after": "9"}, 9.0),
    ],
)
def test_retry_after_reads_seconds_dates_and_milliseconds(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after_seconds(headers, NOW) == seconds


def test_backoff_doubles_up_to_its_cap() -> None:
    options = ClientOptions(backoff_seconds=0.5, max_backoff_seconds=3.0)
    assert [options.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert options.backoff(10_000) == 3.0


@pytest.mark.parametrize(
    "field",
    ["timeout_seconds", "deadline_seconds", "max_response_bytes", "connect_timeout_seconds"],
)
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_limits_must_be_finite_and_positive(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        ClientOptions(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, 1.5, True, float("nan")])
def test_retries_are_a_whole_number(value: float) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        ClientOptions(max_retries=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field", ["backoff_seconds", "max_backoff_seconds", "max_retry_after_seconds"]
)
def test_waits_cannot_be_negative(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ClientOptions(**{field: -0.1})  # type: ignore[arg-type]


def test_the_endpoint_is_the_base_url_plus_chat_completions() -> None:
    for base in (
        "http://localhost:11434/v1",
        "http://localhost:11434/v1/",
        " http://localhost:11434/v1 ",
    ):
        client = ChatCompletionsClient(base)
        assert str(client.url) == "http://localhost:11434/v1/chat/completions"


async def test_a_slow_server_raises_a_timeout_from_the_client(chat_server: ChatServer) -> None:
    chat_server.reply(answer(GOOD_ANSWER, delay=5.0))
    client = ChatCompletionsClient(chat_server.base_url, options=FAST)
    with pytest.raises(ChatTimeoutError):
        await client.create({"model": "m", "messages": []})
    assert len(chat_server.received) == FAST.max_retries + 1
