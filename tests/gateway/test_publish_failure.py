"""A write whose event could not be published still invalidates the customer's cached context.

The bus bumps a customer's context version in the publish that follows a committed write; when
that publish fails (here: the gateway's one Redis connection is taken, so the publish waits out
its pool timeout), the write stands and its answer is sent. The cached context from before the
write must not be served after it: this instance reads the customer past the cache until the
bump lands, and the bump is tried again until Redis takes it (which every instance then sees).
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.context_cache import version_key
from gateway.state import REDIS
from tests.conftest import Services
from tests.gateway.test_near_cache import eventually

ADD = """mutation($c: ID!, $key: String!) { addCartItem(customerId: $c, sku: "FX-P1",
  channel: WEB, idempotencyKey: $key) { version } }"""
READ = "query($c: ID!) { customer(id: $c) { cart { version } } }"


@dataclass(frozen=True)
class Instance:
    app: web.Application
    session: aiohttp.ClientSession
    url: str

    async def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(self.url, json={"query": query, "variables": variables}) as r:
            body: dict[str, Any] = await r.json()
            return body


@pytest.fixture
async def one_connection_gateway(services: Services) -> AsyncIterator[Instance]:
    """A gateway with one Redis connection, waited for at most half a second."""
    settings = services.settings(redis_pool_size=1, redis_timeout_s=0.5)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            yield Instance(app, session, f"http://127.0.0.1:{settings.port}/graphql")
    finally:
        await runner.cleanup()


async def test_a_write_whose_publish_failed_is_seen_by_the_next_read_and_bumped_later(
    one_connection_gateway: Instance, services: Services, customer: str
) -> None:
    gateway = one_connection_gateway
    first = await gateway.query(ADD, {"c": customer, "key": f"k-{uuid.uuid4().hex}"})
    assert first["data"]["addCartItem"]["version"] == 1, first
    cached = await gateway.query(READ, {"c": customer})  # the context is cached at version 1
    assert cached["data"]["customer"]["cart"]["version"] == 1
    redis = Redis.from_url(services.redis.config.url)
    try:
        before = int(await redis.get(version_key(customer)) or 0)
        pool = gateway.app[REDIS].connection_pool
        held = await pool.get_connection()  # the publish after the write cannot get one
        try:
            second = await gateway.query(ADD, {"c": customer, "key": f"k-{uuid.uuid4().hex}"})
        finally:
            await pool.release(held)
        assert second["data"]["addCartItem"]["version"] == 2, second

        after = await gateway.query(READ, {"c": customer})
        assert after["data"]["customer"]["cart"]["version"] == 2, after

        async def bumped() -> bool:
            return int(await redis.get(version_key(customer)) or 0) > before

        await eventually(bumped)
    finally:
        await redis.aclose()
    again = await gateway.query(READ, {"c": customer})
    assert again["data"]["customer"]["cart"]["version"] == 2, again
