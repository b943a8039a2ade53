"""A client that leaves frees what it held: no feed, no task, no Redis connection left behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.conftest import Services
from tests.realtime.conftest import CART_CHANGED, Instance, eventually, serving, ws_client

CYCLES, AT_ONCE = 1000, 25


@pytest.fixture
async def instance(services: Services, graph) -> AsyncIterator[Instance]:
    async with serving(services.settings(migrate_on_start=False)) as running:
        yield running


async def _redis_clients(url: str) -> int:
    client = aioredis.Redis.from_url(url)
    try:
        return len(await client.client_list()) - 1  # not this one
    finally:
        await client.aclose()


async def _visit(instance: Instance, customer: str) -> None:
    async with ws_client(instance) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] >= 1


async def test_a_thousand_connect_disconnect_cycles_leak_nothing(
    instance: Instance, new_customer, services: Services
):
    customer = await new_customer()
    await instance.add_item(customer)
    await _visit(instance, customer)  # warm up: pools and caches at their working size
    await eventually(lambda: instance.open_feeds == 0)
    tasks_before = len(asyncio.all_tasks())
    redis_before = await _redis_clients(services.redis.config.url)

    for _ in range(CYCLES // AT_ONCE):
        await asyncio.gather(*(_visit(instance, customer) for _ in range(AT_ONCE)))

    await eventually(lambda: instance.open_feeds == 0)
    await eventually(lambda: len(asyncio.all_tasks()) <= tasks_before)
    assert await _redis_clients(services.redis.config.url) <= redis_before


async def test_a_client_that_leaves_mid_subscription_releases_its_feed(
    instance: Instance, new_customer
):
    customer = await new_customer()
    async with ws_client(instance) as client:
        for n in range(3):
            await client.subscribe(f"s{n}", CART_CHANGED, {"c": customer})
        await eventually(lambda: instance.open_feeds == 3)
    await eventually(lambda: instance.open_feeds == 0)
    # the bus still delivers to whoever comes next
    await instance.add_item(customer)
    await _visit(instance, customer)


async def test_completing_a_subscription_releases_its_feed_and_frees_its_id(
    instance: Instance, new_customer
):
    customer = await new_customer()
    await instance.add_item(customer)
    async with ws_client(instance) as client:
        for op_id in ("kept", "done"):
            await client.subscribe(op_id, CART_CHANGED, {"c": customer})
            assert (await client.next(op_id))["cartChanged"]["version"] == 1
        await client.send({"id": "done", "type": "complete"})
        await eventually(lambda: instance.open_feeds == 1)
        await client.subscribe("done", CART_CHANGED, {"c": customer})  # the id may be used again
        assert (await client.next("done"))["cartChanged"]["version"] == 1
        await instance.add_item(customer)
        versions = {}
        for _ in range(2):
            message = await client.receive()
            versions[message["id"]] = message["payload"]["data"]["cartChanged"]["version"]
        assert versions == {"kept": 2, "done": 2}  # each live subscription once, none twice
