"""``create_app(settings)``: the aiohttp application of one gateway instance.

Resources (Neo4j driver, Redis client) are opened and closed in ``cleanup_ctx``; the instance holds
no state two instances would need to agree on. Tests call this factory directly.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from aiohttp import WSCloseCode, web
from redis.asyncio import BlockingConnectionPool, Redis
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from channels import ChannelConfig, ChannelSystems
from gateway.auth import authenticator
from gateway.co_purchase_refresh import co_purchase_refresh
from gateway.console import add_console
from gateway.graphql_view import ParcoursGraphQLView
from gateway.health import healthz, readyz
from gateway.key_sweep import key_sweep
from gateway.metrics import METRICS, GatewayMetrics, serve_metrics
from gateway.metrics_state import ResourceCollector
from gateway.middleware import request_context
from gateway.near_cache import NearCache
from gateway.persisted_queries import PersistedQueries
from gateway.privacy import export_customer
from gateway.rate_limits import rate_limits
from gateway.realtime import event_bus
from gateway.response_cache import ResponseCache, response_cache_middleware
from gateway.settings import CHANNEL_SYSTEMS, Settings
from gateway.stale_store import RedisStaleStore
from gateway.state import (
    BUS,
    CONTEXT_READS,
    GRAPH,
    OPEN_WEBSOCKETS,
    PERSISTED_QUERIES,
    REDIS,
    RESPONSE_CACHE,
    SETTINGS,
    STALE_STORE,
    SYSTEMS,
)
from gateway.tracing import Tracing, build_tracing, default_provider
from gateway.webhooks import receive_webhook, refuse_method
from graph import GraphDatabase, migrate
from graph.context import ContextRequest, CustomerContext, contexts
from graph.shared_reads import SharedReads
from graph.warm_up import warm_up
from resolvers import SchemaLimits, build_schema

TRACING = web.AppKey("tracing", Tracing)


async def _close_websockets(app: web.Application) -> None:
    """Close every WebSocket with 1001 Going Away as the instance shuts down (aiohttp's
    ``on_shutdown``, before the driver and Redis close): clients reconnect to another instance
    at once, and no connection outlives the resources its checks and subscriptions use."""
    serving: weakref.WeakSet[web.WebSocketResponse] = app[OPEN_WEBSOCKETS]
    open_sockets = list(serving)
    await asyncio.gather(
        *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"shutting down") for ws in open_sockets),
        return_exceptions=True,
    )


def create_app(settings: Settings, tracer_provider: Any = None) -> web.Application:
    """A ready-to-run gateway application for ``settings``.

    Traces are on when ``settings.otel_enabled`` or a ``tracer_provider`` (OpenTelemetry) is
    given; the base install never imports OpenTelemetry.

    Example:
        >>> app = create_app(Settings(migrate_on_start=False))
        >>> "/graphql" in {r.resource.canonical for r in app.router.routes() if r.resource}
        True
    """
    if tracer_provider is None and settings.otel_enabled:
        tracer_provider = default_provider(settings.otel_exporter, settings.otel_service_name)
    tracing = build_tracing(tracer_provider) if tracer_provider is not None else None
    middlewares = [tracing.middleware] if tracing is not None else []
    app = web.Application(
        middlewares=[*middlewares, request_context, response_cache_middleware(RESPONSE_CACHE)],
        client_max_size=1024 * 1024,
    )
    app[SETTINGS] = settings
    if tracing is not None:
        app[TRACING] = tracing
    metrics = GatewayMetrics(settings.metrics_max_operation_names)
    metrics.track_systems(list(CHANNEL_SYSTEMS))
    metrics.registry.register(ResourceCollector(app))
    app[METRICS] = metrics
    app[OPEN_WEBSOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_websockets)
    app.cleanup_ctx.append(_graph_database)
    app.cleanup_ctx.append(_redis_client)
    app.cleanup_ctx.append(_persisted_queries)
    app.cleanup_ctx.append(event_bus)
    app.cleanup_ctx.append(_response_cache)
    app.cleanup_ctx.append(_channel_systems)
    app.cleanup_ctx.append(authenticator)
    app.cleanup_ctx.append(rate_limits)
    app.cleanup_ctx.append(co_purchase_refresh)
    app.cleanup_ctx.append(key_sweep)
    schema = build_schema(
        SchemaLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            diagnostics=settings.diagnostics_exposed,
            max_root_fields=settings.max_root_fields,
            max_fields=settings.max_fields,
            introspection=settings.is_dev,
            suggestions=settings.is_dev,
            document_caches=not settings.naive_baseline,
            fast_fields=not settings.naive_baseline,
        ),
        observers=[metrics.extension()],
    )
    view = ParcoursGraphQLView(
        app,
        schema=schema,
        graphql_ide="graphiql" if settings.is_dev else None,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout_s),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post("/webhooks/{channel}", receive_webhook)
    app.router.add_route("*", "/webhooks/{channel}", refuse_method)
    app.router.add_get("/metrics", serve_metrics)
    # GDPR (issue 6): the export as a download.
    app.router.add_get("/admin/customers/{id}/export", export_customer)
    add_console(app)
    return app


async def _graph_database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    graph = GraphDatabase.connect(
        settings.bolt_uri,
        settings.neo4j_credentials(),
        settings.neo4j_database,
        settings.neo4j_query_timeout_s,
        connection_timeout_s=settings.neo4j_connection_timeout_s,
    )
    tracing = app.get(TRACING)
    if tracing is not None:
        graph.statement_hook = tracing.statement_hook
    app[GRAPH] = graph
    if settings.shared_context_reads_in_flight:

        async def read_contexts(requests: Sequence[ContextRequest]) -> list[CustomerContext]:
            return await contexts(graph, requests)

        app[CONTEXT_READS] = SharedReads(read_contexts, settings.shared_context_reads_in_flight)
    try:
        if settings.migrate_on_start:
            await migrate(graph, inputs=settings.migration_inputs())
        if settings.neo4j_warm_up_timeout_s:
            await warm_up(graph, settings.neo4j_warm_up_timeout_s)
        yield
    finally:
        await graph.close()


async def _redis_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # A blocking pool: past redis_pool_size concurrent commands a request waits (up to the
    # timeout) for a connection instead of failing with "Too many connections".
    pool = BlockingConnectionPool.from_url(
        settings.redis_dsn,
        max_connections=settings.redis_pool_size,
        timeout=settings.redis_timeout_s,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    client = Redis(connection_pool=pool)
    app[REDIS] = client
    try:
        yield
    finally:
        await client.aclose()
        await pool.aclose()


async def _persisted_queries(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.persisted_queries_enabled:
        app[PERSISTED_QUERIES] = PersistedQueries(app[REDIS], settings.persisted_query_ttl_s)
    yield


async def _response_cache(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # A hit is answered before authentication, scopes, consent, rate limits and the audit log:
    # so the cache serves only anonymous callers, and only where anonymous access is allowed.
    if not (settings.response_cache_enabled and settings.anonymous_allowed):
        yield
        return
    near: NearCache | None = None
    tracking: Redis | None = None
    if settings.response_cache_near_enabled:
        near = NearCache(settings.response_cache_near_max_entries)
        # Its own connection, in RESP2: invalidations then come as Pub/Sub messages.
        tracking = Redis.from_url(
            settings.redis_dsn, protocol=2, socket_connect_timeout=settings.redis_timeout_s
        )
        near.start(tracking)
        app[BUS].version_listeners.append(near.forget)
    app[RESPONSE_CACHE] = ResponseCache(
        app[REDIS],
        settings.response_cache_ttl_s,
        settings.diagnostics_exposed,
        live_ttl_s=settings.response_cache_live_ttl_s,
        persisted=app.get(PERSISTED_QUERIES),
        near=near,
    )
    try:
        yield
    finally:
        if near is not None and tracking is not None:
            await near.close()
            await tracking.aclose()


def channel_configs(settings: Settings) -> dict[str, ChannelConfig]:
    """The federation policy of each channel system, from the settings."""
    return {
        name: ChannelConfig(
            name=name,
            base_url=settings.channel_url(name),
            call_timeout_s=settings.channel_call_timeout_s,
            pool_size=settings.channel_pool_size,
            breaker_threshold=settings.channel_breaker_threshold,
            breaker_ttl_s=settings.channel_breaker_ttl_s,
            retries=settings.channel_retries,
            failure_window_s=settings.channel_failures_window_s,
        )
        for name in CHANNEL_SYSTEMS
    }


async def _channel_systems(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    stale = RedisStaleStore(
        app[REDIS], ttl_s=settings.stale_ttl_s, write_window_s=settings.stale_write_window_s
    )
    app[STALE_STORE] = stale
    tracing = app.get(TRACING)
    systems = ChannelSystems.create(
        channel_configs(settings),
        stale,
        app[METRICS],
        trace_configs=tracing.trace_configs if tracing is not None else (),
        recent_availability_s=settings.recommendation_stock_max_age_s,
    )
    await systems.start()
    app[SYSTEMS] = systems
    try:
        yield
    finally:
        await systems.close()
