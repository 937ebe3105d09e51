"""KYC: a user starts a verification; the provider's signed webhook sets the level.

No endpoint lets a user set their own level: it changes only when a verdict signed with the
provider's secret names a session the platform opened for that user. The sandbox endpoints
make the sandbox provider sign its verdict and deliver it through the webhook's own path.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, runtime_checkable

import attrs
import cattrs
from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.kyc import KycResult, KycSessionRecord, KycStatus
from kustodia_domain.services.kyc import StartKyc
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.shared.errors import NotFoundError
from kustodia_entrypoints.http.config import HttpConfig
from kustodia_entrypoints.http.converter import OrjsonConverter, first_error_field
from kustodia_entrypoints.http.deps import (
    ConfigDep,
    ConverterDep,
    PrincipalDep,
    ServicesDep,
    UseCasesDep,
)
from kustodia_entrypoints.http.problems import problem
from kustodia_entrypoints.http.services import HttpServices
from kustodia_entrypoints.http.signatures import SignatureRejected, sign, verify

SIGNATURE_HEADER = "kustodia-signature"
SANDBOX_REJECTION = "sandbox: rejected on request"


@attrs.frozen(kw_only=True)
class KycStartIn:
    level: KycLevel


@attrs.frozen(kw_only=True)
class KycSessionOut:
    session_id: str
    url: str


@attrs.frozen(kw_only=True)
class KycResultIn:
    """The provider's webhook body."""

    session_id: str
    user_id: str
    status: str
    level: str
    reasons: tuple[str, ...] = ()
    event_id: str = ""
    """The provider's id of this delivery: two deliveries of one verdict sign differently."""

    def result(self) -> KycResult:
        """Raises ValueError for an unknown status or level."""
        return KycResult(
            session_id=self.session_id,
            user_id=self.user_id,
            status=KycStatus(self.status),
            level=KycLevel(self.level),
            reasons=self.reasons,
        )

    @classmethod
    def of(cls, result: KycResult, event_id: str) -> KycResultIn:
        return cls(
            event_id=event_id,
            session_id=result.session_id,
            user_id=result.user_id,
            status=result.status.value,
            level=result.level.value,
            reasons=result.reasons,
        )


@attrs.frozen(kw_only=True)
class KycWebhookOut:
    status: str


@runtime_checkable
class SettlesKyc(Protocol):
    """A provider whose verdicts can be dictated: the sandbox's."""

    def settle(
        self, session: KycSessionRecord, status: KycStatus, reasons: tuple[str, ...] = ()
    ) -> KycResult: ...


async def receive(
    header: str,
    body: bytes,
    *,
    uc: UseCases,
    config: HttpConfig,
    services: HttpServices,
    converter: OrjsonConverter,
) -> Response[Any]:
    """Signature, freshness and replay checked before the body is read; recorded once applied."""
    if config.kyc_webhook_secret is None:
        return problem(401, "webhook.not_configured", "no KYC webhook secret is configured")
    try:
        signature = verify(
            header,
            body,
            secret=config.kyc_webhook_secret,
            now=services.wall_clock(),
            tolerance=config.webhook_tolerance,
        )
    except SignatureRejected as refused:
        return problem(refused.status, refused.code, "the webhook signature was refused")
    if await uc.platform.kyc.delivered(signature):
        return problem(400, "webhook.replayed", "this webhook was already delivered")
    try:
        result = converter.loads(body, KycResultIn).result()
    except (cattrs.BaseValidationError, ValueError, TypeError) as error:
        field, message = first_error_field(error)
        errors = [{"field": field, "message": message}]
        return problem(
            422, "validation.invalid", "the webhook body is not valid", field=field, errors=errors
        )
    outcome = await uc.platform.kyc.record.execute(result)
    await uc.platform.kyc.consumed(signature)
    return Response(KycWebhookOut(status=outcome.value), status_code=200)


class KycController(Controller):
    path = "/v1/me/kyc"
    tags = ("profile",)

    @post(status_code=201, summary="Start verifying a KYC level")
    async def start(
        self, data: JSONBody[KycStartIn], principal: PrincipalDep, uc: UseCasesDep
    ) -> KycSessionOut:
        """Opens a verification with the KYC provider; the user completes it at ``url``.

        The level changes only when the provider's signed verdict arrives. Asking for a level
        the caller already holds (or a lower one) is 422.
        """
        session = await uc.platform.kyc.start.execute(
            StartKyc(user_id=principal.id, level=data.level)
        )
        return KycSessionOut(session_id=session.session_id, url=session.url)


class KycWebhookController(Controller):
    path = "/v1/webhooks"
    tags = ("webhooks",)

    @post(
        "/kyc",
        status_code=200,
        summary="Verification verdicts from the KYC provider (signed)",
        responses={400: ResponseSpec(None, description="Replayed signature or malformed body")},
    )
    async def kyc(
        self,
        request: Request[Any, Any, Any],
        uc: UseCasesDep,
        config: ConfigDep,
        services: ServicesDep,
        converter: ConverterDep,
    ) -> Response[Any]:
        """Signed verdicts; forged, stale or replayed ones change nothing.

        Header ``Kustodia-Signature: t=<unix seconds>,v1=<hex>`` with ``hex`` the HMAC-SHA256
        of ``"<t>.<raw body>"`` under the KYC webhook secret; older than 300 s or already seen
        is refused. Body: ``session_id, user_id, status (approved | rejected | pending), level
        (N1-N4), reasons, event_id``. An unknown session is 404; a result naming another user
        than its session is 422; a session already settled answers ``duplicate`` and changes
        nothing.
        """
        return await receive(
            request.headers.get(SIGNATURE_HEADER, ""),
            await request.body(),
            uc=uc,
            config=config,
            services=services,
            converter=converter,
        )


class SandboxKycController(Controller):
    path = "/v1/sandbox/kyc"
    tags = ("sandbox",)

    @post("/{session_id:str}/approve", status_code=200, summary="Approve a sandbox KYC session")
    async def approve(
        self,
        session_id: FromPath[str],
        *,
        principal: PrincipalDep,
        uc: UseCasesDep,
        config: ConfigDep,
        services: ServicesDep,
        converter: ConverterDep,
    ) -> Response[Any]:
        """The sandbox provider approves and sends its signed webhook (the session's user)."""
        return await _settle(
            session_id,
            KycStatus.APPROVED,
            principal=principal,
            uc=uc,
            config=config,
            services=services,
            converter=converter,
        )

    @post("/{session_id:str}/reject", status_code=200, summary="Reject a sandbox KYC session")
    async def reject(
        self,
        session_id: FromPath[str],
        *,
        principal: PrincipalDep,
        uc: UseCasesDep,
        config: ConfigDep,
        services: ServicesDep,
        converter: ConverterDep,
    ) -> Response[Any]:
        """The sandbox provider rejects and sends its signed webhook (the session's user)."""
        return await _settle(
            session_id,
            KycStatus.REJECTED,
            principal=principal,
            uc=uc,
            config=config,
            services=services,
            converter=converter,
        )


async def _settle(
    session_id: str,
    status: KycStatus,
    *,
    principal: PrincipalDep,
    uc: UseCases,
    config: HttpConfig,
    services: HttpServices,
    converter: OrjsonConverter,
) -> Response[Any]:
    record = await uc.platform.kyc.session(session_id)
    provider = uc.platform.kyc.start.provider
    if (record.user_id != principal.id and not principal.is_admin) or not isinstance(
        provider, SettlesKyc
    ):
        raise NotFoundError("kyc session", session_id)
    reasons = (SANDBOX_REJECTION,) if status is KycStatus.REJECTED else ()
    result = provider.settle(record, status, reasons)
    raw = converter.dumps(KycResultIn.of(result, event_id=f"sbx_{uuid.uuid4().hex}"))
    moment = int(services.wall_clock().timestamp())
    secret = config.kyc_webhook_secret or ""
    header = f"t={moment},v1={sign(secret, moment, raw)}"
    return await receive(header, raw, uc=uc, config=config, services=services, converter=converter)
