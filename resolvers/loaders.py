"""All DataLoaders of one request: one per related field, each batch one Cypher statement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
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
from resolvers.realtime.ports import CachedProfile, ProfileCache

T = TypeVar("T")


class Loaders:
    """The request's loaders; created per request so nothing is cached across callers."""

    def __init__(
        self, graph: GraphDatabase, profile_cache: ProfileCache | None = None, batch: bool = True
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
            return await contexts(graph, requests)

        async def load_products(skus: Sequence[str]) -> list[Product | None]:
            return await catalog.products_by_skus(graph, skus)

        async def load_stores(ids: Sequence[str]) -> list[Store | None]:
            return await catalog.stores_by_ids(graph, ids)

        self._profile_cache = profile_cache
        self._cached_profile: DataLoader[str, CachedProfile] | None = (
            DataLoader(load_fn=profile_cache.lookup, **options) if profile_cache else None
        )
        self.customer = DataLoader(load_fn=load_customers, **options)
        self.customer_by_identity = DataLoader(load_fn=load_by_identity, **options)
        self.history = DataLoader(load_fn=load_history, **options)
        self.journeys = DataLoader(load_fn=load_journeys, **options)
        self.recommendations = DataLoader(load_fn=load_recommendations, **options)
        self.product = DataLoader(load_fn=load_products, **options)
        self.store = DataLoader(load_fn=load_stores, **options)
        # The customer with a history page and recommendations in one statement (prefetch.py).
        self.context = DataLoader(load_fn=load_contexts, **options)

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
        fields wait for the statement. Otherwise the statement reads the profile too, and fills
        the cache. Lookups and statements of one request's customers are batched either way.
        """
        if self._cached_profile is None:
            found: CustomerContext = await self.context.load(request)
            self.prime_context(request, found)
            return found.profile
        cached = await self._cached_profile.load(request.customer_id)
        if cached.profile is not None:
            self.customer.prime(request.customer_id, cached.profile)
            self._prime_pending(request)
            return cached.profile
        found = await self.context.load(request)
        self.prime_context(request, found)
        if found.profile is not None and cached.slot is not None and self._profile_cache:
            await self._profile_cache.keep([(cached.slot, found.profile)])
        return found.profile

    def _prime_pending(self, request: ContextRequest) -> None:
        """Start the context statement; the history and recommendations loaders answer from it."""
        pending = asyncio.ensure_future(self.context.load(request))
        empty = HistoryPage(items=(), has_next_page=False)  # the customer vanished meanwhile
        if request.history is not None:
            page = _part_of(pending, lambda found: found.history or empty)
            self.history.cache_map.set(request.history, page)
        if request.recommendations is not None:
            recommended = _part_of(pending, lambda found: found.recommendations or [])
            self.recommendations.cache_map.set(request.recommendations, recommended)


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
