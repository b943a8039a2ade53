"""``create_app(settings)``: the aiohttp application of one gateway instance.

Resources (Neo4j driver, Redis client) are opened and closed in ``cleanup_ctx``; the instance holds
no state two instances would need to agree on. Tests call this factory directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web
from redis.asyncio import Redis
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from channels import ChannelConfig, ChannelSystems
from gateway.graphql_view import ParcoursGraphQLView
from gateway.health import healthz, readyz
from gateway.middleware import request_context
from gateway.realtime import event_bus
from gateway.response_cache import ResponseCache, response_cache_middleware
from gateway.settings import CHANNEL_SYSTEMS, Settings
from gateway.stale_store import RedisStaleStore
from gateway.state import GRAPH, REDIS, RESPONSE_CACHE, SETTINGS, SYSTEMS
from gateway.webhooks import receive_webhook
from graph import GraphDatabase, migrate
from resolvers import SchemaLimits, build_schema


def create_app(settings: Settings) -> web.Application:
    """A ready-to-run gateway application for ``settings``.

    Example:
        >>> app = create_app(Settings(migrate_on_start=False))
        >>> sorted(r.resource.canonical for r in app.router.routes() if r.resource)[:2]
        ['/graphql', '/graphql']
    """
    app = web.Application(
        middlewares=[request_context, response_cache_middleware(RESPONSE_CACHE)],
        client_max_size=1024 * 1024,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_graph_database)
    app.cleanup_ctx.append(_redis_client)
    app.cleanup_ctx.append(_response_cache)
    app.cleanup_ctx.append(event_bus)
    app.cleanup_ctx.append(_channel_systems)
    schema = build_schema(
        SchemaLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            diagnostics=settings.expose_diagnostics,
            max_root_fields=settings.max_root_fields,
            max_fields=settings.max_fields,
            introspection=settings.is_dev,
            suggestions=settings.is_dev,
            document_caches=not settings.naive_baseline,
        )
    )
    view = ParcoursGraphQLView(
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
    return app


async def _graph_database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    graph = GraphDatabase.connect(
        settings.bolt_uri,
        settings.neo4j_credentials(),
        settings.neo4j_database,
        settings.neo4j_query_timeout_s,
    )
    app[GRAPH] = graph
    try:
        if settings.migrate_on_start:
            await migrate(graph)
        yield
    finally:
        await graph.close()


async def _redis_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    client = Redis.from_url(
        settings.redis_dsn,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    app[REDIS] = client
    try:
        yield
    finally:
        await client.aclose()


async def _response_cache(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.response_cache_enabled:
        app[RESPONSE_CACHE] = ResponseCache(
            app[REDIS], settings.response_cache_ttl_s, settings.expose_diagnostics
        )
    yield


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
        )
        for name in CHANNEL_SYSTEMS
    }


async def _channel_systems(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    stale = RedisStaleStore(app[REDIS], ttl_s=settings.stale_ttl_s)
    systems = ChannelSystems.create(channel_configs(settings), stale)
    await systems.start()
    app[SYSTEMS] = systems
    try:
        yield
    finally:
        await systems.close()
