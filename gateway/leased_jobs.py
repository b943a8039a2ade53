"""Periodic jobs over the shared graph that one gateway instance runs at a time.

Every round, each instance tries to take the job's Redis lease (``SET NX EX``); the one that gets
it does the work, the others skip that round. The lease outlives the work's expected length, so
two instances never run it together; if the holder dies the lease expires and a later round goes
ahead. The gateway stays stateless: which instance works is decided in Redis, each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

AppContext = Callable[[web.Application], AsyncIterator[None]]


async def take_lease(redis: Redis, key: str, lease_s: int, job: str, log: logging.Logger) -> bool:
    """True when this instance holds ``key`` for the next ``lease_s`` seconds; False when another
    does, or when Redis cannot say (logged: the job skips this round rather than risk twins)."""
    try:
        return bool(await redis.set(key, "1", nx=True, ex=lease_s))
    except RedisError as exc:
        log.warning("%s skipped: Redis unavailable (%s)", job, exc)
        return False


def lease_for(interval_s: float) -> int:
    """A round's lease: most of the interval, at least a minute."""
    return max(60, int(interval_s * 0.9))


def every(
    job: str,
    minutes_of: Callable[[web.Application], float],
    run_round: Callable[[web.Application, int], Awaitable[object]],
    log: logging.Logger,
    first_wait_s: Callable[[web.Application, float], Awaitable[float]] | None = None,
) -> AppContext:
    """An aiohttp ``cleanup_ctx`` running ``run_round(app, lease_s)`` every ``minutes_of(app)``
    minutes (0 or less: never), cancelled with the application. The first round waits
    ``first_wait_s(app, interval_s)`` (default: one interval). A failed round is logged and the
    next one runs as planned."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        minutes = minutes_of(app)
        if minutes <= 0:
            yield
            return
        interval_s = minutes * 60.0

        async def loop() -> None:
            await asyncio.sleep(
                interval_s if first_wait_s is None else await first_wait_s(app, interval_s)
            )
            while True:
                try:
                    await run_round(app, lease_for(interval_s))
                except Exception:  # a failed round is logged; the next one retries
                    log.exception("%s failed", job)
                await asyncio.sleep(interval_s)

        task = asyncio.create_task(loop(), name=job)
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return context
