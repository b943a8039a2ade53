"""Which signed webhook requests were already taken, so that a replay is not applied again.

A request's signature covers its timestamp and body, and is accepted while the timestamp is
within the tolerance of the gateway's clock (:mod:`gateway.webhook_signatures`). Inside that
window, a request captured once could be posted again; ingest would count its events as
duplicates, but each replay would still run a full write transaction holding the batch's
identifier locks. So each accepted signature is remembered in Redis (``SET NX``, shared by every
gateway instance) until its timestamp leaves the window; a request whose signature is already
held is answered as a duplicate without reaching the graph once the first post was taken
(``done``), or told to post again shortly while the first is still being processed (``pending``:
it may yet fail). A request that was not taken (a 4xx, a 5xx, a failure) gives its signature
back, so the same signed request can be posted again.
When Redis cannot answer, the request is taken as new: a replay of it is then only a duplicate.
This module never stores or logs a signature as sent: the key holds its SHA-256.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("parcours.webhooks")

_KEY = "parcours:webhook:seen:{channel}:{digest}"
Claim = Literal["new", "pending", "done"]


def seen_key(channel: str, signature: str) -> str:
    """The Redis key that remembers a channel's signed request.

    Example:
        >>> seen_key("web", "sha256=ab")[:31]
        'parcours:webhook:seen:web:e2898'
    """
    digest = hashlib.sha256(signature.strip().lower().encode("utf-8", "replace")).hexdigest()
    return _KEY.format(channel=channel, digest=digest)


class SeenRequests:
    """The signed webhook requests taken within their tolerance window, in Redis.

    Example:
        >>> async def first_time(seen: SeenRequests) -> bool:
        ...     return await seen.claim("web", "sha256=ab", "1765000000", tolerance_s=300)
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def claim(
        self, channel: str, signature: str, timestamp: str, *, tolerance_s: int
    ) -> Claim:
        """``new`` when this signed request is new (it is now held ``pending`` until its
        timestamp leaves the window), else what became of the post that holds it."""
        key = seen_key(channel, signature)
        try:
            expires = int(timestamp.strip()) + tolerance_s + 1
            if await self.redis.set(key, "pending", nx=True, exat=expires):
                return "new"
            held = await self.redis.get(key)
        except (RedisError, OSError) as exc:
            log.warning("webhook replay check skipped", channel=channel, error=repr(exc))
            return "new"
        if held is None:  # expired in between: its window is over, nothing left to replay
            return "new"
        return "done" if held == b"done" else "pending"

    async def done(self, channel: str, signature: str) -> None:
        """The request was taken: a post of it again is a duplicate from now on."""
        try:
            await self.redis.set(seen_key(channel, signature), "done", xx=True, keepttl=True)
        except (RedisError, OSError) as exc:
            log.warning("webhook replay mark not kept", channel=channel, error=repr(exc))

    async def release(self, channel: str, signature: str) -> None:
        """Forget a request that was not taken, so that posting it again is not a duplicate."""
        try:
            await self.redis.delete(seen_key(channel, signature))
        except (RedisError, OSError) as exc:
            log.warning("webhook replay mark not released", channel=channel, error=repr(exc))
