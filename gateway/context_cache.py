"""The customer-context cache: profiles in Redis under a per-customer version that writes bump.

A profile is cached under ``parcours:ctx:{id}:v{version}``, where ``version`` is the counter
``parcours:ctxver:{id}`` that the event bus increments, in the same Redis transaction as it
appends the event, for every customer an event names. A write therefore makes every older entry
unreachable before its mutation answers, on every instance: a read after a write never sees the
pre-write cart. An entry filled from a read that raced a write lands under the old version and is
never read again. Version counters carry no TTL (an expired counter would restart at 0 and could
meet an old entry); entries do. Redis trouble never fails a read: it goes to Neo4j.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from graph.codec import profile_from_row, profile_row
from graph.models import CustomerProfile
from resolvers.realtime.ports import CachedProfile, ProfileLoad

log = structlog.get_logger("parcours.context_cache")


# KEYS: the customers' version counters; ARGV: their entry keys without the version. Replies
# version, entry (nil when absent) for each customer, in order.
_LOOKUP = """
local reply = {}
for n = 1, #KEYS do
  local version = redis.call('GET', KEYS[n]) or '0'
  reply[2 * n - 1] = version
  reply[2 * n] = redis.call('GET', ARGV[n] .. version) or false
end
return reply
"""


def version_key(customer_id: str) -> str:
    return f"parcours:ctxver:{customer_id}"


def entry_prefix(customer_id: str) -> str:
    return f"parcours:ctx:{customer_id}:v"


def entry_key(customer_id: str, version: int) -> str:
    return f"{entry_prefix(customer_id)}{version}"


@dataclass
class CacheStats:
    """Lookups of this instance: answered from the cache, or not (the context, response and near
    caches each count their own)."""

    hits: int = 0
    misses: int = 0


class RedisProfileCache:
    """Read-through cache of customer profiles, versioned by the event bus.

    Example:
        >>> entry_key("cus_1", 4)
        'parcours:ctx:cus_1:v4'
    """

    def __init__(self, redis: Redis, ttl_s: int, bypass: Set[str] = frozenset()) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        # Customers read past the cache (the bus's unconfirmed version bumps): an entry of theirs
        # may be from before a write, and none is kept for them until the bump lands.
        self._bypass = bypass
        self._lookup = redis.register_script(_LOOKUP)
        self.stats = CacheStats()

    async def profiles(self, ids: Sequence[str], load: ProfileLoad) -> list[CustomerProfile | None]:
        cached = await self.lookup(ids)
        found = [entry.profile for entry in cached]
        missing = [n for n, profile in enumerate(found) if profile is None]
        if not missing:
            return found
        loaded = await load([ids[n] for n in missing])
        keep: list[tuple[str, CustomerProfile]] = []
        for n, profile in zip(missing, loaded, strict=True):
            found[n] = profile
            slot = cached[n].slot
            if profile is not None and slot is not None:
                keep.append((slot, profile))
        await self.keep(keep)
        return found

    async def lookup(self, ids: Sequence[str]) -> list[CachedProfile]:
        """One Redis round trip: each customer's version, then the entry under it."""
        if self._bypass and any(i in self._bypass for i in ids):
            self.stats.misses += len(ids)
            return [CachedProfile(profile=None, slot=None) for _ in ids]
        try:
            reply = await self._lookup(
                keys=[version_key(i) for i in ids], args=[entry_prefix(i) for i in ids]
            )
            versions = [int(reply[2 * n] or 0) for n in range(len(ids))]
            keys = [entry_key(i, v) for i, v in zip(ids, versions, strict=True)]
            cached = [reply[2 * n + 1] for n in range(len(ids))]
        except RedisError as exc:
            log.warning("context cache unavailable", error=str(exc))
            self.stats.misses += len(ids)
            return [CachedProfile(profile=None, slot=None) for _ in ids]
        found = [
            CachedProfile(profile_from_row(orjson.loads(raw)) if raw else None, key)
            for key, raw in zip(keys, cached, strict=True)
        ]
        hits = sum(entry.profile is not None for entry in found)
        self.stats.hits += hits
        self.stats.misses += len(ids) - hits
        return found

    async def keep(self, entries: Sequence[tuple[str, CustomerProfile]]) -> None:
        if not entries:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, profile in entries:
                    pipe.set(key, orjson.dumps(profile_row(profile)), ex=self._ttl_s)
                await pipe.execute()
        except RedisError as exc:
            log.warning("context cache not filled", error=str(exc))
