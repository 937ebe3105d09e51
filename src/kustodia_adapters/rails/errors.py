"""What the rail adapters raise when the provider cannot do what the port asked.

Every class is a ``KustodiaError`` with a stable code. A reused idempotency key with a different
request is the domain's own ``IdempotencyConflictError``, not one of these.
"""

from __future__ import annotations

from typing import ClassVar

from kustodia_domain.shared.errors import KustodiaError


class RailError(KustodiaError):
    """The rail provider did not do what was asked."""

    code: ClassVar[str] = "rail.error"


class RailUnavailableError(RailError):
    """No usable answer from the provider after the bounded retries.

    Timeouts, network errors, 5xx and 429 end here once the attempts run out. The provider may
    or may not have done the work: the caller retries later with the *same* idempotency key,
    which the provider answers with the first result instead of doing the work again.
    """

    code: ClassVar[str] = "rail.unavailable"

    def __init__(self, operation: str, *, attempts: int, reason: str) -> None:
        super().__init__(
            f"{operation}: the rail is unavailable after {attempts} attempt(s): {reason}"
        )
        self.operation = operation
        self.attempts = attempts
        self.reason = reason


class RailProtocolError(RailUnavailableError):
    """The provider answered, but not in the documented shape (a missing field, bad JSON).

    It is a kind of unavailability: nothing usable came back, and a later retry with the same
    idempotency key is safe.
    """

    code: ClassVar[str] = "rail.protocol"

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(operation, attempts=1, reason=reason)


class RailRejectedError(RailError):
    """The provider refused the request (4xx): retrying it unchanged cannot succeed.

    ``status`` is the HTTP status and ``provider_code`` the provider's own error code, if any
    (e.g. ``signature_invalid`` when the API secret is wrong, ``invalid_clabe``).
    """

    code: ClassVar[str] = "rail.rejected"

    def __init__(self, operation: str, *, status: int, provider_code: str | None) -> None:
        code = provider_code or "no code"
        super().__init__(f"{operation}: the rail refused the request (HTTP {status}, {code})")
        self.operation = operation
        self.status = status
        self.provider_code = provider_code
