"""The SPEI rail's signed webhooks: deposits and payout outcomes."""

from __future__ import annotations

from typing import Any

import cattrs
from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec

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


async def _apply(uc: UseCases, converter: OrjsonConverter, body: bytes) -> WebhookOut:
    envelope = converter.loads(body, WebhookEnvelope)
    if envelope.type == "deposit.received":
        notice = converter.loads(body, DepositNotice)
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
    if envelope.type in ("payout.confirmed", "payout.returned"):
        payout = converter.loads(body, PayoutNoticeIn)
        if envelope.type == "payout.confirmed":
            await uc.platform.rail.payout_confirmed(payout.payout_id)
            return WebhookOut(status="confirmed")
        await uc.platform.rail.payout_returned(payout.payout_id)
        return WebhookOut(status="returned")
    # Other notices are acknowledged so the rail stops retrying them; nothing changes.
    return WebhookOut(status="ignored")


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
        if not await uc.platform.rail.first_delivery(signature):
            return problem(400, "webhook.replayed", "this webhook was already delivered")
        try:
            return Response(await _apply(uc, converter, body), status_code=200)
        except (cattrs.BaseValidationError, ValueError, TypeError) as error:
            field, message = first_error_field(error)
            errors = [{"field": field, "message": message}]
            return problem(
                422,
                "validation.invalid",
                "the webhook body is not valid",
                field=field,
                errors=errors,
            )
