"""An audit trail that cannot be written after a command committed changes nothing it answers.

The command's audit record is committed with its change; chaining it onto the trail comes
after, and when that fails the client still gets the command's answer (a 5xx would free the
Idempotency-Key, and the retry would open a second escrow). The worker chains the record later.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from kustodia_domain.audit.chain import AuditEntry, AuditRecord
from tests.http.harness import Person, World, allow_all, payment_terms


def trail_unreachable(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write to the chain fails, as when its database went away after the commit."""

    async def append(record: AuditRecord) -> AuditEntry:
        raise OSError("connection to the audit database lost")

    async def chain_pending(limit: int) -> int:
        raise OSError("connection to the audit database lost")

    monkeypatch.setattr(world.audit, "append", append)
    monkeypatch.setattr(world.audit, "chain_pending", chain_pending)


def test_a_retry_after_the_trail_failed_replays_the_answer_and_opens_no_second_escrow(
    world: World, payer: Person, payee: Person, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail_unreachable(world, monkeypatch)
    headers = {"Idempotency-Key": "create-once"}

    with capture_logs() as logs:
        first = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)
    retry = world.call("POST", "/v1/escrows", payer, payment_terms(payee), headers=headers)

    assert first.status_code == 201
    absorbed = [e for e in logs if e["event"] == "audit chaining after commit failed"]
    assert [(e["log_level"], str(e["exc_info"])) for e in absorbed] == [
        ("warning", "connection to the audit database lost")
    ]
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["idempotent-replayed"] == "true"
    assert len(world.ok("GET", "/v1/escrows", payer)["items"]) == 1

    monkeypatch.undo()
    world.advance(payer, 1)  # a worker pass chains what waited
    entries = world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]
    opened = [e for e in entries if e["action"] == "escrow.opened"]
    assert [e["subject_id"] for e in opened] == [first.json()["id"]]
    assert world.ok("GET", "/v1/admin/audit/verify", admin)["ok"] is True


def test_party_commands_are_in_the_trail_once_with_their_actor(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow = world.funded(payer, payee)
    world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    entries = world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]
    mine = [
        (e["action"], e["actor_id"]) for e in entries if e["subject_id"] in (escrow["id"], payer.id)
    ]
    assert mine == [
        ("user.registered", payer.id),
        ("escrow.opened", payer.id),
        ("escrow.release_approved", payer.id),
    ]
    payee_entries = [(e["action"], e["actor_id"]) for e in entries if e["subject_id"] == payee.id]
    assert payee_entries == [
        ("user.registered", payee.id),
        ("user.payout_account_changed", payee.id),
    ]


@allow_all  # a deposit from a CLABE the payer never registered is held (ESC-SPEI-04)
def test_a_worker_pass_whose_trail_failed_still_answers_what_it_released(
    world: World, payer: Person, payee: Person, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    escrow = world.funded(payer, payee, custody_days=1)
    trail_unreachable(world, monkeypatch)

    assert world.advance(payer, 2 * 86_400)["released"] == 1
    assert world.get(payer, escrow["id"])["status"] == "completed"  # paid out, confirmed

    monkeypatch.undo()
    world.advance(payer, 1)
    entries = world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]
    passes = [e["details"] for e in entries if e["action"] == "worker.pass"]
    assert [d["released"] for d in passes] == [1]
    assert world.ok("GET", "/v1/admin/audit/verify", admin)["ok"] is True
