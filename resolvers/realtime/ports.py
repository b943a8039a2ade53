"""The two things real time needs from the gateway, as Protocols: an event bus and a cache.

Resolvers publish through :class:`EventBus` and subscriptions read a feed from it; the customer
loaders read profiles through :class:`ProfileCache`. The gateway hands in the Redis-backed ones;
:class:`NoEventBus` is what a context without a gateway gets (scripts, unit tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from graph.models import CustomerProfile
from resolvers.realtime.events import CustomerErased, Event, Resync

FeedItem = Event | Resync | CustomerErased
ProfileLoad = Callable[[Sequence[str]], Awaitable[list[CustomerProfile | None]]]


class EventBus(Protocol):
    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver ``events`` to every instance; must not raise (the write already committed)."""

    def feed(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[FeedItem]]:
        """The events of ``topic`` from now on, with :class:`Resync` when some may be lost, and
        :class:`CustomerErased` after every erasure announced since."""

    async def announce_erasure(self, customer_id_hash: str) -> None:
        """Tell every instance's feeds that the customer of this id hash was erased; must not
        raise (the erasure already committed, and subscriptions check the graph anyway)."""


@dataclass(frozen=True, slots=True)
class CachedProfile:
    """A cache lookup: the profile when current; ``slot`` is where to keep one read now (None
    when the cache could not be asked)."""

    profile: CustomerProfile | None
    slot: str | None


class ProfileCache(Protocol):
    async def profiles(self, ids: Sequence[str], load: ProfileLoad) -> list[CustomerProfile | None]:
        """Profiles of ``ids`` in order, from the cache where current, else from ``load``."""

    async def lookup(self, ids: Sequence[str]) -> list[CachedProfile]:
        """What the cache holds for ``ids``, in order, without reading the graph."""

    async def keep(self, entries: Sequence[tuple[str, CustomerProfile]]) -> None:
        """Keep profiles read from the graph, each in the ``slot`` its lookup gave."""


class NoEventBus:
    """Publishes nowhere; a feed that never yields. For contexts served without a gateway.

    Example:
        >>> import asyncio
        >>> asyncio.run(NoEventBus().publish([]))
    """

    async def publish(self, events: Sequence[Event]) -> None:
        return None

    def feed(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[FeedItem]]:
        return _silent()

    async def announce_erasure(self, customer_id_hash: str) -> None:
        return None


@asynccontextmanager
async def _silent() -> AsyncIterator[AsyncIterator[FeedItem]]:
    async def nothing() -> AsyncIterator[FeedItem]:
        await asyncio.Event().wait()
        yield Resync("unreachable")  # pragma: no cover

    yield nothing()
