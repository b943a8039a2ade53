"""Order statuses live: the OMS moves an order on, its signed event reaches gateway A, and a
subscriber of ``orderStatusChanged`` on gateway B sees each new status, in order.

The order is placed for a fresh email, so the purchase event makes a customer of its own; the test
takes it back out of the shared seeded graph (other tests count customers and interactions).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from gateway.services import free_port
from graph import GraphDatabase, IdentityKind
from graph.ingest import anonymous_customer_id
from tests.conftest import Services
from tests.federation.conftest import Systems, emitting_simulator
from tests.realtime.conftest import Instance, eventually, serving, ws_client

ORDER_STATUS = """
subscription($o: ID!) { orderStatusChanged(orderId: $o) { orderId status } }
"""
HISTORY = """
query($c: ID!) { customer(id: $c) { history(first: 10, types: [ORDER_STATUS]) {
  edges { node { type channel } } } } }
"""
FORGET_THE_CUSTOMER = """
MATCH (c:Customer {id: $id})
OPTIONAL MATCH (c)-[:DID]->(i:Interaction)
OPTIONAL MATCH (c)-[:IDENTIFIED_BY]->(k:Identity)
DETACH DELETE c, i, k
"""


@dataclass(frozen=True)
class LiveOms:
    a: Instance
    b: Instance
    oms_url: str


@pytest.fixture
async def live(
    services: Services, seeded: GraphDatabase, systems: Systems
) -> AsyncIterator[LiveOms]:
    """Gateways A and B sharing Neo4j and Redis, and an OMS that posts its events to A."""
    del seeded
    a_port = free_port()
    async with (
        emitting_simulator("oms", systems, a_port) as urls,
        serving(services.settings(migrate_on_start=False, port=a_port, **urls)) as a,
        serving(services.settings(migrate_on_start=False, **urls)) as b,
    ):
        yield LiveOms(a, b, urls["oms_url"])


async def test_each_status_the_oms_reaches_is_pushed_to_a_subscriber_on_the_other_instance(
    live: LiveOms, seeded: GraphDatabase
) -> None:
    email = f"live-{uuid.uuid4().hex[:10]}@example.com"
    customer = anonymous_customer_id(IdentityKind.EMAIL, email)
    session = live.a.gateway.session
    try:
        order = {"customerEmail": email, "lines": [{"sku": "SKU-00007", "qty": 1}]}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        async with session.post(f"{live.oms_url}/oms/orders", json=order, headers=headers) as r:
            assert r.status == 201, await r.text()
            order_id = (await r.json())["orderId"]
        async with ws_client(live.b) as client:
            await client.subscribe("o", ORDER_STATUS, {"o": order_id})
            await eventually(lambda: live.b.open_feeds >= 1)
            seen = []
            for _ in range(3):
                async with session.post(f"{live.oms_url}/oms/orders/{order_id}/advance") as r:
                    assert r.status == 200, await r.text()
                seen.append((await client.next("o"))["orderStatusChanged"])
        assert seen == [
            {"orderId": order_id, "status": status}
            for status in ("CONFIRMED", "SHIPPED", "DELIVERED")
        ]
        async with session.post(f"{live.oms_url}/oms/orders/{order_id}/advance") as r:
            assert r.status == 409
        history = await live.b.gateway.query(HISTORY, {"c": customer})
        edges = history["data"]["customer"]["history"]["edges"]
        assert [e["node"] for e in edges] == [{"type": "ORDER_STATUS", "channel": "WEB"}] * 3
    finally:
        await seeded.write(FORGET_THE_CUSTOMER, {"id": customer})
