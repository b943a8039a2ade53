"""The gateway's real-time wiring: the event bus and cache resources, ingest publishing, and the
hook that admits a WebSocket connection.

Only this package knows Redis connections; resolvers see the bus and the cache through the
Protocols of ``resolvers.realtime.ports``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime

from aiohttp import web
from redis.asyncio import Redis

from gateway.auth import Authenticator, Credentials, Unauthenticated
from gateway.bus import BusConfig, RedisEventBus
from gateway.context_cache import RedisProfileCache
from gateway.state import BUS, CONTEXT_CACHE, REDIS, SETTINGS
from graph.ingest import IngestResult
from resolvers.access import Principal
from resolvers.realtime.events import (
    ActivityKind,
    CartChanged,
    CustomerActivity,
    Event,
    OrderStatusChanged,
)


async def event_bus(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx`` step (after the Redis client): the bus, its reader task and the cache."""
    settings = app[SETTINGS]
    config = BusConfig(
        stream_key=settings.bus_stream_key,
        max_len=settings.bus_stream_max_len,
        block_ms=settings.bus_block_ms,
        feed_queue=settings.bus_feed_queue,
        resync_idle_s=settings.bus_resync_idle_s,
    )
    # The reader blocks in XREAD: its own connection, with a socket timeout longer than a block.
    reader = Redis.from_url(
        settings.redis_dsn,
        socket_timeout=settings.bus_block_ms / 1000 + settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    bus = RedisEventBus(app[REDIS], reader, config)
    app[BUS] = bus
    if settings.context_cache_enabled:
        app[CONTEXT_CACHE] = RedisProfileCache(
            app[REDIS], settings.context_cache_ttl_s, bypass=bus.unconfirmed
        )
    bus.start()
    try:
        yield
    finally:
        await bus.close()


async def publish_ingest(app: web.Application, channel: str, result: IngestResult) -> None:
    """After a webhook batch committed: each customer it changed has new activity, and their
    cart may have changed through a merge (subscribers re-read it; unchanged carts are not shown
    twice). A customer merged away gets IDENTITY_MERGED, on which its live views end naming
    the survivor (``resolvers.realtime.subscriptions``)."""
    now = datetime.now(UTC)
    events: list[Event] = []
    for customer_id in result.customer_ids:
        events.append(CustomerActivity(customer_id, ActivityKind.INTERACTION, now, (), channel))
        events.append(CartChanged(customer_id))
    for merged_id in result.merged_ids:
        events.append(CustomerActivity(merged_id, ActivityKind.IDENTITY_MERGED, now, (), channel))
        events.append(CartChanged(merged_id))
    for update in result.order_updates:
        events.append(
            OrderStatusChanged(update.order_id, update.status, update.at, update.customer_id)
        )
    await app[BUS].publish(events)


async def admit_connection(
    authenticator: Authenticator, payload: Mapping[str, object]
) -> Principal | None:
    """The principal a ``connection_init`` payload authenticates, or None to refuse it.

    Credentials travel in the payload (``apiKey``, or ``authorization: "Bearer <JWT>"``) and are
    checked exactly as over HTTP; refusing closes the socket with 4403 Forbidden.
    """
    try:
        return await authenticator.authenticate(Credentials.from_payload(payload))
    except Unauthenticated:
        return None
