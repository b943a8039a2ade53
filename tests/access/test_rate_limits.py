"""Rate limits through HTTP: per partner request and per customer write, shared in Redis, with
RATE_LIMITED and retryAfter; with Redis down (a Redis of the test's own), a bounded local cap."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from limits.aio.storage import RedisStorage
from redis.asyncio import Redis

from gateway.rate_limits import RateLimits
from gateway.services import RedisConfig, RedisServer, free_port
from graph import GraphDatabase
from resolvers.access import Principal
from tests.access.conftest import Keys, MakeCustomer, MakePartner, call, production_settings
from tests.conftest import Services, running_gateway
from tests.fixture_dataset import ALICE

WHO = f'{{ customer(id: "{ALICE}") {{ id }} }}'
PROTOCOL = "graphql-transport-ws"
SET = """
mutation($c: ID!) {
  setConsent(customerId: $c, purpose: MARKETING, granted: true, channel: WEB) { granted }
}
"""


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(RedisConfig(home=tmp_path / "redis", port=free_port()))
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


def _rate_limited(answer) -> int:
    assert answer.status == 429, answer
    [error] = answer.body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry_after: int = error["extensions"]["retryAfter"]
    assert 1 <= retry_after <= 60
    assert answer.headers["Retry-After"] == str(retry_after)
    return retry_after


async def test_a_partner_over_its_limit_gets_rate_limited_on_every_instance(
    services: Services, graph: GraphDatabase, rsa_keys: Keys, make_partner: MakePartner
):
    settings = {"rate_limit_partner": "3/minute"}
    _, key = await make_partner("customer:read")
    _, other = await make_partner("customer:read")
    async with (
        running_gateway(production_settings(services, rsa_keys, **settings)) as a,
        running_gateway(production_settings(services, rsa_keys, **settings)) as b,
    ):
        for gateway in (a, b, a):
            assert (await call(gateway, WHO, key=key)).status == 200
        _rate_limited(await call(b, WHO, key=key))  # the count is shared through Redis
        assert (await call(a, WHO, key=other)).status == 200  # per partner


async def test_operations_over_a_websocket_count_against_the_partners_limit(
    services: Services, graph: GraphDatabase, rsa_keys: Keys, make_partner: MakePartner
):
    _, key = await make_partner("customer:read")
    settings = production_settings(services, rsa_keys, rate_limit_partner="3/minute")
    async with (
        running_gateway(settings) as gateway,
        gateway.session.ws_connect(f"{gateway.url}/graphql", protocols=(PROTOCOL,)) as ws,
    ):
        assert (await call(gateway, WHO, key=key)).status == 200
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": key}})
        assert (await ws.receive_json(timeout=15))["type"] == "connection_ack"
        answers = []
        for n in range(3):
            await ws.send_json({"id": str(n), "type": "subscribe", "payload": {"query": WHO}})
            answers.append(await ws.receive_json(timeout=15))
            if answers[-1]["type"] == "next":
                assert (await ws.receive_json(timeout=15))["type"] == "complete"
        assert [a["type"] for a in answers] == ["next", "next", "error"]
        assert answers[0]["payload"]["data"] == {"customer": {"id": ALICE}}
        [error] = answers[2]["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 60
        await ws.send_json({"type": "ping"})  # the connection stays open
        assert (await ws.receive_json(timeout=15))["type"] == "pong"
        _rate_limited(await call(gateway, WHO, key=key))  # one count for both


async def test_writes_to_one_customer_over_the_limit_are_rate_limited(
    services: Services,
    graph: GraphDatabase,
    rsa_keys: Keys,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
):
    customer = await make_customer()
    another = await make_customer()
    _, key = await make_partner("consent:write")
    settings = production_settings(services, rsa_keys, rate_limit_customer_writes="2/minute")
    async with running_gateway(settings) as gateway:
        for _ in range(2):
            done = await call(gateway, SET, {"c": customer}, key=key)
            assert done.data == {"setConsent": {"granted": True}}
        refused = await call(gateway, SET, {"c": customer}, key=key)
        assert refused.status == 200
        assert refused.data == {"setConsent": None}
        [error] = refused.body["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 60
        assert (await call(gateway, SET, {"c": another}, key=key)).data


async def test_with_redis_down_each_instance_applies_its_bounded_local_cap(
    services: Services,
    graph: GraphDatabase,
    rsa_keys: Keys,
    make_partner: MakePartner,
    own_redis: RedisServer,
):
    _, key = await make_partner("customer:read")
    settings = production_settings(
        services,
        rsa_keys,
        redis_url=own_redis.config.url,
        rate_limit_partner="100/minute",
        rate_limit_local_partner="2/minute",
        rate_limit_redis_retry_s=60.0,
    )
    async with running_gateway(settings) as gateway:
        for _ in range(3):  # under the shared limit, over the local one: Redis counts
            assert (await call(gateway, WHO, key=key)).status == 200
        await asyncio.to_thread(own_redis.stop)
        for _ in range(2):  # fail open...
            assert (await call(gateway, WHO, key=key)).status == 200
        _rate_limited(await call(gateway, WHO, key=key))  # ...but bounded


async def test_waiting_the_seconds_a_refusal_gives_is_enough(services: Services):
    """Retry-After says how long to wait (RFC 9110 §10.2.3). Redis gives a window's time to live
    in whole seconds, rounded to the nearest: 1.4 s left read as 1, and a client that waited
    the 1 s it was told (as the view rounds it) was refused again."""
    redis = Redis.from_url(services.redis.config.url)
    storage = RedisStorage(
        f"async+{services.redis.config.url}",
        implementation="redispy",
        wrap_exceptions=True,
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]
    )
    limits = RateLimits(services.settings(rate_limit_partner="1/2 seconds"), storage)
    partner = Principal(partner_id=f"ptn_wait_{uuid.uuid4().hex}", scopes=frozenset())
    try:
        assert await limits.partner_request(partner) is None
        await asyncio.sleep(0.6)  # about 1.4 s of the window left
        wait = await limits.partner_request(partner)
        assert wait is not None
        await asyncio.sleep(max(1, round(wait)))  # what Retry-After said
        assert await limits.partner_request(partner) is None
    finally:
        await limits.close()
        await redis.aclose()
