"""Redis restarted under an open subscription: the subscriber catches up with the truth (resync),
then keeps receiving events. Runs on a Redis of its own so no other test sees the outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.services import RedisConfig, RedisServer, free_port
from tests.conftest import Services
from tests.realtime.conftest import CART_CHANGED, Instance, serving, ws_client

READ = "query($c: ID!) { customer(id: $c) { cart { version } } }"


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(RedisConfig(home=tmp_path / "redis", port=free_port()))
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture
async def pair_on_own_redis(
    services: Services, graph, own_redis: RedisServer
) -> AsyncIterator[tuple[Instance, Instance]]:
    def settings():
        return services.settings(migrate_on_start=False, redis_url=own_redis.config.url)

    async with serving(settings()) as a, serving(settings()) as b:
        yield a, b


async def test_after_a_redis_restart_the_subscriber_gets_the_current_cart_then_later_events(
    pair_on_own_redis: tuple[Instance, Instance], own_redis: RedisServer, new_customer
):
    a, b = pair_on_own_redis
    customer = await new_customer()
    assert await a.add_item(customer) == 1
    async with ws_client(b) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] == 1

        await asyncio.to_thread(own_redis.stop)
        # Written while Redis is away: committed in Neo4j, its event lost.
        assert await a.add_item(customer) == 2
        await asyncio.to_thread(own_redis.start)

        resynced = (await client.next("cart"))["cartChanged"]
        assert resynced["version"] == 2
        assert await a.add_item(customer) == 3
        assert (await client.next("cart"))["cartChanged"]["version"] == 3

    for instance in (a, b):
        body = await instance.gateway.query(READ, {"c": customer})
        assert body["data"]["customer"]["cart"]["version"] == 3
