"""A fake rail provider on a random local port, and the real HTTP client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from kustodia_adapters.rails.client import RailApiClient, RailApiConfig
from tests.http.harness import WEBHOOK_SECRET
from tests.integration.rails.fake_provider import FakeRailProvider

API_KEY = "key_test_0001"
API_SECRET = "rail-api-secret-0123456789abcdef0123456789"  # noqa: S105 - test-only
CLIENT_TIMEOUT = 0.3
"""Seconds per attempt: short, so that a slow provider times the client out quickly."""


def client_config(provider: FakeRailProvider, **overrides: object) -> RailApiConfig:
    settings: dict[str, object] = {
        "base_url": provider.url,
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "timeout": CLIENT_TIMEOUT,
        "max_attempts": 4,
        "backoff_base": 0.02,
        "backoff_max": 0.1,
        "trust_env": False,
    } | overrides
    return RailApiConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
def provider() -> Iterator[FakeRailProvider]:
    fake = FakeRailProvider(api_key=API_KEY, api_secret=API_SECRET, webhook_secret=WEBHOOK_SECRET)
    with fake.running():
        yield fake


@pytest.fixture
async def api(provider: FakeRailProvider) -> AsyncIterator[RailApiClient]:
    async with RailApiClient(client_config(provider)) as client:
        yield client
