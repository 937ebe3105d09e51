"""The HTTP rail client against a real local provider: once per key, retries, errors, signing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from kustodia_adapters.rails.client import RailApiClient
from kustodia_adapters.rails.errors import (
    RailProtocolError,
    RailRejectedError,
    RailUnavailableError,
)
from kustodia_adapters.rails.http_spei import HttpRailStatement, HttpSpeiRail
from kustodia_domain.ports.payment_rail import PayoutOrder, RailPayoutStatus
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import IdempotencyConflictError
from kustodia_domain.shared.money import Money
from tests.integration.rails.conftest import CLIENT_TIMEOUT, client_config
from tests.integration.rails.fake_provider import FakeRailProvider

PAYOUTS = "POST /v1/payouts"
DESTINATION = Clabe.build("002", "180", "7002")


def order(
    n: int = 1, *, amount: int = 150_000, concept: str = "Kustodia 1234567 release"
) -> PayoutOrder:
    return PayoutOrder(
        payout_id=f"pay_{n:04d}",
        idempotency_key=f"payout:esc_0001:{n}:1",
        amount=Money.mxn(amount),
        destination=DESTINATION,
        concept=concept,
    )


async def test_a_payout_is_executed_once_when_the_first_call_times_out_after_the_work(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    payout = order()
    provider.slow_next(PAYOUTS, CLIENT_TIMEOUT * 3)

    started = time.monotonic()
    receipt = await rail.send_payout(payout)

    assert time.monotonic() - started < CLIENT_TIMEOUT * 3  # the retry did not wait it out
    attempts = provider.seen(PAYOUTS)
    assert len(attempts) == 2
    assert {a.idempotency_key for a in attempts} == {payout.idempotency_key}
    assert attempts[0].body == attempts[1].body
    assert provider.executed(payout.idempotency_key) == 1
    [executed] = provider.payouts.values()
    assert (receipt.payout_id, receipt.rail_reference, receipt.status) == (
        payout.payout_id,
        executed.id,
        RailPayoutStatus.ACCEPTED,
    )

    # A worker that crashed before recording sends the order again: the same receipt, no payment.
    assert await rail.send_payout(payout) == receipt
    assert len(provider.payouts) == 1


async def test_retries_on_500_and_429_resend_the_same_key_and_body(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    payout = order()
    provider.fail_next(PAYOUTS, 500, 429, 503)

    receipt = await rail.send_payout(payout)

    attempts = provider.seen(PAYOUTS)
    assert len(attempts) == 4
    assert {a.idempotency_key for a in attempts} == {payout.idempotency_key}
    assert len({a.body for a in attempts}) == 1
    assert all(a.signature_ok for a in attempts)  # each attempt signed afresh, all valid
    assert len(provider.payouts) == 1
    assert receipt.rail_reference in provider.payouts


async def test_the_retries_are_bounded_and_end_in_rail_unavailable(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    payout = order()
    provider.fail_next(PAYOUTS, 503, 503, 503, 503)

    with pytest.raises(RailUnavailableError) as raised:
        await rail.send_payout(payout)

    assert raised.value.code == "rail.unavailable"
    assert (raised.value.attempts, raised.value.reason) == (4, "HTTP 503")
    assert len(provider.seen(PAYOUTS)) == 4
    assert provider.payouts == {}
    # The outbox retries later with the same key; the payout is executed then, once.
    await rail.send_payout(payout)
    await rail.send_payout(payout)
    assert len(provider.payouts) == 1


async def test_timeouts_on_every_attempt_end_in_rail_unavailable_with_the_work_done_once(
    provider: FakeRailProvider,
) -> None:
    for _ in range(2):
        provider.slow_next(PAYOUTS, CLIENT_TIMEOUT * 2)
    payout = order()
    async with RailApiClient(client_config(provider, max_attempts=2)) as api:
        with pytest.raises(RailUnavailableError, match="ReadTimeout"):
            await HttpSpeiRail(api).send_payout(payout)
    assert len(provider.seen(PAYOUTS)) == 2
    assert provider.executed(payout.idempotency_key) == 1


async def test_an_unreachable_provider_is_rail_unavailable(provider: FakeRailProvider) -> None:
    config = client_config(provider, base_url="http://127.0.0.1:9", max_attempts=2)
    async with RailApiClient(config) as api:
        with pytest.raises(RailUnavailableError, match="ConnectError"):
            await HttpSpeiRail(api).payout_status("pay_0001")


async def test_the_same_key_with_another_body_is_a_conflict_the_client_surfaces(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    first = order(amount=150_000)
    await rail.send_payout(first)

    with pytest.raises(IdempotencyConflictError, match=first.idempotency_key):
        await rail.send_payout(order(amount=999_999))

    assert len(provider.seen(PAYOUTS)) == 2  # a conflict is final: never retried
    [executed] = provider.payouts.values()
    assert executed.amount == 150_000


async def test_payout_status_follows_the_rail(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    payout = order()
    await rail.send_payout(payout)
    assert await rail.payout_status(payout.payout_id) is RailPayoutStatus.ACCEPTED
    provider.settle(payout.payout_id, "confirmed")
    assert await rail.payout_status(payout.payout_id) is RailPayoutStatus.CONFIRMED
    provider.settle(payout.payout_id, "returned")
    assert await rail.payout_status(payout.payout_id) is RailPayoutStatus.RETURNED
    assert await rail.payout_status("pay_never_sent") is RailPayoutStatus.UNKNOWN


async def test_every_request_is_signed_and_verified_by_the_provider(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    await rail.issue_deposit_clabe("usr_0001")
    await rail.send_payout(order())
    await rail.payout_status("pay_0001")
    since = datetime.now(UTC) - timedelta(hours=1)
    await HttpRailStatement(api).payouts(since, since + timedelta(hours=2))

    assert len(provider.requests) == 4
    assert all(r.signature_ok for r in provider.requests)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"api_secret": "not-the-secret"}, "signature_invalid"),
        ({"api_key": "key_someone_else"}, "api_key_invalid"),
    ],
)
async def test_a_request_the_provider_cannot_verify_is_rejected_at_once(
    provider: FakeRailProvider, overrides: dict[str, object], code: str
) -> None:
    async with RailApiClient(client_config(provider, **overrides)) as api:
        with pytest.raises(RailRejectedError) as raised:
            await HttpSpeiRail(api).send_payout(order())
    assert (raised.value.status, raised.value.provider_code) == (401, code)
    assert len(provider.requests) == 1
    assert provider.payouts == {}


async def test_a_stale_signature_is_rejected(provider: FakeRailProvider) -> None:
    ten_minutes_ago = time.time() - 600
    async with RailApiClient(client_config(provider), wall_clock=lambda: ten_minutes_ago) as api:
        with pytest.raises(RailRejectedError) as raised:
            await HttpSpeiRail(api).send_payout(order())
    assert raised.value.provider_code == "signature_stale"
    assert provider.payouts == {}


async def test_the_concept_is_sent_as_spei_accepts_it(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    concept = "Kustodia 1234567 excess_refund — devolución del depósito número 4"
    await HttpSpeiRail(api).send_payout(order(concept=concept))
    [executed] = provider.payouts.values()
    assert executed.concept == "Kustodia 1234567 excess refund"


async def test_a_user_keeps_one_deposit_clabe(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail = HttpSpeiRail(api)
    first = await rail.issue_deposit_clabe("usr_0001")
    assert await rail.issue_deposit_clabe("usr_0001") == first
    other = await rail.issue_deposit_clabe("usr_0002")
    assert other != first
    assert first.bank_code == "646"
    assert provider.clabes == {"usr_0001": first.value, "usr_0002": other.value}


async def test_an_answer_off_the_documented_shape_is_a_protocol_error(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    provider.garble_next(PAYOUTS)
    payout = order()
    with pytest.raises(RailProtocolError, match="not JSON"):
        await HttpSpeiRail(api).send_payout(payout)
    # The provider did the work; asking again with the same key gets its answer.
    receipt = await HttpSpeiRail(api).send_payout(payout)
    assert receipt.rail_reference in provider.payouts
    assert len(provider.payouts) == 1


async def test_an_invalid_payout_is_rejected_with_the_providers_code(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    payout = order()
    await HttpSpeiRail(api).send_payout(payout)
    duplicate = PayoutOrder(
        payout_id=payout.payout_id,
        idempotency_key="payout:esc_0001:1:2",
        amount=payout.amount,
        destination=payout.destination,
        concept=payout.concept,
    )
    with pytest.raises(RailRejectedError) as raised:
        await HttpSpeiRail(api).send_payout(duplicate)
    assert (raised.value.status, raised.value.provider_code) == (422, "duplicate_reference")


async def test_the_statement_reads_every_page_of_the_period(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(5):
        provider.receive_deposit(
            clabe="646180000000000018",
            reference=f"{1_000_000 + n}",
            amount=10_000 + n,
            tracking_key=f"TRK{n}",
            received_at=start + timedelta(hours=n),
        )
    provider.receive_deposit(
        clabe="646180000000000018",
        reference="1000009",
        amount=1,
        tracking_key="TRK-LATER",
        received_at=start + timedelta(days=1),
    )
    statement = HttpRailStatement(api)

    deposits = await statement.deposits(start, start + timedelta(days=1))

    assert [d.tracking_key for d in deposits] == [f"TRK{n}" for n in range(5)]
    assert deposits[4].amount == Money.mxn(10_004)
    assert deposits[0].received_at == start
    assert len(provider.seen("GET /v1/deposits")) == 3  # pages of two


async def test_the_statement_lists_payouts_changed_in_the_period_and_finds_one_by_id(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    rail, statement = HttpSpeiRail(api), HttpRailStatement(api)
    for n in (1, 2, 3):
        await rail.send_payout(order(n))
    provider.settle("pay_0002", "confirmed")
    now = datetime.now(UTC)

    listed = await statement.payouts(now - timedelta(minutes=5), now + timedelta(minutes=5))

    assert sorted(p.payout_id for p in listed) == ["pay_0001", "pay_0002", "pay_0003"]
    confirmed = await statement.payout("pay_0002")
    assert confirmed is not None
    assert (confirmed.status, confirmed.amount) == (RailPayoutStatus.CONFIRMED, Money.mxn(150_000))
    assert confirmed.rail_reference.startswith("po_")
    assert await statement.payout("pay_unknown") is None
    assert await statement.payouts(now + timedelta(hours=1), now + timedelta(hours=2)) == []


async def test_the_request_body_is_the_documented_payout(
    provider: FakeRailProvider, api: RailApiClient
) -> None:
    payout = order()
    await HttpSpeiRail(api).send_payout(payout)
    [request] = provider.seen(PAYOUTS)
    assert json.loads(request.body) == {
        "amount": 150_000,
        "currency": "MXN",
        "destination_clabe": DESTINATION.value,
        "concept": "Kustodia 1234567 release",
        "reference": "pay_0001",
    }
