"""Metrics read from the instance's resources when Prometheus scrapes, not counted on the way.

Caches (context cache hits and misses, stale fallback lookups found and missing, response
and near cache hits and misses, and their hit ratios; whether the near cache is tracking, and
how many answers it keeps), open subscriptions (the event bus's in-process feeds), connection
pools, and the context statements run alone or shared (graph/shared_reads.py). Pools: redis-py
reports its idle and in-use connections publicly (``get_connection_count``); the neo4j driver
does not, so its in-use count comes from the driver's private pool and is left out if that
changes.
This module must never do I/O: it only reads counters already in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import structlog
from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway.state import (
    BUS,
    CONTEXT_CACHE,
    CONTEXT_READS,
    GRAPH,
    REDIS,
    RESPONSE_CACHE,
    STALE_STORE,
)

log = structlog.get_logger("parcours.metrics")


class ResourceCollector(Collector):
    """Yields the cache, subscription and pool series of ``app`` at each scrape."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def collect(self) -> Iterator[Any]:
        yield from self._caches()
        yield from self._subscriptions()
        yield from self._pools()
        yield from self._context_statements()

    def _context_statements(self) -> Iterable[Any]:
        reads = self._app.get(CONTEXT_READS)
        if reads is None:
            return ()
        statements = CounterMetricFamily(
            "parcours_context_statements",
            "Context statements (graph/shared_reads.py): 'alone' for one request's batch, "
            "'shared' for the batches that waited while the statements in flight were at the "
            "limit.",
            labels=["kind"],
        )
        statements.add_metric(["alone"], reads.alone)
        statements.add_metric(["shared"], reads.shared)
        waited = CounterMetricFamily(
            "parcours_context_batches_waited",
            "Requests' context batches that waited for a shared statement.",
        )
        waited.add_metric([], reads.batches_waited)
        return (statements, waited)

    def _caches(self) -> Iterable[Any]:
        lookups = CounterMetricFamily(
            "parcours_cache_lookups",
            "Cache lookups by cache and result.",
            labels=["cache", "result"],
        )
        ratio = GaugeMetricFamily(
            "parcours_cache_hit_ratio",
            "Hits over lookups since start (0 before any).",
            labels=["cache"],
        )
        caches: list[tuple[str, int, int]] = []
        cache = self._app.get(CONTEXT_CACHE)
        if cache is not None:
            caches.append(("context", cache.stats.hits, cache.stats.misses))
        stale = self._app.get(STALE_STORE)
        if stale is not None:
            caches.append(("stale", stale.stats.hits, stale.stats.misses))
        response = self._app.get(RESPONSE_CACHE)
        near = response.near if response is not None else None
        if response is not None:
            # "near": the instance's copy, asked first; "response": Redis, asked on a near miss.
            caches.append(("response", response.stats.hits, response.stats.misses))
        if near is not None:
            caches.append(("near", near.stats.hits, near.stats.misses))
        for name, hits, misses in caches:
            lookups.add_metric([name, "hit"], hits)
            lookups.add_metric([name, "miss"], misses)
            ratio.add_metric([name], hits / (hits + misses) if hits + misses else 0.0)
        live = GaugeMetricFamily(
            "parcours_near_cache_tracking",
            "1 while the near cache's invalidation connection is up (it serves only then).",
        )
        entries = GaugeMetricFamily(
            "parcours_near_cache_entries", "Answers kept by this instance's near cache."
        )
        if near is not None:
            live.add_metric([], 1.0 if near.live else 0.0)
            entries.add_metric([], len(near))
            return (lookups, ratio, live, entries)
        return (lookups, ratio)

    def _subscriptions(self) -> Iterable[Any]:
        gauge = GaugeMetricFamily(
            "parcours_subscriptions_open", "Subscription feeds open on this instance."
        )
        bus = self._app.get(BUS)
        gauge.add_metric([], bus.open_feeds if bus is not None else 0)
        return (gauge,)

    def _pools(self) -> Iterable[Any]:
        gauge = GaugeMetricFamily(
            "parcours_pool_connections",
            "Connection pool use by pool and state (in_use, idle, max).",
            labels=["pool", "state"],
        )
        redis = self._app.get(REDIS)
        if redis is not None:
            pool = redis.connection_pool
            gauge.add_metric(["redis", "max"], pool.max_connections)
            for count, attributes in pool.get_connection_count():
                state = str(attributes.get("db.client.connection.state", "unknown"))
                gauge.add_metric(["redis", "in_use" if state == "used" else state], count)
        graph = self._app.get(GRAPH)
        if graph is not None:
            driver_pool = getattr(graph.driver, "_pool", None)
            config = getattr(driver_pool, "pool_config", None)
            max_size = getattr(config, "max_connection_pool_size", None)
            if isinstance(max_size, int):
                gauge.add_metric(["neo4j", "max"], max_size)
            try:
                connections = driver_pool.connections  # type: ignore[union-attr]
                in_use = sum(driver_pool.in_use_connection_count(a) for a in connections)  # type: ignore[union-attr]
                total = sum(len(c) for c in connections.values())
            except (AttributeError, TypeError) as exc:  # the driver's private pool changed
                log.debug("neo4j_pool_unreadable", error=repr(exc))
            else:
                gauge.add_metric(["neo4j", "in_use"], in_use)
                gauge.add_metric(["neo4j", "idle"], total - in_use)
        return (gauge,)
