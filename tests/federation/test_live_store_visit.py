"""Story 2 live: an assistant records a visit in the stores system; the website resumes the journey.

Nothing is written to the graph by the test: the stores simulator posts the visit's signed events
to the gateway's webhook (as it does under ``make up``), the gateway opens the journey, and the
website's ``resumeJourney`` reads the notes back from the same stores system.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.services import free_port
from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import Systems, emitting_simulator

ACTIVE = """
query($c: ID!) { customer(id: $c) { activeJourney { id intent } } }
"""
RESUME = """
mutation($j: ID!, $key: String!) {
  resumeJourney(journeyId: $j, channel: WEB, idempotencyKey: $key) {
    journey { status lastChannel }
    stepsSoFar { n channel type product { sku } store { id } }
    productsTriedInStore { sku }
    assistantNotes { author text storeId }
    nextStep
  }
}
"""
# A customer with a POS number of their own and no activity in the last weeks, so the visit's
# views open no journey of their own (three views of a category within 14 days would).
QUIET_POS_CUSTOMER = """
MATCH (c:Customer)-[:IDENTIFIED_BY]->(i:Identity {kind: 'pos_customer_number'})
WHERE NOT EXISTS { (i)<-[:IDENTIFIED_BY]-(o:Customer) WHERE o <> c }
  AND NOT EXISTS { (c)-[:DID]->(x:Interaction) WHERE x.at > datetime() - duration({days: 20}) }
RETURN c.id AS id, i.value AS pos ORDER BY c.id LIMIT 1
"""
# The seeded graph is shared with tests that count its interactions: take the visit back out.
FORGET_THE_VISIT = """
MATCH (:Customer {id: $id})-[:ON_JOURNEY]->(j:Journey {intent: 'follow up a store visit'})
OPTIONAL MATCH (j)-[:STEP]->(i:Interaction)
WITH j, collect(i) AS steps
FOREACH (step IN steps | DETACH DELETE step)
DETACH DELETE j
"""


@dataclass(frozen=True)
class LiveStore:
    gateway: Gateway
    stores_url: str


@pytest.fixture
async def live(
    services: Services, seeded: GraphDatabase, systems: Systems
) -> AsyncIterator[LiveStore]:
    """A gateway and its own stores simulator, each knowing the other's address."""
    del seeded
    gateway_port = free_port()
    async with emitting_simulator("stores", systems, gateway_port) as urls:
        settings = services.settings(migrate_on_start=False, port=gateway_port, **urls)
        async with running_gateway(settings) as gateway:
            yield LiveStore(gateway, urls["stores_url"])


async def _journey_opened(gateway: Gateway, customer: str) -> dict[str, Any]:
    async with asyncio.timeout(30):  # the simulator posts in the background; a loaded CI is slow
        while True:
            body = await gateway.query(ACTIVE, {"c": customer})
            active = body["data"]["customer"]["activeJourney"]
            if active is not None and active["intent"] == "follow up a store visit":
                return dict(active)
            await asyncio.sleep(0.05)


async def test_a_visit_recorded_in_store_is_resumed_on_the_website(
    live: LiveStore, seeded: GraphDatabase
) -> None:
    [row] = await seeded.read(QUIET_POS_CUSTOMER)
    customer, pos = row["id"], row["pos"]
    try:
        await _visit_and_resume(live, customer, pos)
    finally:
        await seeded.write(FORGET_THE_VISIT, {"id": customer})


async def _visit_and_resume(live: LiveStore, customer: str, pos: str) -> None:
    store = pos.split("-")[1]
    tried = ["SKU-00007", "SKU-00013"]
    text = f"Wants a corner sofa in linen; came with a friend ({uuid.uuid4().hex[:6]})."
    visit = {"posNumber": pos, "storeId": store, "author": "Léa", "notes": text, "triedSkus": tried}
    async with live.gateway.session.post(f"{live.stores_url}/pos/visits", json=visit) as reply:
        assert reply.status == 201, await reply.text()

    journey = await _journey_opened(live.gateway, customer)
    body = await live.gateway.query(RESUME, {"j": journey["id"], "key": uuid.uuid4().hex})

    assert "errors" not in body, body
    hand_off = body["data"]["resumeJourney"]
    assert hand_off["journey"] == {"status": "ACTIVE", "lastChannel": "WEB"}
    assert [(s["n"], s["channel"], s["type"]) for s in hand_off["stepsSoFar"]] == [
        (1, "STORE", "STORE_VISIT"),
        (2, "STORE", "VIEW"),
        (3, "STORE", "VIEW"),
        (4, "WEB", "RESUME"),
    ]
    assert {s["store"]["id"] for s in hand_off["stepsSoFar"][:3]} == {store}
    assert [p["sku"] for p in hand_off["productsTriedInStore"]] == tried
    assert hand_off["assistantNotes"][0] == {"author": "Léa", "text": text, "storeId": store}
    assert hand_off["nextStep"] == "resume online with the assistant's notes"
