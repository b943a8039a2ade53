"""Delete expired idempotency keys: one gateway instance sweeps at a time.

A key protects a write for 24 hours (``graph/_idempotency.py``); after that a write with it
proceeds as new, so the key is dead weight that still holds a copy of its answer (a cart, an
order with the customer's email). Every ``idempotency_sweep_minutes`` the instance that takes the
Redis lease (``gateway/leased_jobs.py``) deletes them, oldest first, ``SWEEP_BATCH`` per
transaction, at most ``MAX_BATCHES_PER_ROUND`` batches a round (a backlog is worked off over
several rounds), renewing the lease before each batch and stopping if another instance holds it.
0 minutes switches the job off.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from aiohttp import web
from redis.asyncio import Redis

from gateway.leased_jobs import every, take_lease
from gateway.state import GRAPH, REDIS, SETTINGS
from graph import GraphDatabase, delete_expired_keys

LEASE_KEY = "parcours:idempotency-sweep:lease"
SWEEP_BATCH = 5_000
MAX_BATCHES_PER_ROUND = 200
log = logging.getLogger("parcours.key_sweep")


async def sweep_once(
    graph: GraphDatabase,
    redis: Redis,
    lease_s: int,
    *,
    batch: int = SWEEP_BATCH,
    max_batches: int = MAX_BATCHES_PER_ROUND,
) -> int | None:
    """Delete keys expired by now if this instance gets the lease: how many went, or None when
    another instance holds the round. Progress is logged per batch; the lease is renewed before
    each batch after the first, and the round stops if it passed to another instance."""
    lease = await take_lease(redis, LEASE_KEY, lease_s, "idempotency-key sweep", log)
    if lease is None:
        return None
    now = datetime.now(UTC)
    started = time.monotonic()
    swept = 0
    for batches in range(1, max_batches + 1):
        if batches > 1 and not await lease.renew():
            break
        deleted = await delete_expired_keys(graph, now, batch)
        swept += deleted
        if deleted < batch:
            break
        log.info(
            "idempotency-key sweep: %d expired keys deleted so far (%d batches)", swept, batches
        )
    log.info(
        "idempotency-key sweep: %d expired keys deleted in %.1f s",
        swept,
        time.monotonic() - started,
    )
    return swept


async def _round(app: web.Application, lease_s: int) -> None:
    await sweep_once(app[GRAPH], app[REDIS], lease_s)


key_sweep = every(
    "idempotency-key sweep", lambda app: app[SETTINGS].idempotency_sweep_minutes, _round, log
)
