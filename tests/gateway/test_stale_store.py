"""The Redis-backed stale store: round trips with a TTL, and a miss (never an error) when Redis
is down or holds garbage."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from channels import StaleEntry
from gateway.services import free_port
from gateway.stale_store import RedisStaleStore


@pytest.fixture
async def redis(services) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis.config.url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_a_saved_answer_loads_back_with_its_data_and_as_of(redis) -> None:
    store = RedisStaleStore(redis)
    entry = StaleEntry({"points": 120, "tier": "gold"}, datetime(2025, 3, 1, 9, 30, tzinfo=UTC))

    await store.save("webshop", "loyalty:k-1", entry)

    assert await store.load("webshop", "loyalty:k-1") == entry


async def test_an_answer_is_stored_under_its_namespaced_key_as_orjson_with_a_ttl(redis) -> None:
    store = RedisStaleStore(redis, ttl_s=3600)
    as_of = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

    await store.save("oms", "orders:k-2", StaleEntry([1, 2], as_of))

    key = "parcours:stale:oms:orders:k-2"
    assert await redis.get(key) == b'{"data":[1,2],"asOf":"2025-03-01T09:30:00+00:00"}'
    assert 3590 < await redis.ttl(key) <= 3600


async def test_saves_made_together_are_written_in_one_round_trip(redis, monkeypatch) -> None:
    store = RedisStaleStore(redis, write_window_s=0.05)
    pool = redis.connection_pool
    acquired = 0
    get_connection = pool.get_connection

    async def counted(*args, **kwargs):
        nonlocal acquired
        acquired += 1
        return await get_connection(*args, **kwargs)

    monkeypatch.setattr(pool, "get_connection", counted)
    as_of = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    entries = {f"orders:k-{n}": StaleEntry([n], as_of) for n in range(6)}

    await asyncio.gather(*(store.save("oms", key, entry) for key, entry in entries.items()))

    assert acquired == 1  # one pipelined round trip for the six copies
    monkeypatch.undo()
    for key, entry in entries.items():
        assert await store.load("oms", key) == entry


async def test_a_save_returns_once_its_copy_is_in_redis(redis) -> None:
    store = RedisStaleStore(redis, write_window_s=0.05)
    entry = StaleEntry({"status": "shipped"}, datetime(2025, 3, 1, 9, 30, tzinfo=UTC))

    await store.save("oms", "orders:k-9", entry)

    # Read straight from Redis, not through the store: the batch has been written.
    assert await redis.get("parcours:stale:oms:orders:k-9") is not None


async def test_an_answer_never_saved_is_a_miss(redis) -> None:
    assert await RedisStaleStore(redis).load("stores", "never-saved") is None


async def test_a_corrupt_value_is_a_miss(redis) -> None:
    await redis.set("parcours:stale:mobile:devices:k-3", b"{not json")

    assert await RedisStaleStore(redis).load("mobile", "devices:k-3") is None


async def test_an_unreachable_redis_is_a_miss_and_a_save_that_does_nothing() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    store = RedisStaleStore(client, timeout_s=0.3)
    try:
        # Neither raises: a refused connection is answered at once, so there is no time to bound
        # here (the silent Redis below is the case the store's timeout is for).
        await store.save("webshop", "cart:k-1", StaleEntry({}, datetime.now(UTC)))
        assert await store.load("webshop", "cart:k-1") is None
    finally:
        await client.aclose()


async def test_a_redis_that_never_answers_costs_at_most_the_store_timeout() -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # reads every command, answers none
        writer.close()

    silent = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0")  # no socket timeouts of its own
    store = RedisStaleStore(client, timeout_s=0.2)
    started = time.perf_counter()
    try:
        assert await store.load("webshop", "cart:k-1") is None
        await store.save("webshop", "cart:k-1", StaleEntry({}, datetime.now(UTC)))
    finally:
        await client.aclose()
        silent.close()
        await silent.wait_closed()

    # Without the store's timeout both calls would hang for ever on the silent server; with it
    # they cost 2 x 0.2 s. The upper bound is 25 times that, for a loaded CI machine.
    assert 0.35 <= time.perf_counter() - started < 10


async def test_the_copies_of_one_answer_are_written_together(redis) -> None:
    store = RedisStaleStore(redis)
    as_of = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    entries = {"price:A": StaleEntry({"sku": "A"}, as_of), "price:B": StaleEntry(None, as_of)}

    await store.save_many("webshop", entries)

    assert await store.load("webshop", "price:A") == entries["price:A"]
    assert await store.load("webshop", "price:B") == entries["price:B"]  # kept as absent
