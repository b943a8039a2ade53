"""Keep the co-purchase table of recommendations fresh: one gateway instance rebuilds it at a time.

Every ``co_purchase_refresh_minutes`` the instance that takes the Redis lease
(``gateway/leased_jobs.py``) rebuilds the table (:func:`graph.co_purchases.refresh`), the others
skip that round. 0 minutes switches the job off (tests, or a deployment that rebuilds from
``parcours seed`` or cron).
"""

from __future__ import annotations

import logging
import time

from aiohttp import web
from redis.asyncio import Redis

from gateway.leased_jobs import every, take_lease
from gateway.state import GRAPH, REDIS, SETTINGS
from graph import GraphDatabase, co_purchases

LEASE_KEY = "parcours:co-purchases:lease"
log = logging.getLogger("parcours.co_purchases")


async def refresh_once(graph: GraphDatabase, redis: Redis, lease_s: int) -> bool:
    """Rebuild the table if this instance gets the lease; True when it did. The lease is renewed
    before each write; if it passed to another instance (this one stalled past it), the rebuild
    stops there (False) and that instance's goes on alone."""
    lease = await take_lease(redis, LEASE_KEY, lease_s, "co-purchase refresh", log)
    if lease is None:
        return False
    held = True

    async def still_held() -> bool:
        nonlocal held
        held = await lease.renew()
        return held

    started = time.monotonic()
    written = await co_purchases.refresh(graph, keep_going=still_held)
    log.info(
        "co-purchase table %s: %d relationships in %.1f s",
        "rebuilt" if held else "partly rebuilt",
        written,
        time.monotonic() - started,
    )
    return held


async def _round(app: web.Application, lease_s: int) -> None:
    await refresh_once(app[GRAPH], app[REDIS], lease_s)


async def _first_wait(app: web.Application, interval_s: float) -> float:
    # A graph loaded before the table existed gets one at once rather than in an hour.
    return interval_s if await co_purchases.present(app[GRAPH]) else 0.0


co_purchase_refresh = every(
    "co-purchase refresh",
    lambda app: app[SETTINGS].co_purchase_refresh_minutes,
    _round,
    log,
    first_wait_s=_first_wait,
)
