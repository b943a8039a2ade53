"""A checkout and the OMS's echo of its order, ingested while the checkout still holds its lock.

The OMS posts the new order's first line to the web webhook under the order's event id, often
before the checkout's transaction has recorded it. The ingest must wait for the checkout (it needs
the same customer) without first taking the event id the checkout is about to write: else each
waits for the other, Neo4j kills one as a deadlock and the driver runs it again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import pytest

from graph import GraphDatabase
from graph.checkout import CheckoutRequest, OrderRequest, PlacedOrder, checkout
from graph.identities import IdentityKind
from graph.ingest import ChannelEvent, EventType, ingest_events


async def _blocked_transactions(graph: GraphDatabase) -> int:
    rows = await graph.read(
        "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n"
    )
    return int(rows[0]["n"])


async def test_the_echo_of_an_order_waits_for_its_checkout_without_a_deadlock(
    graph: GraphDatabase, caplog: pytest.LogCaptureFixture
):
    customer = f"cus_echo_{uuid.uuid4().hex[:10]}"
    email = f"echo-{uuid.uuid4().hex[:8]}@example.com"
    cart = f"cart-{customer}"
    await graph.write(
        "CREATE (c:Customer {id: $id, displayName: 'Echo', createdAt: datetime()}) "
        "MERGE (i:Identity {kind: 'email', value: $email}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i) "
        "CREATE (c)-[:HAS_CART]->(k:Cart {id: $cart, version: 1, status: 'active', "
        "  updatedAt: datetime()}) "
        "WITH k MATCH (p:Product {sku: 'FX-P1'}) "
        "CREATE (k)-[:CONTAINS {qty: 1, addedAt: datetime(), addedVia: 'web'}]->(p)",
        {"id": customer, "email": email, "cart": cart},
    )
    event_id = f"evt-oms-{uuid.uuid4().hex}"
    echo = ChannelEvent(
        id=event_id,
        type=EventType.PURCHASE,
        at=datetime.now(UTC),
        identifiers=((IdentityKind.EMAIL, email),),
        sku="FX-P1",
    )
    places: list[OrderRequest] = []
    ingests: list[asyncio.Task[object]] = []

    async def place(order: OrderRequest) -> PlacedOrder:
        # Inside the checkout's transaction, which holds the customer: the echo arrives now.
        places.append(order)
        if not ingests:
            ingests.append(asyncio.ensure_future(ingest_events(graph, "web", [echo])))
            for _ in range(500):
                if await _blocked_transactions(graph):
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the echo's ingest never waited for the checkout")
        return PlacedOrder("ORD-ECHO-1", event_id, datetime.now(UTC), {"orderId": "ORD-ECHO-1"})

    caplog.set_level(logging.WARNING, logger="neo4j.session")
    request = CheckoutRequest(
        cart_id=cart,
        expected_version=1,
        fulfilment="DELIVERY",
        store_id=None,
        idempotency_key=f"checkout-{uuid.uuid4().hex}",
        channel="web",
    )
    result = await checkout(graph, request, place)
    ingested = await ingests[0]

    assert result.order["orderId"] == "ORD-ECHO-1"
    assert len(places) == 1, "the checkout ran twice"
    assert not [r for r in caplog.records if "retried" in r.getMessage()], "a deadlock was retried"
    assert (ingested.accepted, ingested.duplicates) == (0, 1)  # type: ignore[attr-defined]
    rows = await graph.read(
        "MATCH (c:Customer)-[:DID]->(i:Interaction {id: $id})-[:VIA]->(ch:Channel) "
        "RETURN c.id AS customer, collect(ch.code) AS channels",
        {"id": event_id},
    )
    assert rows == [{"customer": customer, "channels": ["web"]}]
