"""The SPEI rail provider's REST API, and the adapters that speak it.

The provider API (version 1)
============================

JSON over HTTPS, UTF-8, field names in snake_case, money as integer minor units plus a currency
code (``"amount": 150000, "currency": "MXN"`` is 1,500.00 MXN), timestamps RFC 3339 in UTC.

**Authentication.** Every request carries ``Rail-Api-Key: <key>`` and
``Rail-Signature: t=<unix seconds>,v1=<hex>``, ``hex`` being HMAC-SHA256 with the API secret
over ``"<t>.<METHOD>.<path and query as sent>.<raw body>"`` (empty body for GET). The provider
answers 401 ``{"code": "signature_invalid"}`` to a wrong or missing signature and
``signature_stale`` to a timestamp more than 300 s from its clock.

**Idempotency.** A POST may carry ``Idempotency-Key`` (at most 255 characters). The provider
stores the first execution's answer under the key: the same key with the same body gets that
answer again (``200``, nothing executed twice, even if the first call's client timed out); the
same key with a different body is ``409 {"code": "idempotency_key_reused"}``. Keys are kept
for at least 30 days.

**Errors.** ``{"code": "...", "message": "..."}`` with 400/422 (invalid request, e.g.
``invalid_clabe``), 401, 404 ``not_found``, 409, 429 (``Retry-After`` in seconds) and 5xx.

**Endpoints.**

``POST /v1/clabes`` ``{"owner_ref"}`` → ``201 {"clabe", "owner_ref"}``
    The owner's virtual deposit CLABE; the same ``owner_ref`` always gets the same CLABE
    (``200`` when it already had one).

``POST /v1/payouts`` (``Idempotency-Key`` required)
``{"amount", "currency", "destination_clabe", "concept", "reference"}``
→ ``201 {"id", "reference", "amount", "currency", "status", "created_at", "updated_at"}``
    A SPEI transfer. ``concept`` is at most 40 ASCII letters, digits and spaces;
    ``reference`` is the client's id for the payout, unique per account. ``status`` is
    ``accepted`` (executing), ``confirmed`` (settled at the receiving bank) or ``returned``
    (devolución by the receiving bank).

``GET /v1/payouts/{id}`` → ``200`` the payout as above, or ``404``
    ``{id}`` is the provider's id or the client's ``reference`` (provider ids start with
    ``po_``; references never do).

``GET /v1/deposits?since=&until=[&cursor=]`` → ``200 {"data": [deposit], "next_cursor"}``
    Deposits received in ``[since, until)``, oldest first, each
    ``{"tracking_key", "clabe", "reference", "amount", "currency", "sender_clabe",
    "sender_name", "received_at"}``. ``next_cursor`` is ``null`` on the last page.

``GET /v1/payouts?since=&until=[&cursor=]`` → ``200 {"data": [payout], "next_cursor"}``
    Payouts created or whose status changed in ``[since, until)``, by ``updated_at``.

**Webhooks to Kustodia.** ``POST`` to the platform's ``/v1/webhooks/spei`` with
``Kustodia-Signature: t=<unix seconds>,v1=HMAC_SHA256(webhook secret, "<t>.<raw body>")``:
``deposit.received`` and ``payout.confirmed`` / ``payout.returned`` (whose ``payout_id`` is the
payout's ``reference``), as the API contract describes. The HTTP edge verifies them.

The adapters
============

``HttpSpeiRail`` implements ``PaymentRail``; ``HttpRailStatement`` implements
``RailStatementReader``. Both take a ``RailApiClient`` (``client.py``), which signs, times out,
retries and translates errors; they only map the port's values to the API and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from kustodia_adapters.rails import wire
from kustodia_adapters.rails.client import RailApiClient
from kustodia_adapters.rails.errors import RailProtocolError
from kustodia_domain.ports.payment_rail import (
    PaymentRail,
    PayoutOrder,
    PayoutReceipt,
    RailPayoutStatus,
)
from kustodia_domain.ports.rail_statement import RailDeposit, RailPayout, RailStatementReader
from kustodia_domain.shared.clabe import Clabe

MAX_PAGES = 10_000
"""A statement longer than this many pages is refused rather than read forever."""


class HttpSpeiRail(PaymentRail):
    """Deposit CLABEs and payouts through the provider's API.

    Raises (from every method): ``RailUnavailableError`` (timeouts, 5xx and 429 beyond the
    retries, and ``RailProtocolError`` for an answer off the documented shape),
    ``RailRejectedError`` (other 4xx), and from ``send_payout`` ``IdempotencyConflictError``
    (the order's key was used before with another order).
    """

    def __init__(self, api: RailApiClient) -> None:
        self._api = api

    async def issue_deposit_clabe(self, user_id: str) -> Clabe:
        answer = await self._api.call(
            "POST",
            "/v1/clabes",
            body={"owner_ref": user_id},
            idempotency_key=f"clabe:{user_id}",
        )
        return wire.clabe(_present(answer, "POST /v1/clabes"), "POST /v1/clabes")

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        operation = "POST /v1/payouts"
        answer = _present(
            await self._api.call(
                "POST",
                "/v1/payouts",
                body={
                    "amount": order.amount.amount_minor,
                    "currency": order.amount.currency.code,
                    "destination_clabe": order.destination.value,
                    "concept": wire.spei_concept(order.concept),
                    "reference": order.payout_id,
                },
                idempotency_key=order.idempotency_key,
            ),
            operation,
        )
        reference = answer.get("reference")
        if reference is not None and reference != order.payout_id:
            raise RailProtocolError(operation, "the answer is for another payout's reference")
        return PayoutReceipt(
            payout_id=order.payout_id,
            rail_reference=wire.text(answer, "id", operation),
            status=wire.payout_status(answer, operation),
        )

    async def payout_status(self, payout_id: str) -> RailPayoutStatus:
        payout = await _payout(self._api, payout_id)
        return RailPayoutStatus.UNKNOWN if payout is None else payout.status


class HttpRailStatement(RailStatementReader):
    """The provider's deposits and payouts for reconciliation, read page by page.

    Raises: as ``HttpSpeiRail``; a page cursor that repeats is a ``RailProtocolError``.
    """

    def __init__(self, api: RailApiClient) -> None:
        self._api = api

    async def deposits(self, since: datetime, until: datetime) -> Sequence[RailDeposit]:
        operation = "GET /v1/deposits"
        return [
            RailDeposit(
                tracking_key=wire.text(entry, "tracking_key", operation),
                clabe=wire.text(entry, "clabe", operation),
                reference=wire.text(entry, "reference", operation),
                amount=wire.money(entry, operation),
                received_at=wire.timestamp(entry, "received_at", operation),
            )
            for entry in await self._pages("/v1/deposits", since, until)
        ]

    async def payouts(self, since: datetime, until: datetime) -> Sequence[RailPayout]:
        return [
            _rail_payout(entry, "GET /v1/payouts")
            for entry in await self._pages("/v1/payouts", since, until)
        ]

    async def payout(self, payout_id: str) -> RailPayout | None:
        return await _payout(self._api, payout_id)

    async def _pages(self, path: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
        operation = f"GET {path}"
        params = {"since": wire.rfc3339(since), "until": wire.rfc3339(until)}
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = _present(await self._api.call("GET", path, params=params), operation)
            entries.extend(wire.items(page, operation))
            cursor = wire.next_cursor(page, operation)
            if cursor is None:
                return entries
            if cursor in seen:
                raise RailProtocolError(operation, f"page cursor {cursor!r} repeats")
            seen.add(cursor)
            params = {**params, "cursor": cursor}
        raise RailProtocolError(operation, f"more than {MAX_PAGES} pages")


async def _payout(api: RailApiClient, payout_id: str) -> RailPayout | None:
    path = f"/v1/payouts/{quote(payout_id, safe='')}"
    answer = await api.call("GET", path, absent_ok=True)
    return None if answer is None else _rail_payout(answer, "GET /v1/payouts/{id}")


def _rail_payout(entry: dict[str, Any], operation: str) -> RailPayout:
    return RailPayout(
        payout_id=wire.text(entry, "reference", operation),
        rail_reference=wire.text(entry, "id", operation),
        amount=wire.money(entry, operation),
        status=wire.payout_status(entry, operation),
        created_at=wire.timestamp(entry, "created_at", operation),
        updated_at=wire.timestamp(entry, "updated_at", operation),
    )


def _present(answer: dict[str, Any] | None, operation: str) -> dict[str, Any]:
    if answer is None:  # only asked-for absences are None; a POST never is
        raise RailProtocolError(operation, "no answer body")
    return answer
