"""Repositories of the aggregates. Saves use optimistic versions.

``add`` inserts a new aggregate (version 0 -> 1). ``save`` writes a changed aggregate only if its
stored version still equals the version it was read with, then bumps it; otherwise it raises
``ConcurrencyConflictError`` and writes nothing. ``get`` raises ``NotFoundError``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol

from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.due import DueWork
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.identity.model import User
from kustodia_domain.shared.clabe import Clabe


class UserRepository(Protocol):
    """Users by id, e-mail (case-insensitive) and deposit CLABE."""

    @abstractmethod
    async def add(self, user: User) -> None:
        """Insert; raises ``ConflictError`` if the e-mail is taken."""

    @abstractmethod
    async def save(self, user: User) -> None:
        """Update with the optimistic version check."""

    @abstractmethod
    async def get(self, user_id: str) -> User:
        """The user, or ``NotFoundError``."""

    @abstractmethod
    async def find_by_email(self, email: str) -> User | None:
        """The user with this e-mail, if any."""

    @abstractmethod
    async def find_by_deposit_clabe(self, clabe: Clabe) -> User | None:
        """The user whose deposit CLABE this is, if any."""


class EscrowRepository(Protocol):
    """Escrows and the queries the product makes of them."""

    @abstractmethod
    async def add(self, escrow: Escrow) -> None:
        """Insert; raises ``ConflictError`` if the reference is taken."""

    @abstractmethod
    async def save(self, escrow: Escrow) -> None:
        """Update with the optimistic version check."""

    @abstractmethod
    async def get(self, escrow_id: str) -> Escrow:
        """The escrow, or ``NotFoundError``."""

    @abstractmethod
    async def find_by_reference(self, reference: str) -> Escrow | None:
        """The escrow with this SPEI reference, if any."""

    @abstractmethod
    async def find_by_payout(self, payout_id: str) -> Escrow | None:
        """The escrow that owns this payout, if any."""

    @abstractmethod
    async def list_for_user(self, user_id: str, *, limit: int, offset: int) -> Sequence[Escrow]:
        """Escrows where the user is payer, payee or broker, newest first."""

    @abstractmethod
    async def due_for_jobs(
        self, work: DueWork, *, limit: int, after: str | None = None
    ) -> Sequence[str]:
        """Ids of the escrows ``work`` includes (:class:`DueWork`), oldest first, a page at a time.

        That is: unfunded ones past their funding window, escrows in custody whose yield has
        not accrued through yesterday, and funded ones past their custody deadline not reminded
        in the last day. Every escrow with work is listed; the rest is not read.

        Oldest first is by ``(created_at, id)``, which never change, so pages are a keyset:
        at most ``limit`` ids (``limit`` >= 1), those after the escrow ``after`` in that order
        (the last id of the previous page; ``None`` for the first page). Work done on a page
        does not move the next one. An ``after`` naming no stored escrow gives an empty page.
        """


class DisputeRepository(Protocol):
    """Disputes by id and by escrow."""

    @abstractmethod
    async def add(self, dispute: Dispute) -> None:
        """Insert a new dispute."""

    @abstractmethod
    async def save(self, dispute: Dispute) -> None:
        """Update with the optimistic version check."""

    @abstractmethod
    async def get(self, dispute_id: str) -> Dispute:
        """The dispute, or ``NotFoundError``."""

    @abstractmethod
    async def list_for_user(self, user_id: str) -> Sequence[Dispute]:
        """Disputes where the user is a party (for history and assessments)."""
