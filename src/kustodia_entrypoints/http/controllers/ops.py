"""Liveness, readiness and Prometheus metrics (no authentication)."""

from __future__ import annotations

import attrs
from litestar import Controller, Response, get
from prometheus_client import CONTENT_TYPE_LATEST

from kustodia_entrypoints.http.deps import MetricsDep, ServicesDep, UseCasesDep


@attrs.frozen(kw_only=True)
class HealthOut:
    status: str


@attrs.frozen(kw_only=True)
class ReadyOut:
    status: str
    checks: dict[str, str]


class OpsController(Controller):
    tags = ("ops",)

    @get("/health", summary="Liveness: 200 while the process lives")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get("/ready", summary="Readiness: database reachable and schema at the latest migration")
    async def ready(self, services: ServicesDep) -> Response[ReadyOut]:
        report = await services.readiness.check()
        body = ReadyOut(status="ready" if report.ready else "not_ready", checks=dict(report.checks))
        return Response(body, status_code=200 if report.ready else 503)

    @get("/metrics", include_in_schema=False)
    async def metrics(self, metrics: MetricsDep, uc: UseCasesDep) -> Response[bytes]:
        body = await metrics.render(uc.platform.operations)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
