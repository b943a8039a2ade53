"""An order the OMS takes while the gateway is down still reaches the graph once the gateway is
back: the simulator posts its webhook again, with backoff, until the gateway takes it, and the
gateway keeps one interaction for the event id.

The order is placed for a fresh email, so the purchase event makes a customer of its own; the test
takes it back out of the shared seeded graph (other tests count customers and interactions).
"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from gateway.services import free_port
from graph import GraphDatabase, IdentityKind
from graph.ingest import anonymous_customer_id
from tests.conftest import Services, running_gateway
from tests.federation.conftest import Systems, emitting_simulator

PURCHASES = """
MATCH (:Customer {id: $id})-[:DID]->(i:Interaction {id: $event}) RETURN count(i) AS n
"""
FORGET_THE_CUSTOMER = """
MATCH (c:Customer {id: $id})
OPTIONAL MATCH (c)-[:DID]->(i:Interaction)
OPTIONAL MATCH (c)-[:IDENTIFIED_BY]->(k:Identity)
OPTIONAL MATCH (c)-[:ON_JOURNEY]->(j:Journey)
DETACH DELETE c, i, k, j
"""


async def _purchases(graph: GraphDatabase, customer: str, event_id: str) -> int:
    [row] = await graph.read(PURCHASES, {"id": customer, "event": event_id})
    return int(row["n"])


async def _ingested(graph: GraphDatabase, customer: str, event_id: str) -> None:
    async with asyncio.timeout(90):  # the OMS retries for about a minute; a loaded CI is slow
        while True:
            if await _purchases(graph, customer, event_id) > 0:
                return
            await asyncio.sleep(0.1)


async def test_an_order_placed_while_the_gateway_is_down_reaches_the_graph_once_it_is_back(
    services: Services, seeded: GraphDatabase, systems: Systems
) -> None:
    gateway_port = free_port()  # nothing listens there yet: the OMS's first post is refused
    email = f"retry-{uuid.uuid4().hex[:10]}@example.com"
    customer = anonymous_customer_id(IdentityKind.EMAIL, email)
    order = {"customerEmail": email, "lines": [{"sku": "SKU-00007", "qty": 1}]}
    async with (
        emitting_simulator("oms", systems, gateway_port) as urls,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        try:
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            async with session.post(
                f"{urls['oms_url']}/oms/orders", json=order, headers=headers
            ) as r:
                assert r.status == 201, await r.text()  # answered, the gateway being down or not
                event_id = (await r.json())["eventId"]
            settings = services.settings(migrate_on_start=False, port=gateway_port, **urls)
            async with running_gateway(settings):
                await _ingested(seeded, customer, event_id)
            assert await _purchases(seeded, customer, event_id) == 1
        finally:
            await seeded.write(FORGET_THE_CUSTOMER, {"id": customer})
