"""The sweep of expired idempotency keys, against the real graph and Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from gateway import key_sweep
from gateway.key_sweep import LEASE_KEY, sweep_once
from graph import GraphDatabase
from tests.conftest import Services

_KEYS = """
UNWIND $keys AS key
CREATE (:IdempotencyKey {key: key.key, customerId: 'cus_sweep', fingerprint: 'f',
                         response: '{}', createdAt: datetime(), expiresAt: key.expiresAt})
"""
_LEFT = "MATCH (k:IdempotencyKey) WHERE k.key STARTS WITH $prefix RETURN k.key AS key ORDER BY key"


@pytest.fixture
async def redis(services: Services) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis.config.url)
    await client.delete(LEASE_KEY)
    yield client
    await client.delete(LEASE_KEY)
    await client.aclose()


async def _keys(graph: GraphDatabase, expired: int, live: int) -> str:
    """``expired`` keys that expired an hour ago (``<prefix>x<n>``) and ``live`` ones good for
    another hour (``<prefix>live<n>``); returns the prefix."""
    prefix = f"sweep-{uuid.uuid4().hex[:8]}:"
    now = datetime.now(UTC)
    keys = [
        {"key": f"{prefix}x{n}", "expiresAt": now - timedelta(hours=1)} for n in range(expired)
    ] + [{"key": f"{prefix}live{n}", "expiresAt": now + timedelta(hours=1)} for n in range(live)]
    await graph.write(_KEYS, {"keys": keys})
    return prefix


async def _left(graph: GraphDatabase, prefix: str) -> list[str]:
    return [row["key"] for row in await graph.read(_LEFT, {"prefix": prefix})]


async def test_a_sweep_deletes_the_expired_keys_and_keeps_the_live_ones(
    graph: GraphDatabase, redis: Redis
):
    prefix = await _keys(graph, expired=5, live=2)
    swept = await sweep_once(graph, redis, lease_s=60, batch=2)
    assert swept is not None
    assert swept >= 5
    assert await _left(graph, prefix) == [f"{prefix}live0", f"{prefix}live1"]


async def test_a_round_deletes_at_most_its_batches_and_the_next_round_the_rest(
    graph: GraphDatabase, redis: Redis
):
    await sweep_once(graph, redis, lease_s=60)  # nobody else's expired keys left over
    await redis.delete(LEASE_KEY)
    prefix = await _keys(graph, expired=5, live=0)
    assert await sweep_once(graph, redis, lease_s=60, batch=2, max_batches=2) == 4
    assert len(await _left(graph, prefix)) == 1
    await redis.delete(LEASE_KEY)  # the lease expires; the next round
    assert await sweep_once(graph, redis, lease_s=60, batch=2, max_batches=2) == 1
    assert await _left(graph, prefix) == []


async def test_an_instance_without_the_lease_sweeps_nothing(graph: GraphDatabase, redis: Redis):
    prefix = await _keys(graph, expired=3, live=0)
    await redis.set(LEASE_KEY, "other-instance", ex=60)
    assert await sweep_once(graph, redis, lease_s=60) is None
    assert len(await _left(graph, prefix)) == 3
    assert await redis.get(LEASE_KEY) == b"other-instance"


async def test_a_sweep_whose_lease_passed_to_another_instance_stops_before_its_next_batch(
    graph: GraphDatabase, redis: Redis, monkeypatch: pytest.MonkeyPatch
):
    await sweep_once(graph, redis, lease_s=60)  # nobody else's expired keys left over
    await redis.delete(LEASE_KEY)
    prefix = await _keys(graph, expired=5, live=0)
    delete = key_sweep.delete_expired_keys

    async def batch_then_stall(graph: GraphDatabase, now: datetime, limit: int) -> int:
        deleted = await delete(graph, now, limit)
        # This instance stalled past its lease; another took it and is sweeping.
        await redis.set(LEASE_KEY, "other-instance", ex=60)
        return deleted

    monkeypatch.setattr(key_sweep, "delete_expired_keys", batch_then_stall)
    assert await sweep_once(graph, redis, lease_s=60, batch=2) == 2
    assert len(await _left(graph, prefix)) == 3
    assert await redis.get(LEASE_KEY) == b"other-instance"


async def test_a_sweep_longer_than_its_lease_keeps_it(
    graph: GraphDatabase, redis: Redis, monkeypatch: pytest.MonkeyPatch
):
    await sweep_once(graph, redis, lease_s=60)
    await redis.delete(LEASE_KEY)
    prefix = await _keys(graph, expired=5, live=0)
    delete = key_sweep.delete_expired_keys
    batches: list[int] = []

    async def slow_first_batch(graph: GraphDatabase, now: datetime, limit: int) -> int:
        batches.append(limit)
        if len(batches) == 1:
            await redis.expire(LEASE_KEY, 5)  # the first batch used most of the lease up
        return await delete(graph, now, limit)

    monkeypatch.setattr(key_sweep, "delete_expired_keys", slow_first_batch)
    assert await sweep_once(graph, redis, lease_s=600, batch=2) == 5
    assert len(batches) == 3
    assert await _left(graph, prefix) == []
    # Renewed before the next batches: no other instance can take it while this one works.
    assert await redis.ttl(LEASE_KEY) > 5
