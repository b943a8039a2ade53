"""The response cache (``response_cache_enabled``): whole answers of one-customer queries in
Redis, unreachable as soon as a write names the customer, never for anything else."""

import hashlib
import uuid
from typing import Any

import orjson
import pytest

from gateway.response_cache import HIT_HEADER, customer_argument
from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway

JSON = "application/json"

HOME = """
query Home($id: ID!) {
  customer(id: $id) { id displayName cart { version lines { quantity product { sku } } } }
}
"""
ADD = """
mutation($c: ID!, $key: String!) {
  addCartItem(customerId: $c, sku: "FX-P1", quantity: 1, channel: WEB, idempotencyKey: $key) {
    version
  }
}
"""


async def post(gateway: Gateway, query: str, variables: dict[str, Any]) -> tuple[str | None, Any]:
    async with gateway.session.post(
        f"{gateway.url}/graphql", json={"query": query, "variables": variables}
    ) as response:
        assert response.status == 200
        return response.headers.get(HIT_HEADER), await response.json()


@pytest.fixture
async def cached(services: Services, graph: GraphDatabase):
    async with running_gateway(services.settings(response_cache_enabled=True)) as gateway:
        yield gateway


async def test_a_repeated_query_is_answered_from_redis_without_cypher(cached: Gateway, customer):
    first_state, first = await post(cached, HOME, {"id": customer})
    second_state, second = await post(cached, HOME, {"id": customer})
    assert first_state == "miss"
    assert first["extensions"]["cypherRoundTrips"] >= 1
    assert second_state == "hit"
    assert second["data"] == first["data"]
    assert second["extensions"]["cypherRoundTrips"] == 0


async def test_a_write_naming_the_customer_makes_the_old_answer_unreachable(
    cached: Gateway, customer
):
    await post(cached, HOME, {"id": customer})
    _, before = await post(cached, HOME, {"id": customer})
    assert before["data"]["customer"]["cart"] is None
    _, added = await post(cached, ADD, {"c": customer, "key": uuid.uuid4().hex})
    assert added["data"]["addCartItem"]["version"] == 1
    state, after = await post(cached, HOME, {"id": customer})
    assert state == "miss"
    assert after["data"]["customer"]["cart"]["version"] == 1
    assert after["data"]["customer"]["cart"]["lines"] == [
        {"quantity": 1, "product": {"sku": "FX-P1"}}
    ]


async def test_other_operations_go_through_untouched(cached: Gateway, customer):
    two = "query($id: ID!, $o: ID!) { a: customer(id: $id) { id } b: customer(id: $o) { id } }"
    for query, variables in [
        (two, {"id": customer, "o": customer}),
        (ADD, {"c": customer, "key": uuid.uuid4().hex}),
        ('{ customerByIdentity(kind: EMAIL, value: "nobody@example.com") { id } }', {}),
    ]:
        for _ in range(2):
            state, body = await post(cached, query, variables)
            assert state is None
            assert "data" in body


async def test_the_cache_is_off_unless_switched_on(gateway: Gateway, customer):
    states = [(await post(gateway, HOME, {"id": customer}))[0] for _ in range(2)]
    assert states == [None, None]


def test_only_a_query_of_one_customer_root_field_is_cacheable():
    assert customer_argument("query($c: ID!) { customer(id: $c) { id } }", None) == ("c", True)
    assert customer_argument('{ customer(id: "cus_1") { id } }', None) == ("cus_1", False)
    assert customer_argument("mutation($c: ID!) { customer(id: $c) { id } }", None) is None
    assert customer_argument('{ customer(id: "a") { id } catalog { id } }', None) is None
    assert customer_argument('{ customer(id: "a") @include(if: true) { id } }', None) is None
    assert customer_argument("{ customer(id: ", None) is None
    named = 'query A { customer(id: "x") { id } } query B { products { id } }'
    assert customer_argument(named, "A") == ("x", False)
    assert customer_argument(named, "B") is None
    assert customer_argument(named, None) is None


async def test_a_caller_with_credentials_is_never_answered_from_the_cache(
    cached: Gateway, customer
):
    await post(cached, HOME, {"id": customer})
    state, _ = await post(cached, HOME, {"id": customer})
    assert state == "hit"
    for header in ({"X-API-Key": "pk_forged"}, {"Authorization": "Bearer not.a.jwt"}):
        async with cached.session.post(
            f"{cached.url}/graphql",
            json={"query": HOME, "variables": {"id": customer}},
            headers=header,
        ) as response:
            assert response.status == 401
            assert HIT_HEADER not in response.headers


async def _raw(gateway: Gateway, body: dict[str, Any], content_type: str) -> tuple[int, Any]:
    async with gateway.session.post(
        f"{gateway.url}/graphql", data=orjson.dumps(body), headers={"Content-Type": content_type}
    ) as response:
        return response.status, await response.json()


WRONG_HASH = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
REFUSED_BY_THE_VIEW = {
    "JSON in Latin-1": ({}, "application/json; charset=iso-8859-1", 415),
    "a hash that is not the query's": ({"extensions": WRONG_HASH}, JSON, 400),
    "extensions that are not an object": ({"extensions": [1]}, JSON, 400),
}


@pytest.mark.parametrize(
    ("extra", "content_type", "status"),
    list(REFUSED_BY_THE_VIEW.values()),
    ids=list(REFUSED_BY_THE_VIEW),
)
async def test_a_request_the_view_refuses_is_refused_even_when_its_answer_is_cached(
    cached: Gateway, customer, extra: dict[str, Any], content_type: str, status: int
):
    await post(cached, HOME, {"id": customer})
    state, _ = await post(cached, HOME, {"id": customer})
    assert state == "hit"
    body = {"query": HOME, "variables": {"id": customer}}
    answered, answer = await _raw(cached, {**body, **extra}, content_type)
    assert (answered, "data" in answer) == (status, False), answer
    answered, answer = await _raw(cached, body, "application/json; charset=utf8")
    assert (answered, answer["data"]["customer"]["id"]) == (200, customer)  # UTF-8: served


async def test_a_query_sent_with_its_hash_is_registered_even_when_its_answer_is_cached(
    cached: Gateway, customer
):
    """Apollo's protocol: a hash the server does not know is sent again with its text, which
    registers it. A cached answer to that second request skipped the registration, so the hash
    alone was never found and every later request cost two."""
    text = f"{HOME} # {uuid.uuid4().hex}"  # a text of this test's own: registered nowhere yet
    digest = hashlib.sha256(text.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await post(cached, text, {"id": customer})
    state, _ = await post(cached, text, {"id": customer})
    assert state == "hit"
    registering = {"query": text, "variables": {"id": customer}, "extensions": persisted}
    assert (await _raw(cached, registering, JSON))[0] == 200
    hash_only = {"variables": {"id": customer}, "extensions": persisted}
    status, answer = await _raw(cached, hash_only, JSON)
    assert (status, answer.get("errors")) == (200, None), answer
    assert answer["data"]["customer"]["id"] == customer, answer


async def test_where_anonymous_access_is_off_the_cache_is_not_installed(
    services: Services, cached: Gateway, customer
):
    await post(cached, HOME, {"id": customer})  # the entry exists in the shared Redis
    settings = services.settings(response_cache_enabled=True, allow_anonymous=False)
    async with (
        running_gateway(settings) as gateway,
        gateway.session.post(
            f"{gateway.url}/graphql", json={"query": HOME, "variables": {"id": customer}}
        ) as response,
    ):
        assert response.status == 401
        assert HIT_HEADER not in response.headers


CONSENTS = "query($id: ID!) { customer(id: $id) { id consents { purpose granted } } }"
SET_CONSENT = """
mutation($c: ID!, $g: Boolean!) {
  setConsent(customerId: $c, purpose: PERSONALISATION, granted: $g, channel: WEB) { granted }
}
"""


async def test_a_consent_decision_makes_the_old_answer_unreachable(cached: Gateway, customer):
    await post(cached, SET_CONSENT, {"c": customer, "g": True})
    await post(cached, CONSENTS, {"id": customer})
    state, before = await post(cached, CONSENTS, {"id": customer})
    assert state == "hit"
    assert before["data"]["customer"]["consents"] == [
        {"purpose": "PERSONALISATION", "granted": True}
    ]
    _, withdrawn = await post(cached, SET_CONSENT, {"c": customer, "g": False})
    assert withdrawn["data"]["setConsent"] == {"granted": False}
    state, after = await post(cached, CONSENTS, {"id": customer})
    assert state == "miss"
    assert after["data"]["customer"]["consents"] == [
        {"purpose": "PERSONALISATION", "granted": False}
    ]


CONFLICTS = """
query($id: ID!) { customer(id: $id) { id identityConflicts(first: 5) {
  edges { node { kind value reason otherCustomerId } } } } }
"""
LINK = """
mutation($c: ID!, $v: String!) {
  linkIdentity(customerId: $c, kind: EMAIL, value: $v, channel: WEB) { outcome conflictId }
}
"""


async def test_a_link_refused_as_a_conflict_makes_the_old_answer_unreachable(
    cached: Gateway, graph: GraphDatabase, customer
):
    """A conflict changes the customer's ``identityConflicts``: their cached answers must go."""
    holder, email = f"cus_holder_{uuid.uuid4().hex[:12]}", f"{uuid.uuid4().hex}@example.com"
    await graph.write(
        "CREATE (c:Customer {id: $id, displayName: 'Holder', createdAt: datetime()}) "
        "MERGE (i:Identity {kind: 'email', value: $email}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i)",
        {"id": holder, "email": email},
    )
    await post(cached, CONFLICTS, {"id": customer})
    state, before = await post(cached, CONFLICTS, {"id": customer})
    assert state == "hit"
    assert before["data"]["customer"]["identityConflicts"]["edges"] == []
    _, linked = await post(cached, LINK, {"c": customer, "v": email})
    assert linked["data"]["linkIdentity"]["outcome"] == "CONFLICT", linked
    state, after = await post(cached, CONFLICTS, {"id": customer})
    assert state == "miss"
    assert after["data"]["customer"]["identityConflicts"]["edges"] == [
        {
            "node": {
                "kind": "EMAIL",
                "value": email,
                "reason": "held_by_another_customer",
                "otherCustomerId": holder,
            }
        }
    ]
