import logging

from tests.conftest import Gateway
from tests.fixture_dataset import ALICE, BOB, CAROL, DAVE, ERIN

CONTEXT_FIELDS = """
  id displayName
  identities { kind value }
  devices { id }
  cart { version lines { quantity product { sku name } } }
  history(first: 10) { edges { node { id type channel product { name } store { name } } } }
  recommendations(first: 5) { product { sku name } score }
"""


async def test_the_full_customer_context_costs_one_round_trip(gateway: Gateway):
    body = await gateway.query(f'query {{ customer(id: "{ALICE}") {{ {CONTEXT_FIELDS} }} }}')
    assert "errors" not in body
    trips = body["extensions"]["cypherRoundTrips"]
    logging.getLogger("parcours.tests").info("customer context: %s Cypher round trips", trips)
    assert trips == 1


async def test_the_one_statement_context_answers_what_the_field_loaders_answer(gateway: Gateway):
    # `types: null` changes nothing in the answer but is not the plain form the customer field
    # reads ahead, so history and recommendations then come from their own loaders.
    fields = CONTEXT_FIELDS.replace("recommendations(first: 5)", "recommendations(first: $n)")
    plain = f"query($id: ID!, $n: Int!) {{ customer(id: $id) {{ {fields} }} }}"
    spelled_out = plain.replace("history(first: 10)", "history(first: 10, types: null)").replace(
        "recommendations(first: $n)", "recommendations(first: $n) @include(if: true)"
    )
    for customer in (ALICE, BOB, CAROL, DAVE, ERIN):
        fast = await gateway.query(plain, {"id": customer, "n": 5})
        slow = await gateway.query(spelled_out, {"id": customer, "n": 5})
        assert "errors" not in fast, fast
        assert fast["data"] == slow["data"]
        assert fast["extensions"]["cypherRoundTrips"] == 1
        # History and recommendations each on their own (the profile may come from Redis).
        assert slow["extensions"]["cypherRoundTrips"] >= 2
    alice = (await gateway.query(plain, {"id": ALICE, "n": 5}))["data"]["customer"]
    assert [r["product"]["sku"] for r in alice["recommendations"]] == ["FX-P5", "FX-P6"]
    assert len(alice["history"]["edges"]) == 10


async def test_an_unknown_customer_read_ahead_is_still_not_found(gateway: Gateway):
    body = await gateway.query(
        'query { customer(id: "cus_nobody") { id recommendations(first: 3) { score } } }'
    )
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_five_customers_in_one_request_are_batched_not_n_plus_one(gateway: Gateway):
    customers = [ALICE, BOB, CAROL, DAVE, ERIN]
    aliased = " ".join(
        f'c{n}: customer(id: "{cid}") {{ {CONTEXT_FIELDS} }}' for n, cid in enumerate(customers)
    )
    body = await gateway.query(f"query {{ {aliased} }}")
    assert "errors" not in body
    assert body["extensions"]["cypherRoundTrips"] == 1
    # One statement for five, and each alias still gets its own customer's context, as asked
    # alone (a batch whose rows came back to the wrong requests was answered as well as this).
    for n, customer in enumerate(customers):
        alone = await gateway.query(
            f'query {{ customer(id: "{customer}") {{ {CONTEXT_FIELDS} }} }}'
        )
        assert body["data"][f"c{n}"] == alone["data"]["customer"], customer
        assert body["data"][f"c{n}"]["id"] == customer
