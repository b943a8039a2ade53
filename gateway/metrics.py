"""Prometheus metrics of one gateway instance, in its own registry, served at ``/metrics``.

Series (all prefixed ``parcours_``): GraphQL latency by operation name and kind, GraphQL errors by
``extensions.code``, channel call latency by system, method and outcome, breaker state by system,
plus what :mod:`gateway.metrics_state` reads at scrape time (caches, subscriptions, pools). Each
app builds its own :class:`GatewayMetrics` (tests create many apps; a global registry would
collide). Label values are bounded: operation names outside a safe pattern, or past the cap of
distinct names, count as ``other``; unnamed operations as ``anonymous``. This module must never
block a request: every hook is an in-memory update.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

from aiohttp import web
from graphql import GraphQLError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from strawberry.extensions import SchemaExtension

BREAKER_STATES = {"closed": 0.0, "half-opened": 1.0, "opened": 2.0}
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Latency buckets (seconds) around the 1 s request deadline.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
_CHANNEL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 2.0)

# Codes of a document that never ran: its operation name is not a name the API serves.
_NOT_RUN = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST"})


class GatewayMetrics:
    """The metrics of one gateway instance; also its channels' observer.

    Example:
        >>> metrics = GatewayMetrics(max_operation_names=2)
        >>> metrics.call_finished("oms", "GET", "ok", 0.012)
        >>> b"parcours_channel_call_duration_seconds_count" in metrics.exposition()
        True
    """

    def __init__(self, max_operation_names: int = 200) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.max_operation_names = max_operation_names
        self._operation_names: set[str] = set()
        self.requests = Histogram(
            "parcours_graphql_request_duration_seconds",
            "GraphQL operations by name and kind (query, mutation, subscription).",
            ["operation", "kind"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "parcours_graphql_errors",
            "GraphQL errors by extensions.code.",
            ["code"],
            registry=self.registry,
        )
        self.channel_calls = Histogram(
            "parcours_channel_call_duration_seconds",
            "Channel system calls (retries and stale fallback included) by outcome.",
            ["system", "method", "outcome"],
            buckets=_CHANNEL_BUCKETS,
            registry=self.registry,
        )
        self.breaker_state = Gauge(
            "parcours_channel_breaker_state",
            "This instance's breaker per system: 0 closed, 1 half-opened, 2 opened.",
            ["system"],
            registry=self.registry,
        )

    def operation_label(self, name: str | None, *, valid: bool = True) -> str:
        """``name`` as a label value: ``anonymous``, itself, or ``other`` (unsafe, over cap, or
        new and named by a document that did not parse or validate: junk must not use the cap up
        before the real operations are seen)."""
        if not name:
            return "anonymous"
        if not _SAFE_NAME.match(name):
            return "other"
        if name not in self._operation_names:
            if not valid or len(self._operation_names) >= self.max_operation_names:
                return "other"
            self._operation_names.add(name)
        return name

    def observe_operation(
        self,
        name: str | None,
        kind: str,
        seconds: float,
        errors: list[GraphQLError],
        *,
        valid: bool = True,
    ) -> None:
        self.requests.labels(self.operation_label(name, valid=valid), kind).observe(seconds)
        for error in errors:
            code = (error.extensions or {}).get("code")
            self.errors.labels(code if isinstance(code, str) else "UNKNOWN").inc()

    def track_systems(self, systems: list[str]) -> None:
        """Show every system's breaker (closed) before its first call."""
        for system in systems:
            self.breaker_state.labels(system).set(BREAKER_STATES["closed"])

    # What the channel clients report, as their observer.
    def call_finished(self, system: str, method: str, outcome: str, seconds: float) -> None:
        self.channel_calls.labels(system, method, outcome).observe(seconds)

    def breaker_changed(self, system: str, state: str) -> None:
        self.breaker_state.labels(system).set(BREAKER_STATES.get(state, -1.0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def extension(self) -> Callable[[], SchemaExtension]:
        """A schema extension factory timing each operation into these metrics."""
        metrics = self

        class OperationMetrics(SchemaExtension):
            def on_operation(self) -> Iterator[None]:
                started = time.perf_counter()
                yield
                context = self.execution_context
                try:
                    kind = context.operation_type.value
                except RuntimeError:  # never parsed
                    kind = "unknown"
                result = context.result
                errors = list(getattr(result, "errors", None) or [])
                if not errors and context.pre_execution_errors:
                    errors = list(context.pre_execution_errors)
                metrics.observe_operation(
                    context.operation_name,
                    kind,
                    time.perf_counter() - started,
                    errors,
                    valid=not any(
                        (error.extensions or {}).get("code") in _NOT_RUN for error in errors
                    ),
                )

        return OperationMetrics


METRICS = web.AppKey("metrics", GatewayMetrics)


async def serve_metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: the Prometheus text exposition of this instance."""
    body = request.app[METRICS].exposition()
    response = web.Response(body=body)
    # CONTENT_TYPE_LATEST carries a charset, which aiohttp wants set through its own header.
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
