"""Issue 4's journey story: started in a store, resumed on the website with the full hand-off.

The traveller is a new customer holding the POS number of a seeded customer the stores simulator
has clienteling notes for (the link is removed afterwards, so the seeded data stays as it was).
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from graph import GraphDatabase
from graph.seed import CustomerBatch, load_customer_batch
from tests.conftest import Gateway
from tests.federation.conftest import Systems, seeded_customers

RESUME = """
mutation($j: ID!, $key: String!) {
  resumeJourney(journeyId: $j, channel: WEB, idempotencyKey: $key) {
    journey { id status lastChannel }
    stepsSoFar { n channel type store { id } }
    productsTriedInStore { sku }
    productsViewed { sku }
    assistantNotes { id storeId author at text }
    cart { lines { quantity addedVia product { sku } } }
    nextStep
  }
}
"""
TRIED = ("SKU-00021", "SKU-00042")


@dataclass(frozen=True)
class StoreVisitor:
    customer: str
    journey: str
    pos_number: str
    store: str


async def _pos_number_with_notes(systems: Systems) -> tuple[str, list[dict]]:
    # From the end of the list: the other stories pick the first customers that fit them.
    for customer in reversed(seeded_customers()):
        for number in customer["identities"].get("pos_customer_number", []):
            notes = (await systems.get("stores", f"/pos/customers/{number}/notes"))["notes"]
            if notes:
                return number, notes
    raise AssertionError("the stores simulator has notes for no seeded POS number")


@pytest.fixture
async def visitor(seeded: GraphDatabase, systems: Systems) -> AsyncIterator[StoreVisitor]:
    pos_number, _ = await _pos_number_with_notes(systems)
    u = uuid.uuid4().hex[:10]
    store = pos_number.split("-")[1]  # POS-ST003-0000012 was issued by store ST003
    who = StoreVisitor(f"cus_story_{u}", f"jrn-story-{u}", pos_number, store)
    visit = datetime.now(UTC) - timedelta(days=1)
    batch = CustomerBatch()
    batch.customers.append({"id": who.customer, "displayName": "Story Two", "createdAt": visit})
    batch.identities.append(
        {
            "customerId": who.customer,
            "kind": "pos_customer_number",
            "value": pos_number,
            "since": visit,
            "source": "store",
            "confidence": 1.0,
        }
    )
    steps = [(f"ev-story-{u}-visit", "store_visit", None)] + [
        (f"ev-story-{u}-{sku}", "view", sku) for sku in TRIED
    ]
    for minutes, (event_id, kind, sku) in enumerate(steps):
        batch.interactions.append(
            {
                "id": event_id,
                "customerId": who.customer,
                "at": visit + timedelta(minutes=10 * minutes),
                "type": kind,
                "channel": "store",
                "sku": sku,
                "storeId": store,
                "deviceId": None,
            }
        )
    batch.journeys.append(
        {
            "customerId": who.customer,
            "id": who.journey,
            "intent": "buy a sofa",
            "status": "active",
            "startedAt": visit,
            "lastChannel": "store",
            "nextStep": "Compare the two sofas online, then book a delivery slot",
        }
    )
    batch.journey_steps += [
        {"journeyId": who.journey, "interactionId": event_id, "n": n}
        for n, (event_id, _, _) in enumerate(steps, start=1)
    ]
    await load_customer_batch(seeded, batch)
    try:
        yield who
    finally:
        await seeded.write(
            "MATCH (:Customer {id: $id})-[r:IDENTIFIED_BY]->() DELETE r", {"id": who.customer}
        )


async def _add_to_cart_in_store(fed: Gateway, customer: str, sku: str) -> None:
    body = await fed.query(
        """mutation($c: ID!, $sku: ID!, $key: String!) {
             addCartItem(customerId: $c, sku: $sku, channel: STORE, idempotencyKey: $key) {
               version } }""",
        {"c": customer, "sku": sku, "key": f"story-{uuid.uuid4().hex}"},
    )
    assert "errors" not in body, body


def _as_notes(simulator_notes: list[dict]) -> list[dict]:
    return [
        {
            "id": note["noteId"],
            "storeId": note["storeId"],
            "author": note["author"],
            "at": datetime.fromisoformat(note["at"].replace("Z", "+00:00")),
            "text": note["text"],
        }
        for note in simulator_notes
    ]


async def test_a_journey_started_in_store_is_resumed_on_the_website_with_its_full_hand_off(
    fed: Gateway, systems: Systems, visitor: StoreVisitor
):
    await _add_to_cart_in_store(fed, visitor.customer, TRIED[1])
    notes = (await systems.get("stores", f"/pos/customers/{visitor.pos_number}/notes"))["notes"]

    body = await fed.query(RESUME, {"j": visitor.journey, "key": f"story-{uuid.uuid4().hex}"})

    assert "errors" not in body, body
    hand_off = body["data"]["resumeJourney"]
    assert hand_off["journey"] == {"id": visitor.journey, "status": "ACTIVE", "lastChannel": "WEB"}
    assert hand_off["stepsSoFar"] == [
        {"n": 1, "channel": "STORE", "type": "STORE_VISIT", "store": {"id": visitor.store}},
        {"n": 2, "channel": "STORE", "type": "VIEW", "store": {"id": visitor.store}},
        {"n": 3, "channel": "STORE", "type": "VIEW", "store": {"id": visitor.store}},
        {"n": 4, "channel": "WEB", "type": "RESUME", "store": None},
    ]
    assert [p["sku"] for p in hand_off["productsTriedInStore"]] == list(TRIED)
    assert [p["sku"] for p in hand_off["productsViewed"]] == [TRIED[1], TRIED[0]]
    shown = [
        {**note, "at": datetime.fromisoformat(note["at"])} for note in hand_off["assistantNotes"]
    ]
    assert shown == _as_notes(notes)
    assert hand_off["cart"] == {
        "lines": [{"quantity": 1, "addedVia": "STORE", "product": {"sku": TRIED[1]}}]
    }
    assert hand_off["nextStep"] == "Compare the two sofas online, then book a delivery slot"
    assert {"channel": "stores", "outcome": "ok"}.items() <= body["extensions"]["sources"][
        0
    ].items()


async def test_with_the_stores_system_dead_the_hand_off_comes_without_the_notes_only(
    fed: Gateway, systems: Systems, visitor: StoreVisitor
):
    await _add_to_cart_in_store(fed, visitor.customer, TRIED[0])
    await systems.faults("stores", blackhole=True)

    body = await fed.query(RESUME, {"j": visitor.journey, "key": f"story-{uuid.uuid4().hex}"})

    hand_off = body["data"]["resumeJourney"]
    assert hand_off["assistantNotes"] is None
    [error] = body["errors"]
    assert error["path"] == ["resumeJourney", "assistantNotes"]
    assert error["extensions"]["code"] == "CHANNEL_TIMEOUT"
    assert error["extensions"]["channel"] == "stores"
    assert [step["channel"] for step in hand_off["stepsSoFar"]] == ["STORE"] * 3 + ["WEB"]
    assert [p["sku"] for p in hand_off["productsTriedInStore"]] == list(TRIED)
    assert hand_off["cart"]["lines"][0]["product"] == {"sku": TRIED[0]}
    assert hand_off["nextStep"] == "Compare the two sofas online, then book a delivery slot"


async def test_the_hand_off_shows_the_twenty_newest_assistant_notes_of_a_regular(
    fed: Gateway, systems: Systems, visitor: StoreVisitor
):
    # A regular: every visit leaves a note, and the list grows with them.
    for n in range(25):
        visit = {
            "posNumber": visitor.pos_number,
            "storeId": visitor.store,
            "author": "Assistant",
            "notes": f"visit {n}: asked about the sofa again",
        }
        await systems.post("stores", "/pos/visits", visit)
    notes = (await systems.get("stores", f"/pos/customers/{visitor.pos_number}/notes"))["notes"]
    assert len(notes) > 25

    body = await fed.query(RESUME, {"j": visitor.journey, "key": f"story-{uuid.uuid4().hex}"})

    assert "errors" not in body, body
    shown = body["data"]["resumeJourney"]["assistantNotes"]
    assert len(shown) == 20
    # The newest ones (notes of one second come in any order among themselves).
    assert {note["id"] for note in shown} == {note["noteId"] for note in notes[:20]}
    assert [note["at"] for note in shown] == sorted((note["at"] for note in shown), reverse=True)
