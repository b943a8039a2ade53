"""All DataLoaders of one request: one per related field, each batch one Cypher statement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph import (
    GraphDatabase,
    IdentityKind,
    catalog,
    customers,
    history,
    journeys,
    recommendations,
)
from graph.context import ContextRequest, CustomerContext, contexts
from graph.history import HistoryRequest
from graph.journeys import JourneyRequest
from graph.models import (
    CustomerProfile,
    HistoryPage,
    JourneyPage,
    Product,
    Recommendation,
    Store,
)
from graph.recommendations import RecommendationRequest
from graph.shared_reads import SharedReads
from resolvers.realtime.ports import CachedProfile, ProfileCache

T = TypeVar("T")

# Loop turns a returning customer's context statement waits, so the channel calls its fields make
# are sent first: a field's task starts, asks its loader, whose dispatch is scheduled, then runs
# as a task and sends the call; the cart's prices, a level deeper, go out a turn later. Four turns
# suffice for today's fields (tests/federation/test_live_fields.py fails with three); six leave
# room. Before, the statement's ~1 ms of driver work delayed every call; now it overlaps them.
_TURNS_BEFORE_THE_GRAPH = 6


class Loaders:
    """The request's loaders; created per request so nothing is cached across callers."""

    def __init__(
        self,
        graph: GraphDatabase,
        profile_cache: ProfileCache | None = None,
        batch: bool = True,
        context_reads: SharedReads[ContextRequest, CustomerContext] | None = None,
    ) -> None:
        # batch=False (the bench's naive baseline): every key is its own statement, no memo.
        options: dict[str, Any] = {} if batch else {"max_batch_size": 1, "cache": False}

        async def read_customers(ids: Sequence[str]) -> list[CustomerProfile | None]:
            return await customers.profiles_by_ids(graph, ids)

        async def load_customers(ids: Sequence[str]) -> list[CustomerProfile | None]:
            if profile_cache is None:
                return await read_customers(ids)
            return await profile_cache.profiles(ids, read_customers)

        async def load_by_identity(
            keys: Sequence[tuple[IdentityKind, str]],
        ) -> list[CustomerProfile | None]:
            return await customers.profiles_by_identities(graph, keys)

        async def load_history(requests: Sequence[HistoryRequest]) -> list[HistoryPage]:
            return await history.history_pages(graph, requests)

        async def load_journeys(requests: Sequence[JourneyRequest]) -> list[JourneyPage]:
            return await journeys.journey_pages(graph, requests)

        async def load_recommendations(
            requests: Sequence[RecommendationRequest],
        ) -> list[list[Recommendation]]:
            return await recommendations.recommend(graph, requests)

        async def load_contexts(requests: Sequence[ContextRequest]) -> list[CustomerContext]:
            if context_reads is not None:
                return await context_reads.load(requests)
            return await contexts(graph, requests)

        async def load_products(skus: Sequence[str]) -> list[Product | None]:
            return await catalog.products_by_skus(graph, skus)

        async def load_stores(ids: Sequence[str]) -> list[Store | None]:
            return await catalog.stores_by_ids(graph, ids)

        self._profile_cache = profile_cache
        # Each lookup with whether its whole batch hit (then no statement reads a profile).
        self._cached_profile: DataLoader[str, tuple[CachedProfile, bool]] | None = (
            DataLoader(load_fn=_tagged_lookup(profile_cache), **options) if profile_cache else None
        )
        self.customer = DataLoader(load_fn=load_customers, **options)
        self.customer_by_identity = DataLoader(load_fn=load_by_identity, **options)
        self.history = DataLoader(load_fn=load_history, **options)
        self.journeys = DataLoader(load_fn=load_journeys, **options)
        self.recommendations = DataLoader(load_fn=load_recommendations, **options)
        self.product = DataLoader(load_fn=load_products, **options)
        self.store = DataLoader(load_fn=load_stores, **options)
        # The customer with a history page and recommendations in one statement (prefetch.py).
        self.context: DataLoader[ContextRequest, CustomerContext] = DataLoader(
            load_fn=load_contexts, **options
        )

    def prime_context(self, request: ContextRequest, found: CustomerContext) -> None:
        """Let the customer, history and recommendations loaders answer from ``found``."""
        if found.profile is None:
            return
        self.customer.prime(request.customer_id, found.profile)
        if request.history is not None and found.history is not None:
            self.history.prime(request.history, found.history)
        if request.recommendations is not None and found.recommendations is not None:
            self.recommendations.prime(request.recommendations, found.recommendations)

    async def customer_in_context(self, request: ContextRequest) -> CustomerProfile | None:
        """The customer, with the history page and recommendations ``request`` names on the way.

        When the profile is in the cache, it answers at once and the context statement runs while
        the caller goes on: the fields needing the customer's channel systems (found through the
        profile's identities) call them while Neo4j reads, and the history and recommendations
        fields wait for the statement. When every customer of the lookup hit, the statement
        starts a few loop turns later, once those calls are sent. Otherwise the statement reads
        the profile too, and fills the cache. Lookups and statements of one request's customers
        are batched either way (a lookup that missed anywhere starts its statements at once, the
        ones reading a profile and the others together).
        """
        if self._cached_profile is None:
            found: CustomerContext = await self.context.load(request)
            self.prime_context(request, found)
            return found.profile
        cached, every_hit = await self._cached_profile.load(request.customer_id)
        if cached.profile is not None:
            self.customer.prime(request.customer_id, cached.profile)
            self._prime_pending(request, after_turns=_TURNS_BEFORE_THE_GRAPH if every_hit else 0)
            return cached.profile
        found = await self.context.load(request)
        self.prime_context(request, found)
        if found.profile is not None and cached.slot is not None and self._profile_cache:
            await self._profile_cache.keep([(cached.slot, found.profile)])
        return found.profile

    def _prime_pending(self, request: ContextRequest, after_turns: int) -> None:
        """Start the context statement after ``after_turns`` loop turns; the history and
        recommendations loaders answer from it."""

        async def load() -> CustomerContext:
            for _ in range(after_turns):
                await asyncio.sleep(0)
            return await self.context.load(request)

        pending = asyncio.ensure_future(load())
        empty = HistoryPage(items=(), has_next_page=False)  # the customer vanished meanwhile
        if request.history is not None:
            page = _part_of(pending, lambda found: found.history or empty)
            self.history.cache_map.set(request.history, page)
        if request.recommendations is not None:
            recommended = _part_of(pending, lambda found: found.recommendations or [])
            self.recommendations.cache_map.set(request.recommendations, recommended)


def _tagged_lookup(
    cache: ProfileCache,
) -> Callable[[Sequence[str]], Awaitable[list[tuple[CachedProfile, bool]]]]:
    """``cache.lookup``, each entry with whether its whole batch hit."""

    async def look_up(ids: Sequence[str]) -> list[tuple[CachedProfile, bool]]:
        found = await cache.lookup(ids)
        every_hit = all(entry.profile is not None for entry in found)
        return [(entry, every_hit) for entry in found]

    return look_up


def _part_of(
    pending: asyncio.Future[CustomerContext], pick: Callable[[CustomerContext], T]
) -> asyncio.Future[T]:
    """A future of one part of ``pending``; its failure counts as seen even if nobody awaits it
    (a field refused before it loads)."""

    async def part() -> T:
        return pick(await pending)

    task = asyncio.ensure_future(part())
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return task
