"""Periodic jobs over the shared graph that one gateway instance runs at a time.

Every round, each instance tries to take the job's Redis lease (``SET NX EX`` with a token of its
own); the one that gets it does the work, the others skip that round. Between its steps the
holder renews the lease (only while the key still holds its token), so a round longer than the
lease keeps it, and a holder that stalled past it (a pause, a partition) finds it taken and stops
instead of working alongside the new holder. The lease is not released at the end: it spaces the
rounds of all instances by most of the interval. If the holder dies the lease expires and a
later round goes ahead. The gateway stays stateless: which instance works is decided in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

AppContext = Callable[[web.Application], AsyncIterator[None]]


# Extend the lease only while it is still ours: after it expired another instance may hold it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


@dataclass(frozen=True)
class Lease:
    """A job's lease, held by this instance for one round.

    Example:
        >>> lease = Lease(Redis(), "parcours:job:lease", "3f2a", 60, "job", logging.getLogger())
        >>> lease.lease_s  # each renew() before a step holds it 60 s more, while it is ours
        60
    """

    redis: Redis
    key: str
    token: str
    lease_s: int
    job: str
    log: logging.Logger

    async def renew(self) -> bool:
        """Hold the lease ``lease_s`` more seconds; False when it is no longer ours (it expired
        and another instance may have taken it) or Redis cannot say: the round stops there."""
        try:
            renewed = await self.redis.eval(_RENEW, 1, self.key, self.token, self.lease_s)
        except RedisError as exc:
            self.log.warning("%s stopped: Redis unavailable (%s)", self.job, exc)
            return False
        if not renewed:
            self.log.warning("%s stopped: its lease passed to another instance", self.job)
        return bool(renewed)


async def take_lease(
    redis: Redis, key: str, lease_s: int, job: str, log: logging.Logger
) -> Lease | None:
    """The lease when this instance holds ``key`` for the next ``lease_s`` seconds; None when
    another does, or when Redis cannot say (logged: the job skips this round rather than risk
    twins)."""
    token = secrets.token_hex(8)
    try:
        taken = await redis.set(key, token, nx=True, ex=lease_s)
    except RedisError as exc:
        log.warning("%s skipped: Redis unavailable (%s)", job, exc)
        return None
    return Lease(redis, key, token, lease_s, job, log) if taken else None


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
    ``first_wait_s(app, interval_s)`` (default, and when it fails: one interval). A failed round
    is logged and the next one runs as planned."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        minutes = minutes_of(app)
        if minutes <= 0:
            yield
            return
        interval_s = minutes * 60.0

        async def first_wait() -> float:
            if first_wait_s is None:
                return interval_s
            try:
                return await first_wait_s(app, interval_s)
            except Exception:  # Neo4j or Redis away at start: the job must not die with it
                log.exception("%s: first round planned in one interval", job)
                return interval_s

        async def loop() -> None:
            await asyncio.sleep(await first_wait())
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
