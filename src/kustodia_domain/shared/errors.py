"""The domain's error tree.

Every error has a stable machine-readable ``code`` (the HTTP edge maps classes to statuses, the
domain never knows them) and structured attributes. Expected business outcomes (a fraud verdict,
a rule that did not fire) are values, not exceptions.
"""

from __future__ import annotations

from typing import ClassVar


class KustodiaError(Exception):
    """Root of every error the domain raises on purpose."""

    code: ClassVar[str] = "kustodia.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(KustodiaError):
    """Input that breaks a rule of the domain; ``field`` names the offending input."""

    code: ClassVar[str] = "validation.invalid"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class CurrencyMismatchError(KustodiaError):
    """Arithmetic or comparison between two currencies."""

    code: ClassVar[str] = "money.currency_mismatch"

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}")
        self.left = left
        self.right = right


class NotFoundError(KustodiaError):
    """The thing does not exist, or the caller may not know that it exists."""

    code: ClassVar[str] = "not_found"

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class ConflictError(KustodiaError):
    """The operation lost a race or conflicts with the current state."""

    code: ClassVar[str] = "conflict"


class ConcurrencyConflictError(ConflictError):
    """An aggregate changed since it was read (optimistic version check failed)."""

    code: ClassVar[str] = "concurrency.conflict"


class IdempotencyConflictError(ConflictError):
    """An idempotency key was reused with different content."""

    code: ClassVar[str] = "idempotency.conflict"


class ForbiddenError(KustodiaError):
    """The actor is known but may not perform this operation."""

    code: ClassVar[str] = "forbidden"


class RuleViolationError(KustodiaError):
    """A business rule forbids the operation in the current situation."""

    code: ClassVar[str] = "rule.violation"


class OperationBlockedError(KustodiaError):
    """The risk screen blocked the operation; nothing was changed."""

    code: ClassVar[str] = "risk.blocked"

    def __init__(self, operation: str, reasons: tuple[str, ...]) -> None:
        super().__init__(f"{operation} blocked by risk screening: {', '.join(reasons) or 'policy'}")
        self.operation = operation
        self.reasons = reasons
