"""The near cache (``response_cache_near_enabled``): each instance's copy of the response cache,
served without Redis and dropped when Redis says a customer's context version changed."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from gateway.near_cache import NearCache
from tests.conftest import Gateway, Services, running_gateway
from tests.gateway.test_response_cache import ADD, HOME, post
from tests.operations.test_metrics import scrape, value


async def eventually(check: Callable[[], Any], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


@pytest.fixture
async def redis(services: Services) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis.config.url)
    try:
        yield client
    finally:
        await client.aclose()


async def until_tracking(gateway: Gateway) -> None:
    """Return once the gateway's near cache is tracking invalidations (it keeps nothing before)."""

    async def up() -> bool:
        return value(await scrape(gateway), "parcours_near_cache_tracking") == 1

    await eventually(up)


def near_settings(services: Services, **overrides: Any) -> Any:
    return services.settings(
        response_cache_enabled=True, response_cache_near_enabled=True, **overrides
    )


async def lookups(redis: Redis) -> int:
    """Scripts Redis ran so far: the response cache's lookups among them."""
    stats = await redis.info("commandstats")
    return sum(int(stats.get(name, {}).get("calls", 0)) for name in ("cmdstat_evalsha",))


async def test_a_repeated_query_is_answered_without_asking_redis(
    services: Services, customer: str, redis: Redis
) -> None:
    async with running_gateway(near_settings(services)) as gateway:
        state, first = await post(gateway, HOME, {"id": customer})
        assert state == "miss"
        await until_tracking(gateway)  # from now on a miss is kept
        await post(gateway, HOME, {"id": customer})
        before = await lookups(redis)
        answers = [await post(gateway, HOME, {"id": customer}) for _ in range(5)]
        assert await lookups(redis) == before
    assert all(state == "hit" and body["data"] == first["data"] for state, body in answers)
    assert all(body["extensions"]["cypherRoundTrips"] == 0 for _, body in answers)


async def test_a_write_through_this_instance_is_read_at_once(
    services: Services, customer: str
) -> None:
    async with running_gateway(near_settings(services)) as gateway:
        await until_tracking(gateway)
        for _ in range(2):
            await post(gateway, HOME, {"id": customer})
        _, added = await post(gateway, ADD, {"c": customer, "key": uuid.uuid4().hex})
        assert added["data"]["addCartItem"]["version"] == 1
        state, after = await post(gateway, HOME, {"id": customer})
    assert state == "miss"
    assert after["data"]["customer"]["cart"]["version"] == 1


async def test_a_write_through_another_instance_reaches_this_ones_copy(
    services: Services, customer: str
) -> None:
    async with (
        running_gateway(near_settings(services)) as near,
        running_gateway(services.settings()) as other,
    ):
        await until_tracking(near)
        for _ in range(2):
            _, before = await post(near, HOME, {"id": customer})
        assert before["data"]["customer"]["cart"] is None

        await post(other, ADD, {"c": customer, "key": uuid.uuid4().hex})

        async def fresh() -> bool:
            _, body = await post(near, HOME, {"id": customer})
            cart = body["data"]["customer"]["cart"]
            return cart is not None and cart["version"] == 1

        # The copy would otherwise be served for the response cache's TTL (30 s).
        await eventually(fresh, within=5.0)


async def test_without_its_tracking_connection_nothing_is_served_until_it_is_back(
    services: Services, redis: Redis
) -> None:
    tracking = Redis.from_url(services.redis.config.url, protocol=2)
    cache = NearCache(max_entries=10, health_interval_s=0.2)
    cache.start(tracking, retry_s=0.5)
    try:
        await eventually(lambda: _true(cache.live))
        cache.keep("cus_a", b"0", ":q", b"{}", 60_000, cache.generation)
        assert cache.answer("cus_a", ":q") == b"{}"

        killed = await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed >= 1

        await eventually(lambda: _true(not cache.live and len(cache) == 0))
        await eventually(lambda: _true(cache.live))  # reconnected, with nothing kept
        assert cache.answer("cus_a", ":q") is None
    finally:
        await cache.close()
        await tracking.aclose()


async def test_a_version_change_by_anyone_drops_that_customers_answers(
    services: Services, redis: Redis
) -> None:
    tracking = Redis.from_url(services.redis.config.url, protocol=2)
    cache = NearCache(max_entries=10)
    cache.start(tracking)
    try:
        await eventually(lambda: _true(cache.live))
        for customer in ("cus_x", "cus_y"):
            cache.keep(customer, b"0", ":q", b"{}", 60_000, cache.generation)

        await redis.incr("parcours:ctxver:cus_x")

        await eventually(lambda: _true(cache.answer("cus_x", ":q") is None))
        assert cache.answer("cus_y", ":q") == b"{}"
    finally:
        await cache.close()
        await tracking.aclose()


async def _true(value: bool) -> bool:
    return value


def a_live_cache(max_entries: int = 10) -> NearCache:
    cache = NearCache(max_entries=max_entries)
    cache.live = True  # as if its tracking connection were up
    return cache


def test_an_answer_read_before_an_invalidation_is_not_kept() -> None:
    cache = a_live_cache()
    generation = cache.generation  # the lookup starts...
    cache.invalidated([b"parcours:ctxver:cus_other"])  # ...an invalidation arrives...
    cache.keep("cus_a", b"3", ":q", b"{}", 60_000, generation)  # ...its reply comes back
    assert cache.answer("cus_a", ":q") is None


def test_answers_expire_with_their_redis_ttl_and_the_oldest_go_first() -> None:
    cache = a_live_cache(max_entries=2)
    cache.keep("cus_a", b"1", ":q", b"a", 1, cache.generation)
    time.sleep(0.01)
    assert cache.answer("cus_a", ":q") is None
    for customer in ("cus_b", "cus_c", "cus_d"):
        cache.keep(customer, b"1", ":q", customer.encode(), 60_000, cache.generation)
    assert len(cache) == 2
    assert cache.answer("cus_b", ":q") is None
    assert cache.answer("cus_d", ":q") == b"cus_d"


def test_nothing_is_served_or_kept_while_tracking_is_down() -> None:
    cache = NearCache(max_entries=10)
    cache.keep("cus_a", b"1", ":q", b"a", 60_000, cache.generation)
    assert len(cache) == 0
    assert cache.answer("cus_a", ":q") is None


async def test_metrics_show_near_and_redis_hits_and_the_tracking_state(
    services: Services, customer: str
) -> None:
    async with running_gateway(near_settings(services)) as gateway:
        await until_tracking(gateway)
        for _ in range(5):
            await post(gateway, HOME, {"id": customer})
        samples = await scrape(gateway)

    lookups = "parcours_cache_lookups_total"
    # The first request misses both; its answer is kept near, so the next four hit near.
    assert value(samples, lookups, cache="near", result="hit") == 4
    assert value(samples, lookups, cache="near", result="miss") == 1
    assert value(samples, lookups, cache="response", result="miss") == 1
    assert value(samples, lookups, cache="response", result="hit") == 0
    assert value(samples, "parcours_near_cache_tracking") == 1
    assert value(samples, "parcours_near_cache_entries") == 1
