"""The event bus: one Redis stream every gateway instance reads, fanned out to local subscribers.

Publishing appends each event to the stream ``parcours:events`` (``XADD ... MAXLEN ~``) and, in
the same Redis transaction, bumps the context version of every customer it names (which is what
invalidates the context cache). Each instance runs one reader task that follows the stream with
``XREAD BLOCK`` from the last id it saw and hands each event to the feeds open on its topic, so a
subscriber costs an in-process queue, never a Redis connection.

Streams, not pub/sub, so a reader that blinks picks up where it was. What a stream cannot
guarantee is patched by resync: after the reader loses Redis (and on its first read back), when
the stream was trimmed past its position or recreated empty, when a slow subscriber's queue
overflows, and after ``resync_idle_s`` with no event, the feeds get a :class:`Resync` and
subscriptions re-read the truth from Neo4j. An erasure is announced on the same stream (the
salted hash of the customer id, never the id) and handed to every feed as
:class:`CustomerErased`, so each instance ends its subscriptions about them. A publish that
fails (Redis down) is logged and never fails the write that already committed; the version bumps
it carried are then tried again every ``retry_s`` until Redis takes them (its events are not: the
subscribers converge at their next resync), and until then this instance reads those customers
past the context cache (:attr:`RedisEventBus.unconfirmed`): a context cached before the write is
never served after it here, and on other instances only while Redis cannot take a bump. This
module never reads Neo4j itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway._event_codec import decode_event, encode_event
from gateway.context_cache import version_key
from resolvers.realtime.events import CustomerErased, Event, Resync
from resolvers.realtime.ports import FeedItem

log = structlog.get_logger("parcours.bus")

# The stream entries announcing an erasure: no feed is open on this topic (they are all
# ``kind:id``), every feed gets the announcement.
ERASED_TOPIC = "erased"


@dataclass(frozen=True)
class BusConfig:
    stream_key: str = "parcours:events"
    max_len: int = 10_000
    block_ms: int = 1000
    batch: int = 500
    feed_queue: int = 256
    resync_idle_s: float = 30.0
    retry_s: float = 0.2


class _Feed:
    """One subscription's queue; on overflow it drops what it holds and asks for a resync."""

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[FeedItem] = asyncio.Queue(size)

    def deliver(self, item: FeedItem) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            # Also for an erasure's announcement: at a resync, subscriptions ask the graph.
            self.queue.put_nowait(Resync("overflow"))


class RedisEventBus:
    """Publishes to the shared stream and delivers it to this instance's feeds.

    Example:
        >>> async def watch(bus: RedisEventBus) -> None:
        ...     async with bus.feed("cart:cus_1") as events:
        ...         async for event in events:
        ...             print(event)
    """

    def __init__(self, redis: Redis, reader: Redis, config: BusConfig) -> None:
        self._closing = False
        self._redis = redis
        self._reader = reader
        self.config = config
        self._feeds: dict[str, set[_Feed]] = {}
        self._task: asyncio.Task[None] | None = None
        self._position: str | None = None
        self.reader_ready = asyncio.Event()
        # Told the customers whose context versions a publish is about to change, and again
        # once it changed them (the near cache drops their answers: read-your-writes).
        self.version_listeners: list[Callable[[Sequence[str]], None]] = []
        # Customers written to whose version bump Redis has not taken yet, and the task trying.
        self.unconfirmed: set[str] = set()
        self._bumping: asyncio.Task[None] | None = None

    @property
    def open_feeds(self) -> int:
        return sum(len(feeds) for feeds in self._feeds.values())

    async def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        customers = list(dict.fromkeys(c for event in events for c in event.customer_ids))
        for listener in self.version_listeners:
            listener(customers)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for customer_id in customers:
                    pipe.incr(version_key(customer_id))
                for event in events:
                    pipe.xadd(
                        self.config.stream_key,
                        {"topic": event.topic, "event": encode_event(event)},
                        maxlen=self.config.max_len,
                        approximate=True,
                    )
                await pipe.execute()
        except RedisError as exc:
            # The write committed; subscribers converge at their next resync. The bumps must
            # land, or an entry cached before the write stays readable until it expires.
            log.warning("events not published", error=str(exc), count=len(events))
            self._bump_later(customers)
        finally:
            for listener in self.version_listeners:
                listener(customers)

    def _bump_later(self, customers: Sequence[str]) -> None:
        self.unconfirmed.update(customers)
        if self._bumping is None or self._bumping.done():
            self._bumping = asyncio.get_running_loop().create_task(self._bump_unconfirmed())

    async def _bump_unconfirmed(self) -> None:
        """Bump the versions a failed publish left, every ``retry_s`` until Redis takes them (a
        bump that did land before the failure is bumped twice: harmless)."""
        while self.unconfirmed and not self._closing:
            await asyncio.sleep(self.config.retry_s)
            customers = sorted(self.unconfirmed)
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    for customer_id in customers:
                        pipe.incr(version_key(customer_id))
                    await pipe.execute()
            except RedisError:
                continue
            self.unconfirmed.difference_update(customers)
            log.info("context versions bumped after a failed publish", count=len(customers))

    async def announce_erasure(self, customer_id_hash: str) -> None:
        try:
            await self._redis.xadd(
                self.config.stream_key,
                {"topic": ERASED_TOPIC, "hash": customer_id_hash},
                maxlen=self.config.max_len,
                approximate=True,
            )
        except RedisError as exc:
            # Erased already; subscriptions still end at their next result (they ask the graph).
            log.warning("erasure not announced", error=str(exc))

    @contextlib.asynccontextmanager
    async def feed(self, topic: str) -> AsyncIterator[AsyncIterator[FeedItem]]:
        feed = _Feed(self.config.feed_queue)
        self._feeds.setdefault(topic, set()).add(feed)
        try:
            yield self._items(feed)
        finally:
            feeds = self._feeds.get(topic)
            if feeds is not None:
                feeds.discard(feed)
                if not feeds:
                    del self._feeds[topic]

    async def _items(self, feed: _Feed) -> AsyncIterator[FeedItem]:
        while True:
            try:
                yield await asyncio.wait_for(feed.queue.get(), self.config.resync_idle_s)
            except TimeoutError:
                yield Resync("idle")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def close(self) -> None:
        # redis-py may turn the cancellation of a blocking XREAD into a ConnectionError, which
        # _follow would retry forever: the flag ends its loop whatever the cancel became.
        self._closing = True
        for task in (self._task, self._bumping):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._reader.aclose()

    def _broadcast(self, item: Resync | CustomerErased) -> None:
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.deliver(item)

    async def _follow(self) -> None:
        healthy = True
        while not self._closing:
            try:
                if self._position is None or not healthy:
                    await self._anchor()
                if not healthy:
                    log.info("event bus reconnected; resyncing subscribers")
                    self._broadcast(Resync("reconnected"))
                    healthy = True
                self.reader_ready.set()
                await self._read_batch()
            except (RedisError, OSError) as exc:
                if self._closing:
                    return
                if healthy:
                    log.warning("event bus lost Redis", error=str(exc))
                healthy = False
                self.reader_ready.clear()
                await asyncio.sleep(self.config.retry_s)

    async def _anchor(self) -> None:
        """Where to read from: our position if the stream still holds it, else its current end
        (a stream recreated empty by a Redis restart starts over from 0)."""
        newest: Any = await self._reader.xrevrange(self.config.stream_key, count=1)
        end = _text(newest[0][0]) if newest else "0-0"
        if self._position is None or _id(end) < _id(self._position):
            self._position = end

    async def _read_batch(self) -> None:
        assert self._position is not None  # noqa: S101 - set by _anchor before any read
        answer: Any = await self._reader.xread(
            {self.config.stream_key: self._position},
            count=self.config.batch,
            block=self.config.block_ms,
        )
        entries: list[tuple[Any, dict[bytes, bytes]]] = [
            (entry_id, fields) for _, found in answer or [] for entry_id, fields in found
        ]
        if len(entries) >= self.config.batch and await self._trimmed_past(self._position):
            self._broadcast(Resync("gap"))
        for entry_id, fields in entries:
            self._position = _text(entry_id)
            self._dispatch(fields)

    async def _trimmed_past(self, position: str) -> bool:
        first: Any = await self._reader.xrange(self.config.stream_key, count=1)
        return bool(first) and _id(_text(first[0][0])) > _id(position) and position != "0-0"

    def _dispatch(self, fields: dict[bytes, bytes]) -> None:
        topic = fields.get(b"topic", b"").decode()
        if topic == ERASED_TOPIC:
            self._broadcast(CustomerErased(fields.get(b"hash", b"").decode()))
            return
        feeds = self._feeds.get(topic)
        if not feeds:
            return
        event = decode_event(fields.get(b"event", b""))
        if event is None:
            log.warning("unknown event skipped", topic=topic)
            return
        for feed in feeds:
            feed.deliver(event)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
