"""Fixtures for the LLM adapter tests: a live chat-completions server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.llm.chat_server import ChatServer, running_chat_server


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A scripted chat-completions server on 127.0.0.1, stopped after the test."""
    with running_chat_server() as server:
        yield server
