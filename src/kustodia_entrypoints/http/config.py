"""What the HTTP edge is configured with (built from the validated settings by bootstrap)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

import attrs


class Mode(StrEnum):
    """``production`` exposes nothing debug-only; the other two enable the sandbox."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"
    DEVELOPMENT = "development"


@attrs.frozen(kw_only=True)
class HttpConfig:
    """Secrets, limits and policies of the edge."""

    mode: Mode
    jwt_secret: str = attrs.field(repr=False)
    webhook_secret: str = attrs.field(repr=False)
    kyc_webhook_secret: str | None = attrs.field(default=None, repr=False)
    """The KYC provider's webhook secret; without one every KYC webhook is refused."""
    cors_origins: tuple[str, ...] = ()
    access_token_ttl: timedelta = timedelta(minutes=15)
    webhook_tolerance: timedelta = timedelta(seconds=300)
    login_attempts_per_minute: int = 10
    max_body_bytes: int = 1_048_576
    version: str = "1.0.0"

    @property
    def sandbox(self) -> bool:
        """Whether the sandbox endpoints exist."""
        return self.mode is not Mode.PRODUCTION
