"""Events cross gateway instances through Redis; reads after writes are never stale."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from simulators._webhooks import DEV_SECRET, signed_headers
from tests.realtime.conftest import CART_CHANGED, Instance, eventually, ws_client

ACTIVITY = """
subscription($c: ID!) { customerActivity(customerId: $c) { kind customerId ids channel } }
"""
READ = "query($c: ID!) { customer(id: $c) { cart { version lines { quantity } } } }"
LINK = """
mutation($c: ID!, $v: String!) {
  linkIdentity(customerId: $c, kind: EMAIL, value: $v, channel: STORE) { outcome }
}
"""


async def test_a_subscriber_on_b_receives_cart_changes_made_through_a_in_order(
    pair: tuple[Instance, Instance], new_customer
):
    a, b = pair
    customer = await new_customer()
    assert await a.add_item(customer) == 1
    async with ws_client(b) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        first = (await client.next("cart"))["cartChanged"]
        assert first["version"] == 1
        written = [await a.add_item(customer, channel="STORE") for _ in range(5)]
        seen = [(await client.next("cart"))["cartChanged"] for _ in written]
    assert [cart["version"] for cart in seen] == written == [2, 3, 4, 5, 6]
    assert seen[-1]["lines"] == [{"quantity": 6, "product": {"sku": "FX-P1"}}]


async def test_concurrent_writers_on_both_instances_are_seen_with_increasing_versions(
    pair: tuple[Instance, Instance], new_customer
):
    a, b = pair
    customer = await new_customer()
    await a.add_item(customer)
    async with ws_client(a) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] == 1
        await asyncio.gather(*(gw.add_item(customer) for gw in (a, b) * 4))
        versions = [(await client.next("cart"))["cartChanged"]["version"]]
        while versions[-1] < 9:
            versions.append((await client.next("cart"))["cartChanged"]["version"])
    assert versions == sorted(set(versions))


async def test_a_read_after_a_write_returns_the_new_version_on_both_instances(
    pair: tuple[Instance, Instance], new_customer
):
    a, b = pair
    customer = await new_customer()
    for expected in range(1, 6):
        for reader in (a, b):  # fill both caches with the current version
            cart = (await reader.gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"]
            assert cart is None or cart["version"] == expected - 1
        writer = a if expected % 2 else b
        assert await writer.add_item(customer) == expected
        for reader in (b, a):
            cart = (await reader.gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"]
            assert cart["version"] == expected
            assert cart["lines"] == [{"quantity": expected}]
    assert a.cache_stats.hits > 0
    assert b.cache_stats.hits > 0


async def test_identity_and_cart_activity_reaches_the_other_instance(
    pair: tuple[Instance, Instance], new_customer
):
    a, b = pair
    customer = await new_customer()
    async with ws_client(b) as client:
        await client.subscribe("act", ACTIVITY, {"c": customer})
        await eventually(lambda: b.open_feeds >= 1)
        answer = await a.gateway.query(LINK, {"c": customer, "v": f"{customer}@example.com"})
        assert answer["data"]["linkIdentity"]["outcome"] == "LINKED"
        activity = (await client.next("act"))["customerActivity"]
    assert activity == {
        "kind": "IDENTITY_LINKED",
        "customerId": customer,
        "ids": [],
        "channel": "STORE",
    }


async def test_an_ingested_store_purchase_shows_up_live_on_the_other_instance(
    pair: tuple[Instance, Instance], new_customer
):
    a, b = pair
    customer = await new_customer()
    email = f"{customer}@example.com"
    assert (await a.gateway.query(LINK, {"c": customer, "v": email}))["data"]
    async with ws_client(b) as client:
        await client.subscribe("act", ACTIVITY, {"c": customer})
        await eventually(lambda: b.open_feeds >= 1)
        event = {
            "id": f"evt-{customer}",
            "type": "purchase",
            "at": datetime.now(UTC).isoformat(),
            "identifiers": [{"kind": "email", "value": email}],
            "sku": "FX-P2",
        }
        body = json.dumps(event).encode()
        async with a.gateway.session.post(
            f"{a.gateway.url}/webhooks/store",
            data=body,
            headers=signed_headers(DEV_SECRET.format(channel="store"), body),
        ) as answer:
            assert answer.status == 200, await answer.text()
        activity = (await client.next("act"))["customerActivity"]
    assert activity["kind"] == "INTERACTION"
    assert activity["channel"] == "STORE"
