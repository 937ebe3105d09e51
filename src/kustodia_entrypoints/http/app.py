"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.types import ControllerRouterHandler

from kustodia_entrypoints.http.client import DEVICE_HEADER
from kustodia_entrypoints.http.config import HttpConfig, Mode
from kustodia_entrypoints.http.controllers.admin import (
    AdminAuditController,
    AdminEscrowController,
    AdminFraudController,
    AdminUserController,
)
from kustodia_entrypoints.http.controllers.admin_disputes import AdminDisputeController
from kustodia_entrypoints.http.controllers.admin_fraud import (
    AdminListController,
    AdminOverrideController,
)
from kustodia_entrypoints.http.controllers.admin_reconciliation import (
    AdminReconciliationController,
)
from kustodia_entrypoints.http.controllers.auth import AuthController, LoginController, MeController
from kustodia_entrypoints.http.controllers.disputes import DisputeController
from kustodia_entrypoints.http.controllers.escrows import EscrowController
from kustodia_entrypoints.http.controllers.kyc import (
    KycController,
    KycWebhookController,
    SandboxKycController,
)
from kustodia_entrypoints.http.controllers.ops import OpsController
from kustodia_entrypoints.http.controllers.sandbox import SandboxController
from kustodia_entrypoints.http.controllers.support import (
    AdminTicketController,
    NotificationController,
    TicketController,
)
from kustodia_entrypoints.http.controllers.webhooks import WebhookController
from kustodia_entrypoints.http.converter import build_converter
from kustodia_entrypoints.http.idempotency import idempotency
from kustodia_entrypoints.http.metrics import Metrics
from kustodia_entrypoints.http.middleware import request_context, security_headers
from kustodia_entrypoints.http.openapi import BEARER, components, document_problems
from kustodia_entrypoints.http.plain_text import plain_text
from kustodia_entrypoints.http.principal import principal_provider
from kustodia_entrypoints.http.problems import EXCEPTION_HANDLERS
from kustodia_entrypoints.http.services import HttpServices
from kustodia_entrypoints.http.tokens import AccessTokens
from kustodia_entrypoints.http.wire import TYPE_DECODERS, WireIntSchemaPlugin

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def _const(value: Any) -> Provide:
    def provide() -> Any:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=True)


def _routes(config: HttpConfig, services: HttpServices) -> list[ControllerRouterHandler]:
    login_limit = RateLimitConfig(rate_limit=("minute", config.login_attempts_per_minute))
    protected: list[ControllerRouterHandler] = [
        MeController,
        KycController,
        EscrowController,
        DisputeController,
        AdminDisputeController,
        TicketController,
        AdminTicketController,
        NotificationController,
        AdminEscrowController,
        AdminUserController,
        AdminFraudController,
        AdminOverrideController,
        AdminListController,
        AdminAuditController,
        AdminReconciliationController,
    ]
    if config.sandbox and services.sandbox is not None:
        protected.extend([SandboxController, SandboxKycController])
    return [
        OpsController,
        AuthController,
        WebhookController,
        KycWebhookController,
        Router("/", route_handlers=[LoginController], middleware=[login_limit.middleware]),
        Router("/", route_handlers=protected, security=[{BEARER: []}]),
    ]


def _openapi(config: HttpConfig) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Kustodia API",
        version=config.version,
        description="Escrow payments for Mexico. Money is integer minor units plus a currency.",
        path="/schema",
        render_plugins=[
            ScalarRenderPlugin(path="/"),
            SwaggerRenderPlugin(path="/swagger"),
            JsonRenderPlugin(path="/openapi.json"),
        ],
        components=components(),
        use_handler_docstrings=True,
    )


def build_app(
    services: HttpServices, config: HttpConfig, *, lifespan: Sequence[Lifespan] = ()
) -> Litestar:
    """The API over ``services``; ``lifespan`` opens and closes what bootstrap owns.

    Sandbox routes exist only when the mode allows them and sandbox controls are given.
    """
    metrics = Metrics()
    tokens = AccessTokens(config.jwt_secret, config.access_token_ttl, services.wall_clock)
    use_cases = services.use_cases
    app = Litestar(
        route_handlers=_routes(config, services),
        dependencies={
            "uc": _const(use_cases),
            "services": _const(services),
            "config": _const(config),
            "tokens": _const(tokens),
            "metrics": _const(metrics),
            "converter": _const(build_converter()),
            "principal": Provide(principal_provider(use_cases, tokens)),
        },
        middleware=[
            request_context(metrics),
            plain_text,
            idempotency(use_cases.platform.idempotency, tokens),
        ],
        before_send=[security_headers(hsts=config.mode is Mode.PRODUCTION)],
        exception_handlers=dict(EXCEPTION_HANDLERS),
        cors_config=CORSConfig(
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Request-ID",
                DEVICE_HEADER,
            ],
            expose_headers=["X-Request-ID", "Idempotent-Replayed", "Retry-After"],
            max_age=600,
        )
        if config.cors_origins
        else None,
        openapi_config=_openapi(config),
        plugins=[WireIntSchemaPlugin()],
        type_decoders=TYPE_DECODERS,
        request_max_body_size=config.max_body_bytes,
        lifespan=list(lifespan),
        # Logging belongs to bootstrap (structlog, house style): Litestar configures none.
        logging_config=None,
        debug=False,
    )
    document_problems(app)
    return app
