"""``Idempotency-Key`` retries: a lost race is not kept, a request that died frees its key."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import orjson
import pytest

from kustodia_domain.services.audited import Audited
from kustodia_domain.services.idempotency import CLAIM_LEASE
from kustodia_domain.shared.errors import ConcurrencyConflictError
from tests.http.harness import Person, World, payment_terms


def test_a_lost_race_is_not_kept_for_the_key_and_the_retry_does_the_work(
    world: World, payer: Person, payee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Audited.execute
    calls = itertools.count()

    async def racing(audited: Audited[Any, Any], cmd: Any) -> Any:
        if next(calls) == 0:
            raise ConcurrencyConflictError("a concurrent change committed first")
        return await real(audited, cmd)

    monkeypatch.setattr(Audited, "execute", racing)
    headers = {"Idempotency-Key": "create-raced"}

    lost = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    retry = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    replayed = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)

    assert (lost.status_code, lost.json()["code"]) == (409, "concurrency.conflict")
    assert lost.headers["retry-after"] == "1"
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    assert (replayed.status_code, replayed.json()) == (201, retry.json())
    assert replayed.headers["idempotent-replayed"] == "true"
    assert len(world.ok("GET", "/v1/escrows", payer)["items"]) == 1


def test_a_key_whose_request_died_is_taken_over_by_a_retry_once_its_lease_ended(
    world: World, payer: Person, payee: Person
) -> None:
    raw = orjson.dumps(payment_terms(payee))
    fingerprint = hashlib.sha256(b"POST\n/v1/escrows\n" + raw).hexdigest()
    # The first request died between claiming its key and answering (a killed process).
    store = world.use_cases.platform.idempotency.store
    world.run(lambda: store.claim(f"{payer.id}:create-died", fingerprint, world.clock.now()))
    headers = {"Idempotency-Key": "create-died"}

    meanwhile = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    world.clock.advance(CLAIM_LEASE)
    other = world.call(
        "POST", "/v1/escrows", payer, payment_terms(payee) | {"amount": 5}, headers=headers
    )
    retry = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    replayed = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)

    assert (meanwhile.status_code, meanwhile.json()["code"]) == (409, "idempotency.in_progress")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency.conflict")
    assert retry.status_code == 201
    assert (replayed.status_code, replayed.json()) == (201, retry.json())
    assert len(world.ok("GET", "/v1/escrows", payer)["items"]) == 1


def dying_after_the_commit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests from now on die after their commit: no response stored, no claim freed.

    As when the process is killed between the two; ``monkeypatch.undo()`` revives them.
    """
    store = world.use_cases.platform.idempotency.store

    async def died(*_: Any) -> None:
        pass

    monkeypatch.setattr(store, "complete", died)
    monkeypatch.setattr(store, "release", died)


def test_a_request_that_died_after_its_work_committed_is_never_run_again(
    world: World, payer: Person, payee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    dying_after_the_commit(world, monkeypatch)
    headers = {"Idempotency-Key": "create-then-die"}
    world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    monkeypatch.undo()

    meanwhile = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    world.clock.advance(CLAIM_LEASE)
    retry = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)

    assert (meanwhile.status_code, meanwhile.json()["code"]) == (409, "idempotency.in_progress")
    assert (retry.status_code, retry.json()["code"]) == (409, "idempotency.response_lost")
    assert len(world.ok("GET", "/v1/escrows", payer)["items"]) == 1
