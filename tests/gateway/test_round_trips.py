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


async def test_the_full_customer_context_costs_at_most_three_round_trips(gateway: Gateway):
    body = await gateway.query(f'query {{ customer(id: "{ALICE}") {{ {CONTEXT_FIELDS} }} }}')
    assert "errors" not in body
    trips = body["extensions"]["cypherRoundTrips"]
    logging.getLogger("parcours.tests").info("customer context: %s Cypher round trips", trips)
    assert trips <= 3


async def test_five_customers_in_one_request_are_batched_not_n_plus_one(gateway: Gateway):
    aliased = " ".join(
        f'c{n}: customer(id: "{cid}") {{ {CONTEXT_FIELDS} }}'
        for n, cid in enumerate([ALICE, BOB, CAROL, DAVE, ERIN])
    )
    body = await gateway.query(f"query {{ {aliased} }}")
    assert "errors" not in body
    assert all(body["data"][f"c{n}"] for n in range(5))
    assert body["extensions"]["cypherRoundTrips"] <= 3
