"""The KYC provider, and the platform's record of the verifications it started.

A user's level changes only through a provider's verdict on a session the platform opened for
that user: the provider's result names the session, and the record says whose session it is and
which level it was opened for.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import attrs

from kustodia_domain.identity.model import KycLevel


class KycStatus(StrEnum):
    """A verification's state as the provider reports it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True)
class KycSession:
    """A verification the provider opened: where the user goes to complete it."""

    session_id: str
    url: str


@attrs.frozen(kw_only=True)
class KycResult:
    """The provider's verdict on a session; ``level`` is the level it verified."""

    session_id: str
    user_id: str
    status: KycStatus
    level: KycLevel
    reasons: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class KycSessionRecord:
    """A session the platform opened: whose it is, the level asked for, and how it ended."""

    session_id: str
    user_id: str
    target_level: KycLevel
    started_at: datetime
    status: KycStatus = KycStatus.PENDING
    verified_level: KycLevel | None = None
    reasons: tuple[str, ...] = ()
    settled_at: datetime | None = None


class KycProvider(Protocol):
    """An identity-verification provider. Called outside database transactions."""

    @abstractmethod
    async def start_verification(self, user_id: str, target_level: KycLevel) -> KycSession:
        """Open a verification of ``user_id`` at ``target_level``."""


class KycSessions(Protocol):
    """The sessions the platform opened, each settled at most once."""

    @abstractmethod
    async def add(self, record: KycSessionRecord) -> None:
        """Store a newly opened (pending) session.

        Raises:
            ConflictError: a session with this id is stored already; it is kept as it was, since
                replacing a settled session by a pending one would let it be settled twice.
        """

    @abstractmethod
    async def get(self, session_id: str) -> KycSessionRecord | None:
        """The session, or ``None`` if the platform never opened it."""

    @abstractmethod
    async def settle(self, settled: KycSessionRecord) -> bool:
        """Replace a pending session by ``settled``; ``False`` if it was already settled.

        Atomic: of two concurrent settlements of one session exactly one gets ``True``.
        """

    @abstractmethod
    async def reopen(self, session_id: str) -> None:
        """Make a settled session pending again (applying its result failed, so a retry can)."""
