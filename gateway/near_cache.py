"""A near copy of the response cache in each gateway, kept coherent by Redis itself.

Redis's server-assisted client-side caching (``CLIENT TRACKING`` in broadcast mode on the
``parcours:ctxver:`` prefix, invalidations redirected to the same connection, which subscribes to
``__redis__:invalidate``) tells this instance whenever any customer's context version changes: a
write through any gateway (the event bus increments it), a GDPR purge (deletes it), an expiry.
:class:`NearCache` keeps, for the customers this instance answered from Redis, their version and
the answers stored under it; a change of the version drops both. A hit then costs no Redis round
trip at all. The truth stays in Redis: this is a copy of it that Redis invalidates.

Coherence, in the order things can go wrong:

- Invalidations and lookups travel on different connections, so a lookup's reply can predate an
  invalidation already handled. Every invalidation bumps a generation; a lookup reads it first,
  and its answer is kept only if no invalidation came meanwhile.
- This instance's own writes drop the customers' entries before and after the bus increments
  their versions (:meth:`NearCache.forget`, a bus listener): a read after a write on the same
  instance never sees the old answer. On another instance the old answer can be served until the
  invalidation arrives, the time of one message from Redis.
- While the tracking connection is not up, nothing is served or kept, and everything is dropped
  when it goes down. When no message came for ``health_interval_s`` the connection is pinged; no
  pong within the same time counts as down.
- An answer expires here when it expires in Redis (its PTTL is read with it).
- At most ``max_entries`` answers are kept, the least recently used dropped first.

Off by default (``PARCOURS_RESPONSE_CACHE_NEAR_ENABLED``), because of the cross-instance delay.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from gateway.context_cache import CacheStats, version_key

log = structlog.get_logger("parcours.near_cache")

INVALIDATIONS = "__redis__:invalidate"
_VERSION_PREFIX = version_key("")


class TrackingLost(Exception):
    """The tracking connection stopped answering."""


class NearCache:
    """Answers by customer, version and digest, dropped when Redis says the version changed.

    Example:
        >>> async def serve(cache: NearCache) -> bytes | None:
        ...     return cache.answer("cus_1", ":3f2a")  # None: ask Redis
    """

    def __init__(self, max_entries: int, health_interval_s: float = 1.0) -> None:
        if max_entries < 1 or health_interval_s <= 0:
            raise ValueError("max_entries and health_interval_s must be positive")
        self.max_entries = max_entries
        self.health_interval_s = health_interval_s
        self.generation = 0
        self.live = False
        self.stats = CacheStats()
        self._versions: dict[str, bytes] = {}
        # key -> (customer, answer, expiry on the monotonic clock)
        self._answers: OrderedDict[str, tuple[str, bytes, float]] = OrderedDict()
        self._by_customer: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._answers)

    def answer(self, customer: str, suffix: str) -> bytes | None:
        """The answer kept for ``customer``'s current version and ``suffix``, if any."""
        if not self.live:
            return None
        version = self._versions.get(customer)
        if version is None:
            return None
        key = _key(customer, version, suffix)
        found = self._answers.get(key)
        if found is None:
            return None
        _, data, expires = found
        if expires <= time.monotonic():
            self._drop(customer, key)
            return None
        self._answers.move_to_end(key)
        return data

    def keep(  # noqa: PLR0917 - the lookup's parts, each named at the call site
        self,
        customer: str,
        version: bytes,
        suffix: str,
        data: bytes,
        ttl_ms: int,
        generation: int,
    ) -> None:
        """Keep an answer read (or stored) under ``version``, unless an invalidation came since
        ``generation`` was read, or the connection is down."""
        if not self.live or generation != self.generation or ttl_ms <= 0:
            return
        if self._versions.get(customer) != version:
            self._forget_one(customer)
            self._versions[customer] = version
        key = _key(customer, version, suffix)
        self._answers[key] = (customer, data, time.monotonic() + ttl_ms / 1000)
        self._answers.move_to_end(key)
        self._by_customer.setdefault(customer, set()).add(key)
        while len(self._answers) > self.max_entries:
            oldest, (owner, _, _) = next(iter(self._answers.items()))
            self._drop(owner, oldest)

    def forget(self, customers: Iterable[str]) -> None:
        """Drop what is kept for ``customers`` (their version is about to change, or did)."""
        self.generation += 1
        for customer in customers:
            self._forget_one(customer)

    def invalidated(self, keys: list[bytes] | None) -> None:
        """Handle one invalidation message: version keys changed, or everything (``None``)."""
        if keys is None:
            self.clear()
            return
        self.forget(
            raw.decode()[len(_VERSION_PREFIX) :]
            for raw in keys
            if raw.startswith(_VERSION_PREFIX.encode())
        )

    def clear(self) -> None:
        self.generation += 1
        self._versions.clear()
        self._answers.clear()
        self._by_customer.clear()

    def _forget_one(self, customer: str) -> None:
        self._versions.pop(customer, None)
        for key in self._by_customer.pop(customer, ()):
            self._answers.pop(key, None)

    def _drop(self, customer: str, key: str) -> None:
        self._answers.pop(key, None)
        keys = self._by_customer.get(customer)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_customer[customer]
                self._versions.pop(customer, None)

    # The tracking connection.

    def start(self, redis: Redis, retry_s: float = 1.0) -> None:
        """Track invalidations on a connection of ``redis`` (which must speak RESP2) until
        :meth:`close`; reconnects every ``retry_s`` after a failure."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run(redis, retry_s))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._down()

    async def _run(self, redis: Redis, retry_s: float) -> None:
        while True:
            try:
                await self._track(redis)
            except (RedisError, OSError, TrackingLost) as exc:
                if self.live:
                    log.warning("near cache off: tracking connection lost", error=repr(exc))
            finally:
                self._down()
            await asyncio.sleep(retry_s)

    async def _track(self, redis: Redis) -> None:
        pubsub = redis.pubsub()
        try:
            await self._handshake(pubsub)
            await self._listen(pubsub)
        finally:
            await pubsub.aclose()

    async def _handshake(self, pubsub: PubSub) -> None:
        """Connect, turn tracking on and subscribe, within ``health_interval_s``: the tracking
        client has no socket read timeout (its reads wait for invalidations), so a Redis that
        accepts the connection and never answers held this task, and the near cache off, for
        good."""
        try:
            async with asyncio.timeout(self.health_interval_s):
                await pubsub.connect()  # type: ignore[no-untyped-call]
                connection = pubsub.connection
                if connection is None:
                    raise TrackingLost("no connection")
                await connection.send_command("CLIENT", "ID")
                client_id = await connection.read_response()
                await connection.send_command(
                    "CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST",
                    "PREFIX", _VERSION_PREFIX,
                )  # fmt: skip
                await connection.read_response()
                await pubsub.subscribe(INVALIDATIONS)
        except TimeoutError as exc:
            raise TrackingLost(
                f"no answer to the tracking handshake within {self.health_interval_s} s"
            ) from exc

    async def _listen(self, pubsub: PubSub) -> None:
        pinged_at: float | None = None
        while True:
            message = await pubsub.get_message(timeout=self.health_interval_s)
            if message is None:
                if pinged_at is not None:
                    raise TrackingLost(f"no pong within {self.health_interval_s} s")
                await pubsub.ping()
                pinged_at = time.monotonic()
                continue
            pinged_at = None  # any message shows the connection is alive
            if message["type"] == "subscribe":
                self.clear()  # every change from now on is told: serve from here
                self.live = True
            elif message["type"] == "message":
                self.invalidated(message["data"])

    def _down(self) -> None:
        self.live = False
        self.clear()


def _key(customer: str, version: bytes, suffix: str) -> str:
    return f"{customer}\x00{version.decode()}{suffix}"
