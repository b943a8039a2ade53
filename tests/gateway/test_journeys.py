"""Journeys: read newest first with their steps, and resumed on another channel exactly once.

Each test writes its own customer (unique ids) with four journeys, so the shared fixture customers
stay as other tests expect them. Times are relative to the fixture's ``T``:

- sofa (active, started T-10d, steps: store visit in FX-ST-A, FX-P1 seen in store, FX-P2 viewed
  on the web T-5d, FX-P1 added to cart in the app T-4d); outside it, the customer viewed FX-P6
  at T-6d (inside the 14 days before T-4d), FX-P4 at T-30d and FX-P5 at T-4d+1h (both outside);
- kitchen (abandoned, started T-2d), refund (completed, T-20d), lamp (active, T-30d).
"""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from graph import GraphDatabase
from graph.seed import CustomerBatch, load_customer_batch
from tests.conftest import Gateway
from tests.fixture_dataset import T

JOURNEYS = """
query($c: ID!, $status: JourneyStatus, $first: Int!, $after: String) {
  customer(id: $c) {
    journeys(status: $status, first: $first, after: $after) {
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
ACTIVE = """
query($c: ID!) {
  customer(id: $c) {
    activeJourney { id intent status startedAt lastChannel nextStep
      steps { n at channel type product { sku name } store { id name } } }
  }
}
"""
RESUME = """
mutation($j: ID!, $ch: Channel!, $key: String!) {
  resumeJourney(journeyId: $j, channel: $ch, idempotencyKey: $key) {
    journey { id status lastChannel steps { n channel type } }
    stepsSoFar { n channel at }
    productsViewed { sku }
    productsTriedInStore { sku name }
    cart { lines { quantity product { sku } } }
    nextStep
  }
}
"""


@dataclass(frozen=True)
class Traveller:
    customer: str
    sofa: str
    kitchen: str
    refund: str
    lamp: str


def _event(eid, customer, at, kind, channel, sku=None, store=None):  # noqa: PLR0917 - a row
    return {
        "id": eid,
        "customerId": customer,
        "at": at,
        "type": kind,
        "channel": channel,
        "sku": sku,
        "storeId": store,
        "deviceId": None,
    }


@pytest.fixture
async def traveller(graph: GraphDatabase) -> Traveller:
    u = uuid.uuid4().hex[:10]
    who = Traveller(
        f"cus_jrn_{u}", f"jrn-{u}-sofa", f"jrn-{u}-kitchen", f"jrn-{u}-refund", f"jrn-{u}-lamp"
    )
    day = timedelta(days=1)
    batch = CustomerBatch()
    batch.customers.append(
        {"id": who.customer, "displayName": "Jo Voyage", "createdAt": T - 90 * day}
    )
    batch.carts.append(
        {
            "customerId": who.customer,
            "id": f"cart-{u}",
            "version": 1,
            "updatedAt": T,
            "status": "active",
        }
    )
    batch.cart_lines.append(
        {"cartId": f"cart-{u}", "sku": "FX-P2", "qty": 1, "addedAt": T, "addedVia": "web"}
    )
    e = f"ev-{u}"
    batch.interactions += [
        _event(f"{e}-1", who.customer, T - 10 * day, "store_visit", "store", store="FX-ST-A"),
        _event(
            f"{e}-2",
            who.customer,
            T - 10 * day + timedelta(hours=1),
            "view",
            "store",
            "FX-P1",
            "FX-ST-A",
        ),
        _event(f"{e}-3", who.customer, T - 5 * day, "view", "web", "FX-P2"),
        _event(f"{e}-4", who.customer, T - 4 * day, "add_to_cart", "app", "FX-P1"),
        _event(f"{e}-o1", who.customer, T - 6 * day, "view", "web", "FX-P6"),
        _event(f"{e}-o2", who.customer, T - 30 * day, "view", "web", "FX-P4"),
        _event(f"{e}-o3", who.customer, T - 7 * day, "search", "web"),
        _event(f"{e}-o4", who.customer, T - 4 * day + timedelta(hours=1), "view", "web", "FX-P5"),
        _event(f"{e}-k1", who.customer, T - 20 * day, "call", "call_centre"),
        _event(f"{e}-a1", who.customer, T - 2 * day, "view", "web", "FX-P3"),
    ]
    for journey_id, intent, status, started, last, steps in (
        (who.sofa, "buy a sofa", "active", T - 10 * day, "app", ["1", "2", "3", "4"]),
        (who.kitchen, "equip the kitchen", "abandoned", T - 2 * day, "web", ["a1"]),
        (who.refund, "get a refund", "completed", T - 20 * day, "call_centre", ["k1"]),
        (who.lamp, "light the lounge", "active", T - 30 * day, "web", ["o2"]),
    ):
        batch.journeys.append(
            {
                "customerId": who.customer,
                "id": journey_id,
                "intent": intent,
                "status": status,
                "startedAt": started,
                "lastChannel": last,
                "nextStep": f"next for {intent}",
            }
        )
        batch.journey_steps += [
            {"journeyId": journey_id, "interactionId": f"{e}-{step}", "n": n}
            for n, step in enumerate(steps, start=1)
        ]
    await load_customer_batch(graph, batch)
    return who


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


async def _ids(gateway: Gateway, customer: str, **variables) -> tuple[list[str], dict]:
    body = await gateway.query(JOURNEYS, {"c": customer, "first": 10, **variables})
    assert "errors" not in body, body
    connection = body["data"]["customer"]["journeys"]
    return [edge["node"]["id"] for edge in connection["edges"]], connection["pageInfo"]


async def _resume(gateway: Gateway, journey: str, channel: str = "WEB", idem: str | None = None):
    return await gateway.query(RESUME, {"j": journey, "ch": channel, "key": idem or key()})


async def test_journeys_are_listed_newest_first_and_filtered_by_status(
    gateway: Gateway, traveller: Traveller
):
    t = traveller
    assert (await _ids(gateway, t.customer))[0] == [t.kitchen, t.sofa, t.refund, t.lamp]
    assert (await _ids(gateway, t.customer, status="ACTIVE"))[0] == [t.sofa, t.lamp]
    assert (await _ids(gateway, t.customer, status="ABANDONED"))[0] == [t.kitchen]
    assert (await _ids(gateway, t.customer, status="COMPLETED"))[0] == [t.refund]


async def test_journey_pages_cover_every_journey_once(gateway: Gateway, traveller: Traveller):
    t = traveller
    first, info = await _ids(gateway, t.customer, first=3)
    assert first == [t.kitchen, t.sofa, t.refund]
    assert info["hasNextPage"] is True
    assert info["hasPreviousPage"] is False
    rest, info = await _ids(gateway, t.customer, first=3, after=info["endCursor"])
    assert rest == [t.lamp]
    assert info == {"hasNextPage": False, "hasPreviousPage": True, "endCursor": info["endCursor"]}


async def test_the_active_journey_is_the_latest_active_one_with_its_steps_in_order(
    gateway: Gateway, traveller: Traveller
):
    body = await gateway.query(ACTIVE, {"c": traveller.customer})
    assert "errors" not in body, body
    assert body["data"]["customer"]["activeJourney"] == {
        "id": traveller.sofa,
        "intent": "buy a sofa",
        "status": "ACTIVE",
        "startedAt": "2026-09-21T12:00:00+00:00",
        "lastChannel": "APP",
        "nextStep": "next for buy a sofa",
        "steps": [
            {
                "n": 1,
                "at": "2026-09-21T12:00:00+00:00",
                "channel": "STORE",
                "type": "STORE_VISIT",
                "product": None,
                "store": {"id": "FX-ST-A", "name": "Parcours Test Lyon"},
            },
            {
                "n": 2,
                "at": "2026-09-21T13:00:00+00:00",
                "channel": "STORE",
                "type": "VIEW",
                "product": {"sku": "FX-P1", "name": "Canapé Test"},
                "store": {"id": "FX-ST-A", "name": "Parcours Test Lyon"},
            },
            {
                "n": 3,
                "at": "2026-09-26T12:00:00+00:00",
                "channel": "WEB",
                "type": "VIEW",
                "product": {"sku": "FX-P2", "name": "Lampe Test"},
                "store": None,
            },
            {
                "n": 4,
                "at": "2026-09-27T12:00:00+00:00",
                "channel": "APP",
                "type": "ADD_TO_CART",
                "product": {"sku": "FX-P1", "name": "Canapé Test"},
                "store": None,
            },
        ],
    }


async def test_a_customer_without_journeys_has_none_and_no_active_one(gateway: Gateway):
    body = await gateway.query(
        'query { customer(id: "cus_bob") { '
        "journeys { edges { node { id } } } activeJourney { id } } }"
    )
    assert body["data"]["customer"] == {"journeys": {"edges": []}, "activeJourney": None}


async def test_journey_fields_of_several_customers_cost_one_statement(
    gateway: Gateway, traveller: Traveller
):
    fields = (
        "journeys(first: 2) { edges { node { id steps { n product { sku } } } } } "
        "activeJourney { id }"
    )
    body = await gateway.query(
        f'query {{ a: customer(id: "{traveller.customer}") {{ {fields} }} '
        f'b: customer(id: "cus_alice") {{ {fields} }} '
        f'c: customer(id: "{traveller.customer}") {{ '
        "journeys(status: COMPLETED) { edges { node { id } } } } }"
    )
    assert "errors" not in body, body
    assert body["data"]["a"]["activeJourney"] == {"id": traveller.sofa}
    assert body["data"]["c"]["journeys"]["edges"] == [{"node": {"id": traveller.refund}}]
    assert body["extensions"]["cypherRoundTrips"] == 2  # the profiles, then every journey field


async def test_the_full_context_with_journeys_gains_one_round_trip_at_most(
    gateway: Gateway, traveller: Traveller
):
    body = await gateway.query(
        """query($c: ID!) { customer(id: $c) {
             id identities { kind } devices { id } cart { version lines { product { sku } } }
             history(first: 10) { edges { node { id product { name } store { name } } } }
             recommendations(first: 5) { product { sku } }
             journeys(first: 5) { edges { node { id steps { n product { sku } store { id } } } } }
             activeJourney { id nextStep steps { n } } } }""",
        {"c": traveller.customer},
    )
    assert "errors" not in body, body
    assert body["extensions"]["cypherRoundTrips"] <= 4  # the context's three, plus journeys


async def test_resuming_records_one_step_and_hands_off_what_was_seen_and_tried(
    gateway: Gateway, traveller: Traveller, graph: GraphDatabase
):
    body = await _resume(gateway, traveller.sofa, "WEB")
    assert "errors" not in body, body
    hand_off = body["data"]["resumeJourney"]
    assert hand_off["journey"]["status"] == "ACTIVE"
    assert hand_off["journey"]["lastChannel"] == "WEB"
    assert [(s["n"], s["channel"], s["type"]) for s in hand_off["journey"]["steps"]] == [
        (1, "STORE", "STORE_VISIT"),
        (2, "STORE", "VIEW"),
        (3, "WEB", "VIEW"),
        (4, "APP", "ADD_TO_CART"),
        (5, "WEB", "RESUME"),
    ]
    assert [s["n"] for s in hand_off["stepsSoFar"]] == [1, 2, 3, 4, 5]
    assert hand_off["stepsSoFar"][0]["at"] == "2026-09-21T12:00:00+00:00"
    # Latest first: FX-P1 (added T-4d), FX-P2 (T-5d), FX-P6 (a view outside the journey, T-6d).
    assert [p["sku"] for p in hand_off["productsViewed"]] == ["FX-P1", "FX-P2", "FX-P6"]
    assert hand_off["productsTriedInStore"] == [{"sku": "FX-P1", "name": "Canapé Test"}]
    assert hand_off["cart"] == {"lines": [{"quantity": 1, "product": {"sku": "FX-P2"}}]}
    assert hand_off["nextStep"] == "next for buy a sofa"
    assert body["extensions"]["cypherRoundTrips"] == 2  # the transaction, then the cart's profile

    rows = await graph.read(
        "MATCH (c:Customer {id: $c})-[:DID]->(i:Interaction {type: 'resume'})"
        "<-[s:STEP]-(j:Journey {id: $j}) MATCH (i)-[:VIA]->(ch:Channel) "
        "RETURN i.id AS id, i.channel AS channel, s.n AS n, ch.code AS via",
        {"c": traveller.customer, "j": traveller.sofa},
    )
    assert len(rows) == 1
    assert rows[0]["id"].startswith("resume-")
    assert (rows[0]["channel"], rows[0]["n"], rows[0]["via"]) == ("web", 5, "web")


async def test_the_hand_off_reads_and_keeps_only_the_50_products_it_shows(
    gateway: Gateway, traveller: Traveller, graph: GraphDatabase
):
    """60 more products viewed twice each in the 14 days: the statement read all 123 touches and
    the idempotency key kept them all, though the answer shows 50 products."""
    tag = uuid.uuid4().hex[:8]
    skus = [f"HV-{tag}-{n:02d}" for n in range(60)]
    await graph.write(
        "MATCH (c:Customer {id: $c}) UNWIND range(0, size($skus) - 1) AS n "
        "CREATE (p:Product {sku: $skus[n], name: $skus[n], category: 'test', brand: 'Test'}) "
        "WITH c, n, p UNWIND [1, 2] AS twice "
        "CREATE (c)-[:DID]->(:Interaction {id: p.sku + '-' + twice, type: 'view', "
        "channel: 'web', at: $at - duration({minutes: n + 1, days: twice - 1})})"
        "-[:ABOUT]->(p)",
        {"c": traveller.customer, "skus": skus, "at": T - timedelta(days=4)},
    )
    try:
        idem = key()
        body = await _resume(gateway, traveller.sofa, idem=idem)
        assert "errors" not in body, body
        viewed = [p["sku"] for p in body["data"]["resumeJourney"]["productsViewed"]]
        assert viewed == ["FX-P1", *skus[:49]]  # FX-P1 added at T-4d, then a minute apart
        [kept] = await graph.read(
            "MATCH (k:IdempotencyKey {key: $key}) RETURN k.response AS response",
            {"key": f"anonymous:{idem}"},
        )
        stored = json.loads(kept["response"])
        assert [touch["product"]["sku"] for touch in stored["viewed"]] == viewed
        replay = await _resume(gateway, traveller.sofa, idem=idem)
        assert replay["data"] == body["data"]
    finally:
        await graph.write(
            "UNWIND $skus AS sku MATCH (p:Product {sku: sku})<-[:ABOUT]-(i:Interaction) "
            "DETACH DELETE p, i",
            {"skus": skus},
        )


async def test_a_replayed_resumption_returns_the_same_hand_off_with_no_second_step(
    gateway: Gateway, traveller: Traveller
):
    idem = key()
    first = await _resume(gateway, traveller.sofa, idem=idem)
    replay = await _resume(gateway, traveller.sofa, idem=idem)
    assert "errors" not in replay, replay
    assert replay["data"] == first["data"]
    body = await gateway.query(ACTIVE, {"c": traveller.customer})
    assert [s["n"] for s in body["data"]["customer"]["activeJourney"]["steps"]] == [1, 2, 3, 4, 5]
    again = await _resume(gateway, traveller.sofa, "APP")
    assert [s["n"] for s in again["data"]["resumeJourney"]["stepsSoFar"]] == [1, 2, 3, 4, 5, 6]


async def test_the_resumption_shows_in_the_customer_history(gateway: Gateway, traveller: Traveller):
    await _resume(gateway, traveller.sofa, "WEB")
    body = await gateway.query(
        "query($c: ID!) { customer(id: $c) { "
        "history(first: 1) { edges { node { type channel } } } } }",
        {"c": traveller.customer},
    )
    assert body["data"]["customer"]["history"]["edges"] == [
        {"node": {"type": "RESUME", "channel": "WEB"}}
    ]


async def test_resuming_an_abandoned_journey_makes_it_the_active_one(
    gateway: Gateway, traveller: Traveller
):
    body = await _resume(gateway, traveller.kitchen, "STORE")
    assert body["data"]["resumeJourney"]["journey"]["status"] == "ACTIVE"
    # No step of the kitchen journey is a view/add-to-cart in a store: nothing tried there.
    assert body["data"]["resumeJourney"]["productsTriedInStore"] == []
    active = await gateway.query(ACTIVE, {"c": traveller.customer})
    assert active["data"]["customer"]["activeJourney"]["id"] == traveller.kitchen
    assert active["data"]["customer"]["activeJourney"]["lastChannel"] == "STORE"


async def test_completed_and_unknown_journeys_are_refused_and_change_nothing(
    gateway: Gateway, traveller: Traveller
):
    completed = await _resume(gateway, traveller.refund)
    assert completed["data"]["resumeJourney"] is None
    [error] = completed["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "already completed" in error["message"]
    unknown = await _resume(gateway, f"jrn-nope-{uuid.uuid4().hex[:8]}")
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await gateway.query(
        JOURNEYS.replace("node { id }", "node { id status steps { n } }"),
        {"c": traveller.customer, "first": 10, "status": "COMPLETED"},
    )
    [edge] = body["data"]["customer"]["journeys"]["edges"]
    assert edge["node"] == {"id": traveller.refund, "status": "COMPLETED", "steps": [{"n": 1}]}


async def test_bad_resume_arguments_never_reach_the_graph_and_keys_are_not_shared(
    gateway: Gateway, traveller: Traveller
):
    for variables in ({"key": "short"}, {"j": "jrn with space"}):
        body = await gateway.query(
            RESUME, {"j": traveller.sofa, "ch": "WEB", "key": key(), **variables}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert body["extensions"]["cypherRoundTrips"] == 0
    idem = key()
    await _resume(gateway, traveller.sofa, idem=idem)
    reused = await _resume(gateway, traveller.lamp, idem=idem)
    assert reused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert reused["errors"][0]["extensions"]["argument"] == "idempotencyKey"
