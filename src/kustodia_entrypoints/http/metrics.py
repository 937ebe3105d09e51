"""Prometheus metrics on a registry of the app's own (so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from kustodia_domain.services.operations import Operations

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Request latency by route, plus gauges refreshed from the use cases at each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._latency = Histogram(
            "kustodia_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ["method", "route", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._escrows = Gauge(
            "kustodia_escrows", "Escrows by state.", ["state"], registry=self.registry
        )
        self._decisions = Gauge(
            "kustodia_risk_decisions",
            "Risk-screening decisions recorded on escrows, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self._backlog = Gauge(
            "kustodia_outbox_backlog", "Outbox messages not yet dispatched.", registry=self.registry
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self._latency.labels(method, route, str(status)).observe(seconds)

    async def render(self, operations: Operations) -> bytes:
        for state, count in (await operations.escrows_by_state()).items():
            self._escrows.labels(state).set(count)
        for outcome, count in (await operations.decisions_by_outcome()).items():
            self._decisions.labels(outcome).set(count)
        self._backlog.set(await operations.outbox_backlog())
        return generate_latest(self.registry)
