"""The Redis-backed last-good-answer store behind the channels' stale fallback.

Keys are ``parcours:stale:{channel}:{key}``; values are orjson of ``{"data": ..., "asOf": iso}``
and expire after a TTL. This store must never raise into a channel call: Redis trouble (down, slow,
a corrupt value) is logged and behaves as a miss, and every operation is bounded in time whatever
retry policy the shared Redis client carries.

Saves are written in batches: a save joins the batch that opens with the first save after the
previous one left, and the batch is one pipelined round trip ``write_window_s`` later. The copies
of one request's channel answers (they arrive within a millisecond or two) so cost one write,
made after the request has usually answered instead of while its last fields resolve. A save
returns once its batch is written (or has failed), as an unbatched one would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels import StaleEntry

log = structlog.get_logger("parcours.stale_store")

KEY_PREFIX = "parcours:stale"
DEFAULT_TTL_S = 24 * 60 * 60


@dataclass
class StaleStats:
    """Lookups of this instance: an answer found (a stale fallback served) or not."""

    hits: int = 0
    misses: int = 0


@dataclass
class _Batch:
    """Values to write in one round trip (the newest per key), and when that round trip ended."""

    values: dict[str, bytes] = field(default_factory=dict)
    written: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RedisStaleStore:
    """Keeps each channel call's last good answer in Redis for ``ttl_s`` seconds.

    Implements :class:`channels.StaleStore`. ``timeout_s`` bounds every load and every batch's
    write, so a hung Redis costs a call at most that long and never its answer; a save waits at
    most ``write_window_s`` more, for its batch to leave.

    Example:
        >>> async def remember(redis: Redis, entry: StaleEntry) -> StaleEntry | None:
        ...     store = RedisStaleStore(redis, ttl_s=3600)
        ...     await store.save("webshop", "cart:c-1", entry)
        ...     return await store.load("webshop", "cart:c-1")
    """

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_s: int = DEFAULT_TTL_S,
        timeout_s: float = 0.25,
        write_window_s: float = 0.01,
    ) -> None:
        if ttl_s <= 0 or timeout_s <= 0 or write_window_s < 0:
            raise ValueError("ttl_s and timeout_s must be positive, write_window_s not negative")
        self._redis = redis
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self.write_window_s = write_window_s
        self.stats = StaleStats()
        self._batch: _Batch | None = None
        self._writes: set[asyncio.Task[None]] = set()

    @staticmethod
    def key_for(channel: str, key: str) -> str:
        return f"{KEY_PREFIX}:{channel}:{key}"

    async def load(self, channel: str, key: str) -> StaleEntry | None:
        """The last good answer for ``key`` of ``channel``; ``None`` when absent or unreadable."""
        name = self.key_for(channel, key)
        try:
            async with asyncio.timeout(self.timeout_s):
                raw = await self._redis.get(name)
        except (RedisError, OSError) as exc:  # OSError covers TimeoutError
            log.warning("stale_store_unavailable", op="load", key=name, error=repr(exc))
            self.stats.misses += 1
            return None
        entry = _decode(name, raw)
        if entry is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return entry

    async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        """Keep ``entry`` for ``ttl_s`` seconds; on Redis trouble, log and carry on."""
        await self.save_many(channel, {key: entry})

    async def save_many(self, channel: str, entries: Mapping[str, StaleEntry]) -> None:
        """Keep every entry for ``ttl_s`` seconds, in the same batch; on trouble, log and go on."""
        values: dict[str, bytes] = {}
        for key, entry in entries.items():
            name = self.key_for(channel, key)
            try:
                values[name] = orjson.dumps({"data": entry.data, "asOf": entry.as_of.isoformat()})
            except orjson.JSONEncodeError as exc:
                log.warning("stale_store_unencodable_value", key=name, error=repr(exc))
        if not values:
            return
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            asyncio.get_running_loop().call_later(self.write_window_s, self._send, batch)
        batch.values.update(values)
        # Shielded: a caller that stops waiting must not cancel the others' write.
        await asyncio.shield(batch.written)

    def _send(self, batch: _Batch) -> None:
        if self._batch is batch:
            self._batch = None
        task = asyncio.ensure_future(self._write(batch))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, batch: _Batch) -> None:
        try:
            async with asyncio.timeout(self.timeout_s):
                pipe = self._redis.pipeline(transaction=False)
                for name, value in batch.values.items():
                    pipe.set(name, value, ex=self.ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning(
                "stale_store_unavailable", op="save", keys=len(batch.values), error=repr(exc)
            )
        finally:
            batch.written.set_result(None)


def _decode(name: str, raw: bytes | str | None) -> StaleEntry | None:
    if raw is None:
        return None
    try:
        value = orjson.loads(raw)
        return StaleEntry(data=value["data"], as_of=datetime.fromisoformat(value["asOf"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("stale_store_corrupt_value", key=name, error=repr(exc))
        return None
