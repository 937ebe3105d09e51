"""Contracts of the platform's stores: tickets, audit trail, credentials, idempotency, receipts.

Each suite is abstract; every adapter subclasses it (the in-memory ones here; the SQL adapters
add their own subclasses).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.credentials import InMemoryCredentialStore
from kustodia_adapters.in_memory.idempotency import InMemoryIdempotencyStore
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_adapters.in_memory.webhooks import InMemoryWebhookReceipts
from kustodia_domain.audit.chain import AuditRecord, verify
from kustodia_domain.identity.credentials import LoginThrottle, RefreshToken
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.ports.credentials import CredentialStore
from kustodia_domain.ports.idempotency import IdempotencyStore, StoredResponse
from kustodia_domain.ports.tickets import TicketRepository
from kustodia_domain.ports.webhooks import WebhookReceipts
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError
from kustodia_domain.support.model import Ticket, TicketStatus
from tests.contract.builders import CommittingTickets, UnitOfWorkFactory

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


class TicketRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    @pytest.fixture
    def tickets(self, new_uow: UnitOfWorkFactory) -> TicketRepository:
        return CommittingTickets(new_uow)

    async def test_a_ticket_is_stored_only_when_its_unit_commits(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        ticket = Ticket.open(ticket_id="tkt_1", owner_id="usr_1", subject="s", body="b", at=T0)
        async with new_uow() as uow:
            await uow.tickets.add(ticket)
            async with new_uow() as other:
                with pytest.raises(NotFoundError):
                    await other.tickets.get("tkt_1")
        async with new_uow() as uow:
            with pytest.raises(NotFoundError):
                await uow.tickets.get("tkt_1")
            await uow.tickets.add(ticket)
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.tickets.get("tkt_1")
            stored.move_to(TicketStatus.CLOSED, T0)
            await uow.tickets.save(stored)
            # Left without committing: the change is not kept.

        async with new_uow() as uow:
            assert (await uow.tickets.get("tkt_1")).status is TicketStatus.OPEN
            assert await uow.tickets.list_all(status=TicketStatus.CLOSED, limit=5, offset=0) == []

    async def test_a_ticket_saved_from_a_stale_read_is_a_conflict(
        self, tickets: TicketRepository
    ) -> None:
        await tickets.add(
            Ticket.open(ticket_id="tkt_1", owner_id="usr_1", subject="s", body="b", at=T0)
        )
        first, second = await tickets.get("tkt_1"), await tickets.get("tkt_1")
        first.move_to(TicketStatus.IN_PROGRESS, T0)
        await tickets.save(first)
        second.move_to(TicketStatus.CLOSED, T0)
        with pytest.raises(ConcurrencyConflictError):
            await tickets.save(second)
        assert (await tickets.get("tkt_1")).status is TicketStatus.IN_PROGRESS
        with pytest.raises(NotFoundError):
            await tickets.get("tkt_2")

    async def test_lists_are_newest_first_by_owner_and_status(
        self, tickets: TicketRepository
    ) -> None:
        for n in range(3):
            at = T0 + timedelta(minutes=n)
            await tickets.add(
                Ticket.open(
                    ticket_id=f"tkt_{n}", owner_id=f"usr_{n % 2}", subject="s", body="b", at=at
                )
            )
        mine = await tickets.list_for_owner("usr_0", limit=10, offset=0)
        assert [t.id for t in mine] == ["tkt_2", "tkt_0"]
        assert len(await tickets.list_all(status=TicketStatus.OPEN, limit=2, offset=1)) == 2


class AuditTrailContract(ABC):
    @pytest.fixture
    @abstractmethod
    def trail(self) -> AuditTrail: ...

    async def test_concurrent_appends_form_one_unbroken_chain(self, trail: AuditTrail) -> None:
        records = [
            AuditRecord(actor_id="a", action=f"x{n}", subject_type="t", subject_id=str(n), at=T0)
            for n in range(20)
        ]
        await asyncio.gather(*(trail.append(r) for r in records))
        entries = await trail.entries(offset=0, limit=100)
        assert [e.sequence for e in entries] == list(range(1, 21))
        assert verify(entries).ok
        assert await trail.count() == 20

    async def test_a_changed_entry_breaks_the_chain_from_there(self, trail: AuditTrail) -> None:
        for n in range(3):
            await trail.append(
                AuditRecord(actor_id=None, action="x", subject_type="t", subject_id=str(n), at=T0)
            )
        entries = list(await trail.entries(offset=0, limit=10))
        entries[1] = attrs.evolve(entries[1], record=attrs.evolve(entries[1].record, action="y"))
        assert verify(entries).first_broken == 2


class CredentialStoreContract(ABC):
    @pytest.fixture
    @abstractmethod
    def store(self) -> CredentialStore: ...

    async def test_a_refresh_token_is_marked_used_once_and_families_revoke(
        self, store: CredentialStore
    ) -> None:
        token = RefreshToken(
            token_id="rtk_1",  # noqa: S106 - an id, not a secret
            family_id="f",
            user_id="u",
            secret_sha256="h",  # noqa: S106 - a fake hash
            issued_at=T0,
            expires_at=T0 + timedelta(days=1),
        )
        await store.add_refresh_token(token)
        results = await asyncio.gather(*(store.mark_used("rtk_1", T0) for _ in range(5)))
        assert sorted(results) == [False, False, False, False, True]
        await store.revoke_family("f", T0)
        stored = await store.refresh_token("rtk_1")
        assert stored is not None
        assert stored.revoked_at == T0

    async def test_hashes_and_throttles_are_kept(self, store: CredentialStore) -> None:
        await store.set_password_hash("u", "$argon2id$x")
        await store.save_throttle("A@Example.mx", LoginThrottle(failures=2))
        assert await store.password_hash("u") == "$argon2id$x"
        assert (await store.throttle("a@example.mx")).failures == 2


class IdempotencyStoreContract(ABC):
    @pytest.fixture
    @abstractmethod
    def store(self) -> IdempotencyStore: ...

    async def test_one_claim_wins_and_the_response_is_kept(self, store: IdempotencyStore) -> None:
        claims = await asyncio.gather(*(store.claim("k", "h", T0) for _ in range(5)))
        assert claims.count(None) == 1
        await store.complete(
            "k", T0, StoredResponse(status=201, body=b"{}", media_type="application/json")
        )
        again = await store.claim("k", "h", T0)
        assert again is not None
        assert again.response is not None
        assert again.response.status == 201

    async def test_a_released_claim_can_be_claimed_again(self, store: IdempotencyStore) -> None:
        assert await store.claim("k", "h", T0) is None
        await store.release("k", T0)
        assert await store.claim("k", "h", T0) is None

    async def test_of_concurrent_take_overs_of_an_unfinished_claim_one_wins(
        self, store: IdempotencyStore
    ) -> None:
        later = T0 + timedelta(minutes=10)
        await store.claim("k", "h", T0)

        won = await asyncio.gather(*(store.take_over("k", T0, later) for _ in range(5)))

        assert won.count(True) == 1
        record = await store.claim("k", "h", later)
        assert record is not None
        assert (record.created_at, record.response) == (later, None)


class WebhookReceiptsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def receipts(self) -> WebhookReceipts: ...

    async def test_a_key_is_first_seen_once(self, receipts: WebhookReceipts) -> None:
        results = await asyncio.gather(*(receipts.first_seen("sig", T0) for _ in range(3)))
        assert sorted(results) == [False, False, True]

    async def test_asking_whether_a_key_was_seen_records_nothing(
        self, receipts: WebhookReceipts
    ) -> None:
        assert not await receipts.seen("sig")
        assert not await receipts.seen("sig")
        assert await receipts.first_seen("sig", T0)
        assert await receipts.seen("sig")
        assert not await receipts.seen("other")


class TestInMemoryTickets(TicketRepositoryContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)


class TestInMemoryAuditTrail(AuditTrailContract):
    @pytest.fixture
    def trail(self) -> AuditTrail:
        return InMemoryAuditTrail(InMemoryStore())


class TestInMemoryCredentials(CredentialStoreContract):
    @pytest.fixture
    def store(self) -> CredentialStore:
        return InMemoryCredentialStore()


class TestInMemoryIdempotency(IdempotencyStoreContract):
    @pytest.fixture
    def store(self) -> IdempotencyStore:
        return InMemoryIdempotencyStore()


class TestInMemoryWebhookReceipts(WebhookReceiptsContract):
    @pytest.fixture
    def receipts(self) -> WebhookReceipts:
        return InMemoryWebhookReceipts()
