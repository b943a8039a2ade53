"""Keep the co-purchase table of recommendations fresh: one gateway instance rebuilds it at a time.

Every ``co_purchase_refresh_minutes`` each instance tries to take a Redis lease
(``SET NX EX``); the one that gets it rebuilds the table (:func:`graph.co_purchases.refresh`), the
others skip that round. The lease outlives the rebuild's expected length, so two instances never
rebuild together; if the holder dies the lease expires and the next round goes ahead. 0 minutes
switches the job off (tests, or a deployment that rebuilds from ``parcours seed`` or cron).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.state import GRAPH, REDIS, SETTINGS
from graph import GraphDatabase, co_purchases

LEASE_KEY = "parcours:co-purchases:lease"
log = logging.getLogger("parcours.co_purchases")


async def refresh_once(graph: GraphDatabase, redis: Redis, lease_s: int) -> bool:
    """Rebuild the table if this instance gets the lease; True when it did."""
    try:
        if not await redis.set(LEASE_KEY, "1", nx=True, ex=lease_s):
            return False
    except RedisError as exc:
        log.warning("co-purchase refresh skipped: Redis unavailable (%s)", exc)
        return False
    started = time.monotonic()
    written = await co_purchases.refresh(graph)
    log.info(
        "co-purchase table rebuilt: %d relationships in %.1f s",
        written,
        time.monotonic() - started,
    )
    return True


async def co_purchase_refresh(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx``: the periodic rebuild, cancelled with the application."""
    minutes = app[SETTINGS].co_purchase_refresh_minutes
    if minutes <= 0:
        yield
        return
    interval_s = minutes * 60.0

    async def loop() -> None:
        # A graph loaded before the table existed gets one at once rather than in an hour.
        first_wait = 0.0 if not await co_purchases.present(app[GRAPH]) else interval_s
        await asyncio.sleep(first_wait)
        while True:
            try:
                await refresh_once(app[GRAPH], app[REDIS], lease_s=max(60, int(interval_s * 0.9)))
            except Exception:  # a failed round is logged; the next one retries
                log.exception("co-purchase refresh failed")
            await asyncio.sleep(interval_s)

    task = asyncio.create_task(loop(), name="co-purchase-refresh")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
