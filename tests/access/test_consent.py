"""Consent per purpose through HTTP: setConsent and Customer.consents; personalisation refused →
no recommendations for anyone; partners restricted to consenting customers (or acting for
marketing) see nothing of the others, by id, by identity, nested, in writes."""

from __future__ import annotations

import uuid

from graph import GraphDatabase
from tests.access.conftest import MakeCustomer, MakePartner, call
from tests.conftest import Gateway

SET = """
mutation($c: ID!, $p: ConsentPurpose!, $g: Boolean!) {
  setConsent(customerId: $c, purpose: $p, granted: $g, channel: WEB) { purpose granted source }
}
"""
RECOMMEND = "query($c: ID!) { customer(id: $c) { recommendations(first: 5) { product { sku } } } }"
BY_ID = "query($c: ID!) { customer(id: $c) { id displayName cart { id } } }"
BY_EMAIL = (
    "query($v: String!) { customerByIdentity(kind: EMAIL, value: $v) "
    "{ id identities { kind value } } }"
)


async def _viewer_of_a_product_bob_bought(graph: GraphDatabase, customer: str) -> None:
    """Give ``customer`` a view of FX-P5, which Bob bought with other products."""
    await graph.write(
        "MATCH (c:Customer {id: $c}), (p:Product {sku: 'FX-P5'}) "
        "CREATE (c)-[:DID]->(i:Interaction {id: $i, at: datetime(), type: 'view', "
        "channel: 'web'})-[:ABOUT]->(p)",
        {"c": customer, "i": f"acc-{uuid.uuid4().hex}"},
    )


async def test_refusing_personalisation_empties_recommendations_for_every_caller(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    customer = await make_customer()
    await _viewer_of_a_product_bob_bought(graph, customer)
    _, partner = await make_partner("customer:read", "recommendations:read")
    before = await call(gateway, RECOMMEND, {"c": customer})
    assert before.data["customer"]["recommendations"], "the customer should get some at first"

    answer = await call(gateway, SET, {"c": customer, "p": "PERSONALISATION", "g": False})
    assert answer.data == {
        "setConsent": {"purpose": "PERSONALISATION", "granted": False, "source": "web"}
    }
    consents = await call(
        gateway,
        "query($c: ID!) { customer(id: $c) { consents { purpose granted } } }",
        {"c": customer},
    )
    assert consents.data["customer"]["consents"] == [
        {"purpose": "PERSONALISATION", "granted": False}
    ]
    assert (await call(gateway, RECOMMEND, {"c": customer})).data["customer"] == {
        "recommendations": []
    }
    by_partner = await call(secure_gateway, RECOMMEND, {"c": customer}, key=partner)
    assert by_partner.data["customer"] == {"recommendations": []}

    await call(gateway, SET, {"c": customer, "p": "PERSONALISATION", "g": True})
    assert (await call(gateway, RECOMMEND, {"c": customer})).data["customer"]["recommendations"]


async def test_a_restricted_partner_sees_only_customers_who_granted_the_purpose(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    consenting = await make_customer(partner_sharing=True)
    refusing = await make_customer(partner_sharing=False)
    silent = await make_customer()
    _, key = await make_partner(
        "customer:read", "pii:read", "cart:read", "cart:write", restriction="partner_sharing"
    )
    ok = await call(secure_gateway, BY_ID, {"c": consenting}, key=key)
    assert ok.data["customer"]["id"] == consenting
    for other in (refusing, silent):
        by_id = await call(secure_gateway, BY_ID, {"c": other}, key=key)
        assert by_id.data == {"customer": None}
        assert by_id.codes() == {"customer": "FORBIDDEN"}
        by_identity = await call(secure_gateway, BY_EMAIL, {"v": f"{other}@example.test"}, key=key)
        assert by_identity.data == {"customerByIdentity": None}
        assert by_identity.codes() == {"customerByIdentity": "FORBIDDEN"}
    # Nested in one document: the allowed customer resolves, the other is null, nothing of it
    # leaks through its nested fields.
    both = await call(
        secure_gateway,
        "query($a: ID!, $b: ID!) { a: customer(id: $a) { id identities { value } } "
        "b: customer(id: $b) { id identities { value } cart { id } } }",
        {"a": consenting, "b": refusing},
        key=key,
    )
    assert both.data["a"]["id"] == consenting
    assert both.data["b"] is None
    assert both.codes() == {"b": "FORBIDDEN"}
    # Writes too.
    write = await call(
        secure_gateway,
        'mutation($c: ID!, $k: String!) { addCartItem(customerId: $c, sku: "FX-P1", '
        "channel: PARTNER, idempotencyKey: $k) { version } }",
        {"c": refusing, "k": f"acc-{uuid.uuid4().hex}"},
        key=key,
    )
    assert write.data == {"addCartItem": None}
    assert write.codes() == {"addCartItem": "FORBIDDEN"}


async def test_a_marketing_partner_sees_nothing_of_a_customer_who_refused_marketing(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
):
    customer = await make_customer(marketing=False)
    _, marketer = await make_partner("customer:read", purposes=("marketing",))
    _, service = await make_partner("customer:read", purposes=("personalisation",))
    refused = await call(secure_gateway, BY_ID, {"c": customer}, key=marketer)
    assert refused.data == {"customer": None}
    assert refused.codes() == {"customer": "FORBIDDEN"}
    assert (await call(secure_gateway, BY_ID, {"c": customer}, key=service)).data["customer"]
    await call(gateway, SET, {"c": customer, "p": "MARKETING", "g": True})
    granted = await call(secure_gateway, BY_ID, {"c": customer}, key=marketer)
    assert granted.data["customer"]["id"] == customer


async def test_set_consent_needs_consent_write_and_a_known_customer(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    customer = await make_customer()
    _, reader = await make_partner("customer:read")
    refused = await call(
        secure_gateway, SET, {"c": customer, "p": "MARKETING", "g": True}, key=reader
    )
    assert refused.codes() == {"setConsent": "FORBIDDEN"}
    _, writer = await make_partner("consent:write")
    unknown = await call(
        secure_gateway, SET, {"c": "cus_nobody_x", "p": "MARKETING", "g": True}, key=writer
    )
    assert unknown.codes() == {"setConsent": "NOT_FOUND"}


async def test_a_restricted_partner_cannot_write_by_cart_or_journey_of_other_customers(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    refusing = await make_customer(partner_sharing=False)
    cart, journey = f"cart-acc-{uuid.uuid4().hex[:8]}", f"jny-acc-{uuid.uuid4().hex[:8]}"
    await graph.write(
        "MATCH (c:Customer {id: $c}) "
        "CREATE (c)-[:HAS_CART]->(:Cart {id: $cart, version: 1, status: 'active', "
        "updatedAt: datetime()}) "
        "CREATE (c)-[:ON_JOURNEY]->(:Journey {id: $journey, intent: 'buy a sofa', "
        "status: 'active', startedAt: datetime()})",
        {"c": refusing, "cart": cart, "journey": journey},
    )
    _, key = await make_partner(
        "cart:write", "journey:write", "customer:read", restriction="partner_sharing"
    )
    checkout = await call(
        secure_gateway,
        "mutation($k: ID!, $i: String!) { checkout(cartId: $k, expectedVersion: 1, "
        "fulfilment: {type: DELIVERY}, idempotencyKey: $i) { replayed } }",
        {"k": cart, "i": f"acc-{uuid.uuid4().hex}"},
        key=key,
    )
    assert checkout.data == {"checkout": None}
    assert checkout.codes() == {"checkout": "FORBIDDEN"}
    resume = await call(
        secure_gateway,
        "mutation($j: ID!, $i: String!) { resumeJourney(journeyId: $j, channel: PARTNER, "
        "idempotencyKey: $i) { nextStep } }",
        {"j": journey, "i": f"acc-{uuid.uuid4().hex}"},
        key=key,
    )
    assert resume.data == {"resumeJourney": None}
    assert resume.codes() == {"resumeJourney": "FORBIDDEN"}


async def test_a_restricted_partner_cannot_tell_an_unknown_customer_from_a_refusing_one(
    gateway: Gateway,
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
):
    # Otherwise NOT_FOUND vs FORBIDDEN tells a partner which emails (or ids) are customers,
    # including those who refused it.
    refusing = await make_customer(partner_sharing=False)
    unknown_id, unknown_email = (
        f"cus_nobody_{uuid.uuid4().hex[:8]}",
        f"no-{uuid.uuid4().hex}@x.test",
    )
    _, key = await make_partner("customer:read", "pii:read", restriction="partner_sharing")
    for query, variables, field in (
        (BY_ID, {"c": refusing}, "customer"),
        (BY_ID, {"c": unknown_id}, "customer"),
        (BY_EMAIL, {"v": f"{refusing}@example.test"}, "customerByIdentity"),
        (BY_EMAIL, {"v": unknown_email}, "customerByIdentity"),
    ):
        answer = await call(secure_gateway, query, variables, key=key)
        assert answer.data == {field: None}
        [error] = answer.body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", (variables, error)
        assert error["message"] == "this customer has not consented to what this partner needs"
        assert error["extensions"]["purposes"] == ["partner_sharing"]
    # Callers without a restriction still learn that nobody holds it.
    unknown = await call(gateway, BY_EMAIL, {"v": unknown_email})
    assert unknown.codes() == {"customerByIdentity": "NOT_FOUND"}
