"""Rate limits with the ``limits`` library: per partner request and per customer write.

Counters live in Redis (fixed windows, ``limits``' redis-py backed async storage on the gateway's
own connection pool), so every instance shares them. When Redis fails, each instance counts in
memory against the lower ``rate_limit_local_*`` caps: the service stays up (fail open) but a
caller still cannot exceed a bounded rate per instance. The switch is logged, and Redis is tried
again after ``rate_limit_redis_retry_s``. The dev principal (no partner) is not limited.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator

import structlog
from aiohttp import web
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

from gateway.settings import Settings
from gateway.state import REDIS, SETTINGS
from resolvers.access import Principal

log = structlog.get_logger("parcours.rate_limits")


class RateLimits:
    """Both limits, shared in Redis, with a bounded per-instance fallback.

    Example:
        >>> async def check(limits: RateLimits, who: Principal) -> int | None:
        ...     return await limits.partner_request(who)  # None: go ahead
    """

    def __init__(self, settings: Settings, redis_storage: RedisStorage) -> None:
        self._shared = FixedWindowRateLimiter(redis_storage)
        self._memory = MemoryStorage()
        self._local = FixedWindowRateLimiter(self._memory)
        self._partner = (
            parse(settings.rate_limit_partner),
            parse(settings.rate_limit_local_partner),
        )
        self._writes = (
            parse(settings.rate_limit_customer_writes),
            parse(settings.rate_limit_local_customer_writes),
        )
        self._retry_s = settings.rate_limit_redis_retry_s
        self._redis_down_until = 0.0

    async def partner_request(self, principal: Principal) -> int | None:
        """None when the partner may make this request, else whole seconds until it may."""
        if principal.partner_id is None:
            return None
        return await self._hit(self._partner, "partner", principal.partner_id)

    async def customer_write(self, principal: Principal, customer_id: str) -> int | None:
        """None when this write to ``customer_id`` may go ahead, else seconds to wait."""
        if principal.partner_id is None:
            return None
        return await self._hit(self._writes, "customer-write", customer_id)

    async def _hit(self, limits: tuple[RateLimitItem, RateLimitItem], *keys: str) -> int | None:
        shared, local = limits
        if time.monotonic() >= self._redis_down_until:
            try:
                if await self._shared.hit(shared, *keys):
                    return None
                stats = await self._shared.get_window_stats(shared, *keys)
                # Redis gives the window's time to live in whole seconds, rounded to the nearest:
                # up to half a second more may be left than reset_time says (never more than
                # the window).
                left = min(stats.reset_time + 0.5 - time.time(), shared.get_expiry())
                return _whole_seconds(left)
            except StorageError as exc:
                self._redis_down_until = time.monotonic() + self._retry_s
                log.warning(
                    "rate limits fall back to the local cap: Redis unavailable",
                    error=type(exc.storage_error).__name__,
                )
        if await self._local.hit(local, *keys):
            return None
        stats = await self._local.get_window_stats(local, *keys)
        return _whole_seconds(stats.reset_time - time.time())

    async def close(self) -> None:
        timer = self._memory.timer
        if timer is not None and not timer.done():
            timer.cancel()


def _whole_seconds(wait: float) -> int:
    """``wait`` rounded up to whole seconds, at least 1: waiting that long is always enough
    (Retry-After is whole seconds; rounding to the nearest told clients to come back early)."""
    return max(math.ceil(wait), 1)


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


async def rate_limits(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx`` step (after the Redis client): the limiter on the gateway's Redis pool."""
    settings = app[SETTINGS]
    storage = RedisStorage(
        f"async+{settings.redis_dsn}",
        implementation="redispy",
        wrap_exceptions=True,
        # limits types its options as scalars; redis-py takes the pool as is.
        connection_pool=app[REDIS].connection_pool,  # type: ignore[arg-type]
    )
    limits = RateLimits(settings, storage)
    app[RATE_LIMITS] = limits
    try:
        yield
    finally:
        await limits.close()
