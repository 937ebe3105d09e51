"""Tickets commit in the request's unit of work: with their audit record, under its key.

A ticket opened under an ``Idempotency-Key`` whose response was lost is not opened again, and a
staff reply or status change whose trail could not be written after the commit still answers
its result and is chained later, once.
"""

from __future__ import annotations

import pytest

from kustodia_domain.services.idempotency import CLAIM_LEASE
from tests.http.harness import Person, World
from tests.http.test_admin_audit import trail
from tests.http.test_audit_after_commit import trail_unreachable
from tests.http.test_idempotency_retries import dying_after_the_commit

HELP = {"subject": "Help", "body": "Where is my money?"}


def test_a_ticket_whose_response_was_lost_after_its_commit_is_not_opened_again(
    world: World, payer: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    dying_after_the_commit(world, monkeypatch)
    headers = {"Idempotency-Key": "ticket-then-die"}
    world.call("POST", "/v1/tickets", payer, HELP, headers=headers)
    monkeypatch.undo()

    world.clock.advance(CLAIM_LEASE)
    retry = world.call("POST", "/v1/tickets", payer, HELP, headers=headers)

    assert (retry.status_code, retry.json()["code"]) == (409, "idempotency.response_lost")
    assert len(world.ok("GET", "/v1/tickets", payer)["items"]) == 1


def test_staff_actions_whose_trail_failed_answer_their_result_and_are_chained_once(
    world: World, payer: Person, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = world.ok("POST", "/v1/tickets", payer, HELP, status=201)
    path = f"/v1/tickets/{ticket['id']}"
    trail_unreachable(world, monkeypatch)
    headers = {"Idempotency-Key": "answer-once"}

    answered = world.call("POST", f"{path}/replies", admin, {"body": "On it"}, headers=headers)
    again = world.call("POST", f"{path}/replies", admin, {"body": "On it"}, headers=headers)
    closed = world.call("PATCH", f"/v1/admin/tickets/{ticket['id']}", admin, {"status": "closed"})

    assert answered.status_code == 201
    assert (again.status_code, again.json()) == (201, answered.json())
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    assert len(world.ok("GET", path, payer)["replies"]) == 1
    monkeypatch.undo()
    world.advance(payer, 1)  # the worker's pass chains what waited
    assert trail(world, admin, ticket["id"]) == [
        ("ticket.replied", admin.id, {"status": "in_progress", "reply_id": answered.json()["id"]}),
        ("ticket.status_changed", admin.id, {"from": "in_progress", "to": "closed"}),
    ]
    assert world.ok("GET", "/v1/admin/audit/verify", admin)["ok"] is True


def test_an_owners_reply_and_a_status_left_as_it_was_record_nothing(
    world: World, payer: Person, admin: Person
) -> None:
    ticket = world.ok("POST", "/v1/tickets", payer, HELP, status=201)
    world.ok("POST", f"/v1/tickets/{ticket['id']}/replies", payer, {"body": "Any news?"}, 201)
    same = world.ok("PATCH", f"/v1/admin/tickets/{ticket['id']}", admin, {"status": "open"})
    world.advance(payer, 1)  # a worker pass would chain anything queued

    assert same["status"] == "open"
    assert trail(world, admin, ticket["id"]) == []
