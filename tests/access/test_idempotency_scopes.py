"""Each partner has its own idempotency keys: one partner's key never answers, nor refuses,
another's write. Through HTTP on the production gateway, with the real graph."""

from __future__ import annotations

import uuid

from graph import GraphDatabase
from graph.checkout import CheckoutRequest
from tests.access.conftest import Answer, MakeCustomer, MakePartner, call
from tests.conftest import Gateway

ADD = """
mutation($c: ID!, $sku: ID!, $q: Int!, $key: String!) {
  addCartItem(customerId: $c, sku: $sku, quantity: $q, channel: PARTNER, idempotencyKey: $key)
  { version lines { quantity product { sku } } }
}
"""
RESUME = """
mutation($j: ID!, $key: String!) {
  resumeJourney(journeyId: $j, channel: PARTNER, idempotencyKey: $key) { stepsSoFar { n } }
}
"""
JOURNEY = """
MATCH (c:Customer {id: $c})
CREATE (c)-[:DID]->(i:Interaction {id: $j + '-e1', at: datetime(), type: 'view', channel: 'web'})
CREATE (c)-[:ON_JOURNEY]->(j:Journey {id: $j, intent: 'buy a sofa', status: 'active',
                                      startedAt: datetime()})
CREATE (j)-[:STEP {n: 1}]->(i)
"""
# What a key kept before partner scoping looks like: under the anonymous scope, no customerId.
AS_KEPT_BEFORE = """
MATCH (k:IdempotencyKey {key: $scoped})
SET k.key = $legacy
REMOVE k.customerId
"""
WRITERS = ("customer:read", "cart:read", "cart:write", "journey:write")


def _key() -> str:
    return f"scope-{uuid.uuid4().hex}"


async def _add(gateway: Gateway, writer: str, customer: str, key: str, quantity: int) -> Answer:
    """``quantity`` units of FX-P1 added by the partner whose API key is ``writer``."""
    variables = {"c": customer, "sku": "FX-P1", "q": quantity, "key": key}
    return await call(gateway, ADD, variables, key=writer)


async def test_two_partners_may_use_one_key_for_different_changes(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    customer = await make_customer()
    _, first = await make_partner(*WRITERS)
    _, second = await make_partner(*WRITERS)
    key = _key()
    one = await _add(secure_gateway, first, customer, key, 1)
    two = await _add(secure_gateway, second, customer, key, 2)
    assert one.codes() == {}, one.body
    assert two.codes() == {}, two.body
    assert one.data["addCartItem"]["version"] == 1
    assert two.data["addCartItem"]["version"] == 2
    assert two.data["addCartItem"]["lines"] == [{"quantity": 3, "product": {"sku": "FX-P1"}}]
    again = await _add(secure_gateway, second, customer, key, 2)
    assert again.data == two.data  # its own key still replays its own answer


async def test_a_partner_never_gets_another_partners_answer_for_the_same_request(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    customer = await make_customer()
    journey = f"jny-scope-{uuid.uuid4().hex[:10]}"
    await graph.write(JOURNEY, {"c": customer, "j": journey})
    _, first = await make_partner(*WRITERS)
    _, second = await make_partner(*WRITERS)
    key = _key()
    one = await call(secure_gateway, RESUME, {"j": journey, "key": key}, key=first)
    two = await call(secure_gateway, RESUME, {"j": journey, "key": key}, key=second)
    assert [s["n"] for s in one.data["resumeJourney"]["stepsSoFar"]] == [1, 2]
    assert [s["n"] for s in two.data["resumeJourney"]["stepsSoFar"]] == [1, 2, 3], two.body


async def test_a_retry_of_a_write_kept_before_partner_scoping_still_replays(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    customer = await make_customer()
    partner, writer = await make_partner(*WRITERS)
    key = _key()
    first = await _add(secure_gateway, writer, customer, key, 1)
    assert first.data["addCartItem"]["version"] == 1
    await graph.write(AS_KEPT_BEFORE, {"scoped": f"{partner}:{key}", "legacy": f"anonymous:{key}"})
    retry = await _add(secure_gateway, writer, customer, key, 1)
    assert retry.data == first.data  # no second unit


async def test_a_key_of_the_anonymous_caller_since_scoping_is_not_a_partners(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    customer = await make_customer()
    partner, writer = await make_partner(*WRITERS)
    key = _key()
    first = await _add(secure_gateway, writer, customer, key, 1)
    # The same node under the anonymous scope, as a dev gateway's write keeps it now.
    await graph.write(
        "MATCH (k:IdempotencyKey {key: $scoped}) SET k.key = $anonymous",
        {"scoped": f"{partner}:{key}", "anonymous": f"anonymous:{key}"},
    )
    other = await _add(secure_gateway, writer, customer, key, 1)
    assert first.data["addCartItem"]["version"] == 1
    assert other.data["addCartItem"]["version"] == 2


def test_the_order_system_gets_a_key_of_the_cart_version_whoever_asks():
    """Two partners' one key for two carts never meets at the OMS; one cart version is one
    order, whichever key a caller's retry uses (tests/federation/test_checkout.py)."""

    def request(cart: str, version: int, caller: str, key: str) -> CheckoutRequest:
        return CheckoutRequest(cart, version, "DELIVERY", None, key, "web", caller)

    assert request("cart-1", 1, "partner-1", "key-00001").order_key == "checkout:cart-1:v1"
    assert request("cart-2", 1, "partner-2", "key-00001").order_key == "checkout:cart-2:v1"
    assert request("cart-1", 1, "anonymous", "key-00002").order_key == "checkout:cart-1:v1"
    assert request("cart-1", 2, "anonymous", "key-00002").order_key == "checkout:cart-1:v2"
