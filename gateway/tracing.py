"""OpenTelemetry traces, an optional extra (``pip install 'parcours[otel]'``).

When ``PARCOURS_OTEL_ENABLED`` is on (or a test hands in a tracer provider), the gateway gets a
server span per HTTP request (a middleware of ours, W3C context extracted), a client span per
channel call (an aiohttp ``TraceConfig`` on each channel pool) and a span around each Cypher
statement (``GraphDatabase.statement_hook``). Spans go to the provider's processors; the
default provider of this module prints them (``console``) or drops them (``none``): a real
exporter is configured by whoever runs the gateway. Nothing here is imported unless tracing is
on, so the base install needs no OpenTelemetry; this module must never be imported by
``graph/``, ``channels/`` or ``resolvers/``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from graph.database import StatementHook

# A path segment kept in a client span's URL: a plain word (``customers``) or an API version.
_PLAIN_SEGMENT = re.compile(r"^(?:[a-z]+(?:[-_][a-z]+)*|v[0-9]+)$")
# Segments naming a customer follow these whatever they look like.
_ID_AFTER = frozenset({"customers", "carts", "orders"})
_MISSING = "tracing is on but OpenTelemetry is not installed: pip install 'parcours[otel]'"


@dataclass(frozen=True)
class Tracing:
    """What one app needs to trace: a server middleware, client trace configs, a Cypher hook."""

    middleware: Any
    trace_configs: tuple[aiohttp.TraceConfig, ...]
    statement_hook: StatementHook


def default_provider(exporter: str, service_name: str) -> Any:
    """A tracer provider with the ``console`` exporter (or none) for ``service_name``."""
    try:
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415 - optional extra
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
            BatchSpanProcessor,
            ConsoleSpanExporter,
        )
    except ImportError as exc:
        raise RuntimeError(_MISSING) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def redacted_url(url: URL) -> str:
    """A channel call's URL as its client span records it: without the query (customer ids and
    emails) and with every path segment that may name a customer replaced by ``{id}``.

    Example:
        >>> redacted_url(URL("http://127.0.0.1:9/api/v1/customers/a%40b.fr?x=1"))
        'http://127.0.0.1:9/api/v1/customers/{id}'
    """
    kept: list[str] = []
    for segment in url.raw_path.split("/"):
        plain = segment == "" or _PLAIN_SEGMENT.match(segment) is not None
        kept.append(segment if plain and (not kept or kept[-1] not in _ID_AFTER) else "{id}")
    return str(url.origin()) + "/".join(kept)


def build_tracing(provider: Any) -> Tracing:
    """Server middleware, client trace config and Cypher hook, all on ``provider``."""
    try:
        from opentelemetry.instrumentation.aiohttp_client import (  # noqa: PLC0415
            create_trace_config,
        )
        from opentelemetry.propagate import extract  # noqa: PLC0415
        from opentelemetry.trace import SpanKind, Status, StatusCode  # noqa: PLC0415
    except ImportError as exc:
        raise RuntimeError(_MISSING) from exc
    tracer = provider.get_tracer("parcours.graph")
    server_tracer = provider.get_tracer("parcours.http")

    # Our own small server middleware rather than the aiohttp-server instrumentation's: its
    # middleware only works after a global instrument() call, and we keep one provider per app.
    @web.middleware
    async def server_span(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource
        path = route.canonical if route is not None else "unmatched"
        with server_tracer.start_as_current_span(
            f"{request.method} {path}",
            context=extract(dict(request.headers)),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": request.method, "http.route": path},
        ) as span:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                span.set_attribute("http.response.status_code", exc.status)
                raise
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    @contextlib.contextmanager
    def cypher_span(kind: str, statement: str) -> Iterator[None]:
        attributes = {"db.system": "neo4j", "db.operation": kind, "db.statement": statement}
        with tracer.start_as_current_span(
            f"cypher {kind}", kind=SpanKind.CLIENT, attributes=attributes
        ):
            yield

    return Tracing(
        middleware=server_span,
        trace_configs=(create_trace_config(url_filter=redacted_url, tracer_provider=provider),),
        statement_hook=cypher_span,
    )
