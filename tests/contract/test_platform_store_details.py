"""More of the platform stores' contracts: what ``test_platform_stores.py`` leaves unsaid.

Same fixtures as there (``tickets``, ``trail``, ``store``, ``receipts``); the in-memory adapters
run these suites here, the SQL adapters in ``test_sql_platform_stores.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta, timezone

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
from kustodia_domain.shared.errors import ConflictError, NotFoundError
from kustodia_domain.support.model import Ticket, TicketStatus
from tests.contract.builders import CommittingTickets, UnitOfWorkFactory

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MEXICO_CITY = timezone(timedelta(hours=-6))


def _ticket(ticket_id: str, owner: str = "usr_1", at: datetime = T0) -> Ticket:
    return Ticket.open(ticket_id=ticket_id, owner_id=owner, subject="Refund", body="Where?", at=at)


def _token(token_id: str, family: str = "fam_1", **fields: datetime | None) -> RefreshToken:
    return RefreshToken(
        token_id=token_id,
        family_id=family,
        user_id="usr_1",
        secret_sha256="ab" * 32,
        issued_at=T0,
        expires_at=T0 + timedelta(days=30),
        **fields,
    )


class TicketDetailsContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    @pytest.fixture
    def tickets(self, new_uow: UnitOfWorkFactory) -> TicketRepository:
        return CommittingTickets(new_uow)

    async def test_a_ticket_reads_back_with_its_replies_and_version(
        self, tickets: TicketRepository
    ) -> None:
        ticket = _ticket("tkt_1")
        await tickets.add(ticket)
        ticket.reply(reply_id="rpl_1", author_id="adm_1", staff=True, body="On it", at=T0 + MINUTE)
        ticket.reply(
            reply_id="rpl_2", author_id="usr_1", staff=False, body="ok", at=T0 + 2 * MINUTE
        )
        await tickets.save(ticket)

        stored = await tickets.get("tkt_1")

        assert stored == ticket
        assert (stored.version, stored.status) == (2, TicketStatus.IN_PROGRESS)

    async def test_ids_are_unique_and_only_added_tickets_can_be_saved(
        self, tickets: TicketRepository
    ) -> None:
        await tickets.add(_ticket("tkt_1"))

        with pytest.raises(ConflictError):
            await tickets.add(_ticket("tkt_1", owner="usr_2"))
        with pytest.raises(NotFoundError):
            await tickets.save(_ticket("tkt_2"))
        assert (await tickets.get("tkt_1")).owner_id == "usr_1"

    async def test_pages_are_newest_first_with_ties_by_id(self, tickets: TicketRepository) -> None:
        for ticket_id, at in (("tkt_a", T0), ("tkt_c", T0), ("tkt_b", T0 + MINUTE)):
            await tickets.add(_ticket(ticket_id, at=at))
        closed = await tickets.get("tkt_a")
        closed.move_to(TicketStatus.CLOSED, T0 + MINUTE)
        await tickets.save(closed)

        every = await tickets.list_all(status=None, limit=10, offset=0)
        page = await tickets.list_for_owner("usr_1", limit=2, offset=1)
        open_ones = await tickets.list_all(status=TicketStatus.OPEN, limit=10, offset=0)

        assert [t.id for t in every] == ["tkt_b", "tkt_c", "tkt_a"]
        assert [t.id for t in page] == ["tkt_c", "tkt_a"]
        assert [t.id for t in open_ones] == ["tkt_b", "tkt_c"]


class AuditDetailsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def trail(self) -> AuditTrail: ...

    async def test_entries_read_back_as_chained_and_page_by_offset(self, trail: AuditTrail) -> None:
        records = [
            AuditRecord(
                actor_id=None if n == 0 else f"adm_{n}",
                action="escrow.hold",
                subject_type="escrow",
                subject_id=f"esc_{n}",
                at=(T0 + n * MINUTE).astimezone(MEXICO_CITY),
                details={"reason": "kyc", "amount_minor": 100 * n, "urgent": n % 2 == 0, "x": None},
            )
            for n in range(5)
        ]
        appended = [await trail.append(record) for record in records]

        every = await trail.entries(offset=0, limit=10)
        page = await trail.entries(offset=2, limit=2)

        assert list(every) == appended
        assert [e.sequence for e in page] == [3, 4]
        assert not await trail.entries(offset=5, limit=10)
        assert verify(every).ok
        assert await trail.count() == 5

    async def test_an_empty_trail_verifies(self, trail: AuditTrail) -> None:
        assert await trail.count() == 0
        assert verify(await trail.entries(offset=0, limit=10)).ok


class CredentialDetailsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def store(self) -> CredentialStore: ...

    async def test_a_refresh_token_reads_back_whole(self, store: CredentialStore) -> None:
        token = _token("rtk_1", used_at=T0 + MINUTE, revoked_at=T0 + 2 * MINUTE)
        await store.add_refresh_token(token)

        assert await store.refresh_token("rtk_1") == token
        assert await store.refresh_token("rtk_2") is None

    async def test_marking_an_unknown_or_used_token_changes_nothing(
        self, store: CredentialStore
    ) -> None:
        await store.add_refresh_token(_token("rtk_1"))

        assert await store.mark_used("rtk_9", T0) is False
        assert await store.mark_used("rtk_1", T0 + MINUTE) is True
        assert await store.mark_used("rtk_1", T0 + 2 * MINUTE) is False
        used = await store.refresh_token("rtk_1")
        assert used is not None
        assert used.used_at == T0 + MINUTE

    async def test_revoking_a_family_leaves_other_families_and_earlier_revocations(
        self, store: CredentialStore
    ) -> None:
        await store.add_refresh_token(_token("rtk_1"))
        await store.add_refresh_token(_token("rtk_2", revoked_at=T0))
        await store.add_refresh_token(_token("rtk_3", family="fam_2"))

        await store.revoke_family("fam_1", T0 + MINUTE)

        revoked = [await store.refresh_token(t) for t in ("rtk_1", "rtk_2", "rtk_3")]
        assert [t and t.revoked_at for t in revoked] == [T0 + MINUTE, T0, None]

    async def test_hashes_are_replaced_and_throttles_start_fresh(
        self, store: CredentialStore
    ) -> None:
        await store.set_password_hash("u", "$argon2id$old")
        await store.set_password_hash("u", "$argon2id$new")
        locked = LoginThrottle(failures=0, locked_until=T0 + 15 * MINUTE)
        await store.save_throttle("ana@example.mx", LoginThrottle(failures=4))
        await store.save_throttle("ANA@example.mx", locked)

        assert await store.password_hash("u") == "$argon2id$new"
        assert await store.password_hash("v") is None
        assert await store.throttle("Ana@Example.MX") == locked
        assert await store.throttle("bruno@example.mx") == LoginThrottle()


class IdempotencyDetailsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def store(self) -> IdempotencyStore: ...

    async def test_a_claim_in_progress_is_returned_with_the_first_request_hash(
        self, store: IdempotencyStore
    ) -> None:
        assert await store.claim("k", "hash-1", T0) is None

        again = await store.claim("k", "hash-2", T0 + MINUTE)

        assert again is not None
        assert (again.key, again.request_hash, again.created_at) == ("k", "hash-1", T0)
        assert again.response is None

    async def test_the_first_response_is_kept_and_a_completed_key_is_never_released(
        self, store: IdempotencyStore
    ) -> None:
        first = StoredResponse(status=201, body=b'{"id": "esc_1"}', media_type="application/json")
        second = StoredResponse(status=500, body=b"", media_type="text/plain")
        await store.claim("k", "h", T0)
        await store.complete("k", T0, first)
        await store.complete("k", T0, second)
        await store.release("k", T0)
        await store.complete("unclaimed", T0, second)

        again = await store.claim("k", "h", T0)
        fresh = await store.claim("unclaimed", "h", T0)

        assert again is not None
        assert again.response == first
        assert fresh is None

    async def test_a_claim_taken_over_can_neither_complete_nor_release_the_new_one(
        self, store: IdempotencyStore
    ) -> None:
        late = StoredResponse(status=201, body=b'{"id": "esc_1"}', media_type="application/json")
        later = T0 + 10 * MINUTE
        await store.claim("k", "h", T0)
        assert await store.take_over("k", T0, later) is True

        await store.complete("k", T0, late)  # the first request, finishing after all
        await store.release("k", T0)
        assert await store.take_over("k", T0, later + MINUTE) is False

        record = await store.claim("k", "h", later + MINUTE)
        assert record is not None
        assert (record.created_at, record.response) == (later, None)

    async def test_a_completed_or_missing_key_cannot_be_taken_over(
        self, store: IdempotencyStore
    ) -> None:
        done = StoredResponse(status=201, body=b"{}", media_type="application/json")
        await store.claim("k", "h", T0)
        await store.complete("k", T0, done)

        assert await store.take_over("k", T0, T0 + 10 * MINUTE) is False
        assert await store.take_over("missing", T0, T0 + 10 * MINUTE) is False
        record = await store.claim("k", "h", T0 + 10 * MINUTE)
        assert record is not None
        assert record.response == done
        assert await store.claim("missing", "h", T0) is None


class ReceiptDetailsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def receipts(self) -> WebhookReceipts: ...

    async def test_keys_are_independent(self, receipts: WebhookReceipts) -> None:
        assert await receipts.first_seen("sig-1", T0) is True
        assert await receipts.first_seen("sig-2", T0) is True
        assert await receipts.first_seen("sig-1", T0 + MINUTE) is False


class TestInMemoryTicketDetails(TicketDetailsContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)


class TestInMemoryAuditDetails(AuditDetailsContract):
    @pytest.fixture
    def trail(self) -> AuditTrail:
        return InMemoryAuditTrail(InMemoryStore())


class TestInMemoryCredentialDetails(CredentialDetailsContract):
    @pytest.fixture
    def store(self) -> CredentialStore:
        return InMemoryCredentialStore()


class TestInMemoryIdempotencyDetails(IdempotencyDetailsContract):
    @pytest.fixture
    def store(self) -> IdempotencyStore:
        return InMemoryIdempotencyStore()


class TestInMemoryReceiptDetails(ReceiptDetailsContract):
    @pytest.fixture
    def receipts(self) -> WebhookReceipts:
        return InMemoryWebhookReceipts()
