"""The SPEI rail's signed webhooks: deposits and payout outcomes."""

from __future__ import annotations

from typing import Any

import cattrs
from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec

from kustodia_domain.services.rail_events import Delivery
from kustodia_domain.services.record_deposit import RecordDeposit
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.http.converter import OrjsonConverter, first_error_field
from kustodia_entrypoints.http.deps import ConfigDep, ConverterDep, ServicesDep, UseCasesDep
from kustodia_entrypoints.http.problems import problem
from kustodia_entrypoints.http.schemas.rail import (
    DepositNotice,
    PayoutNoticeIn,
    WebhookEnvelope,
    WebhookOut,
)
from kustodia_entrypoints.http.signatures import SignatureRejected, verify

SIGNATURE_HEADER = "kustodia-signature"


_INVALID_BODY = (cattrs.BaseValidationError, ValueError, TypeError)
"""What a body that does not fit its schema raises, when decoded or applied (answered 422)."""


def _invalid_body(error: Exception) -> Response[Any]:
    field, message = first_error_field(error)
    errors = [{"field": field, "message": message}]
    return problem(
        422,
        "validation.invalid",
        "the webhook body is not valid",
        field=field,
        errors=errors,
    )


Notice = DepositNotice | PayoutNoticeIn | WebhookEnvelope
"""A decoded notice; a type the platform does not act on keeps only its envelope."""


def _decode(converter: OrjsonConverter, body: bytes) -> Notice:
    """The whole notice in ``body``, by its ``type``. Raises one of ``_INVALID_BODY``.

    Decoded before the receipts are asked, so a malformed body is refused (422) whether or not
    its ``event_id`` was applied already.
    """
    envelope = converter.loads(body, WebhookEnvelope)
    if envelope.type == "deposit.received":
        return converter.loads(body, DepositNotice)
    if envelope.type in ("payout.confirmed", "payout.returned"):
        return converter.loads(body, PayoutNoticeIn)
    return envelope


async def _apply(uc: UseCases, notice: Notice) -> WebhookOut:
    """Apply the notice; raises what its use case raises (answered as problems)."""
    if isinstance(notice, DepositNotice):
        outcome = await uc.platform.rail.deposit(
            RecordDeposit(
                tracking_key=notice.tracking_key,
                clabe=notice.clabe,
                reference=notice.reference,
                amount_minor=notice.amount,
                currency=notice.currency,
                source_clabe=notice.sender_clabe,
                sender_name=notice.sender_name,
                received_at=notice.received_at,
            ),
            source="webhook",
        )
        return WebhookOut(status=outcome.value)
    if isinstance(notice, PayoutNoticeIn):
        if notice.type == "payout.confirmed":
            await uc.platform.rail.payout_confirmed(notice.payout_id)
            return WebhookOut(status="confirmed")
        await uc.platform.rail.payout_returned(notice.payout_id)
        return WebhookOut(status="returned")
    # Other notices are acknowledged so the rail stops retrying them; nothing changes.
    return WebhookOut(status="ignored")


async def _receive(uc: UseCases, signature: str, notice: Notice) -> Response[Any]:
    """Apply a verified, decoded notice unless it was consumed already; then record it consumed.

    The receipt is recorded only after the effect committed: if applying raises (409, 500, ...)
    nothing is recorded, so the rail's retry of this very request is applied. A crash between
    the effect and the receipt is harmless because every effect is idempotent (see
    ``RailEvents.consumed``).
    """
    rail = uc.platform.rail
    delivery = await rail.delivery(signature, notice.event_id)
    if delivery is Delivery.REPLAYED:
        return problem(400, "webhook.replayed", "this webhook was already delivered")
    if delivery is Delivery.DUPLICATE:
        # A re-signed redelivery of an applied event: acknowledged so the rail stops retrying,
        # answered as any duplicate is, and neither applied nor audited again.
        return Response(WebhookOut(status="duplicate"), status_code=200)
    try:
        outcome = await _apply(uc, notice)
    except _INVALID_BODY as error:
        # A value the schema let through but the use case cannot take: 422, and not consumed.
        return _invalid_body(error)
    await rail.consumed(signature, notice.event_id)
    return Response(outcome, status_code=200)


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ("webhooks",)

    @post(
        "/spei",
        status_code=200,
        summary="Deposits and payout outcomes from the SPEI rail (signed)",
        responses={400: ResponseSpec(None, description="Replayed signature or malformed body")},
    )
    async def spei(
        self,
        request: Request[Any, Any, Any],
        uc: UseCasesDep,
        config: ConfigDep,
        services: ServicesDep,
        converter: ConverterDep,
    ) -> Response[Any]:
        """Signed notices of the rail; forged, stale or replayed ones change nothing.

        Header ``Kustodia-Signature: t=<unix seconds>,v1=<hex>`` with ``hex`` the HMAC-SHA256
        of ``"<t>.<raw body>"``; older than 300 s or already seen is refused. Bodies:
        ``deposit.received`` (``event_id, tracking_key, clabe, reference, amount, currency,
        sender_clabe, sender_name, received_at``) and ``payout.confirmed`` /
        ``payout.returned`` (``event_id, payout_id``).

        A signature is "seen" only once its notice was applied: a delivery that failed (409,
        500, ...) is applied when the rail retries it. An ``event_id`` already applied under
        another signature is answered ``{"status": "duplicate"}`` and not applied again.
        """
        body = await request.body()
        try:
            signature = verify(
                request.headers.get(SIGNATURE_HEADER, ""),
                body,
                secret=config.webhook_secret,
                now=services.wall_clock(),
                tolerance=config.webhook_tolerance,
            )
        except SignatureRejected as refused:
            return problem(refused.status, refused.code, "the webhook signature was refused")
        try:
            notice = _decode(converter, body)
        except _INVALID_BODY as error:
            return _invalid_body(error)
        return await _receive(uc, signature, notice)
