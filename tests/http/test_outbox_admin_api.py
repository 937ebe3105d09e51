"""The outbox's dead letters: admins list them and retry them; audited; others are refused."""

from __future__ import annotations

from datetime import timedelta

from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ports.outbox import OutboxMessage
from tests.http.harness import Person, World

KEY = "payout.send:esc_dead:1"


def bury(world: World, key: str = KEY) -> None:
    """Enqueue a message, claim it and fail it for good: a dead letter."""
    now = world.clock.now()

    async def work() -> None:
        async with InMemoryUnitOfWork(world.store) as uow:
            message = OutboxMessage(key=key, topic="test.topic", payload={}, created_at=now)
            await uow.outbox.add(message)
            [claimed] = await uow.outbox.claim(("test.topic",), 1, "w1", timedelta(minutes=5), now)
            await uow.outbox.fail(claimed, now, "RailRejectedError: account closed", None)
            await uow.commit()

    world.run(work)


def test_admins_see_dead_letters_and_retry_them(world: World, admin: Person) -> None:
    bury(world)

    [dead] = world.ok("GET", "/v1/admin/outbox/dead", admin)["items"]
    assert (dead["key"], dead["topic"], dead["state"]) == (KEY, "test.topic", "dead")
    assert (dead["attempts"], dead["last_error"]) == (1, "RailRejectedError: account closed")

    reply = world.call("POST", f"/v1/admin/outbox/{KEY}/retry", admin)
    assert reply.status_code == 202, reply.text
    assert world.ok("GET", "/v1/admin/outbox/dead", admin) == {"items": []}

    async def pending() -> list[str]:
        async with InMemoryUnitOfWork(world.store) as uow:
            return [m.key for m in await uow.outbox.pending(10)]

    assert KEY in world.run(pending)
    audit = world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]
    retried = [e for e in audit if e["action"] == "outbox.retry"]
    assert [(e["actor_id"], e["subject_id"]) for e in retried] == [(admin.id, KEY)]


def test_retrying_what_is_not_dead_is_a_404_problem(world: World, admin: Person) -> None:
    reply = world.call("POST", "/v1/admin/outbox/payout.send:nothing/retry", admin)
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == "not_found"


def test_only_admins_see_or_retry_dead_letters(world: World, payer: Person) -> None:
    bury(world)
    for method, path in (
        ("GET", "/v1/admin/outbox/dead"),
        ("POST", f"/v1/admin/outbox/{KEY}/retry"),
    ):
        reply = world.call(method, path, payer)
        assert reply.status_code == 403, (method, path)
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert world.call(method, path).status_code == 401
