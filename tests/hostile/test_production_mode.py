"""Production mode: no introspection, no suggestions, no GraphiQL; internal errors masked."""

from __future__ import annotations

import pytest

from graph import GraphDatabase
from tests.conftest import Gateway
from tests.fixture_dataset import ALICE
from tests.hostile._http import GRAPHQL_RESPONSE, new_customer, send

INTROSPECTION = {
    "schema": "{ __schema { queryType { name } types { name } } }",
    "type": '{ __type(name: "Customer") { name fields { name } } }',
    "in a fragment": "{ ...F } fragment F on Query { __schema { types { name } } }",
    "under an alias": '{ t: __type(name: "Query") { name } }',
}


@pytest.mark.parametrize("query", list(INTROSPECTION.values()), ids=list(INTROSPECTION))
async def test_introspection_is_refused_in_production(
    production_gateway: Gateway, query: str
) -> None:
    raw = await send(
        production_gateway, body={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert raw.status == 400, raw.body
    assert set(raw.codes()) == {"GRAPHQL_VALIDATION_FAILED"}
    assert all("introspection" in e["message"].lower() for e in raw.errors), raw.errors


async def test_introspection_is_served_in_dev(gateway: Gateway) -> None:
    raw = await send(gateway, body={"query": INTROSPECTION["type"]})
    assert raw.body["data"]["__type"]["name"] == "Customer"


async def test_typename_still_answers_in_production(production_gateway: Gateway) -> None:
    raw = await send(production_gateway, body={"query": "{ __typename }"})
    assert raw.body["data"] == {"__typename": "Query"}
    assert "errors" not in raw.body


MISSPELLED = {
    "field": '{ custmer(id: "cus_alice") { id } }',
    "nested field": '{ customer(id: "cus_alice") { identites { kind } } }',
    "argument": '{ customer(idd: "cus_alice") { id } }',
    "type": 'query($k: IdentityKnd!) { customerByIdentity(kind: $k, value: "x") { id } }',
    "enum value": '{ customerByIdentity(kind: EMAL, value: "x") { id } }',
    "input field": (
        'mutation { checkout(cartId: "k", expectedVersion: 1, idempotencyKey: "i", '
        "fulfilment: {typ: DELIVERY}) { replayed } }"
    ),
    "fragment type": '{ customer(id: "cus_alice") { ...F } } fragment F on Custommer { id }',
}


@pytest.mark.parametrize("query", list(MISSPELLED.values()), ids=list(MISSPELLED))
async def test_no_error_suggests_a_name_in_production(
    production_gateway: Gateway, gateway: Gateway, query: str
) -> None:
    raw = await send(production_gateway, body={"query": query})
    assert raw.errors, raw.body
    assert raw.codes() == ["GRAPHQL_VALIDATION_FAILED"] * len(raw.errors)
    assert all("did you mean" not in e["message"].lower() for e in raw.errors), raw.errors
    # The control: dev does suggest the name, so the production answer is a real change.
    dev = await send(gateway, body={"query": query})
    assert any("Did you mean" in e["message"] for e in dev.errors), dev.errors


@pytest.mark.parametrize("accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8"])
async def test_graphiql_is_not_served_in_production(
    production_gateway: Gateway, accept: str
) -> None:
    raw = await send(production_gateway, method="GET", headers={"Accept": accept})
    assert 400 <= raw.status < 500, raw.body
    assert "html" not in raw.content_type
    assert "graphiql" not in str(raw.body).lower()
    assert raw.errors[0]["extensions"]["code"]


async def test_graphiql_is_served_in_dev(gateway: Gateway) -> None:
    async with gateway.session.get(
        f"{gateway.url}/graphql", headers={"Accept": "text/html"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "graphiql" in (await response.text()).lower()


async def test_an_internal_error_is_masked_with_the_request_id_in_production(
    production_gateway: Gateway, graph: GraphDatabase
) -> None:
    """A customer whose createdAt is a number (not a date-time) cannot be decoded: a real bug."""
    customer_id = await new_customer(graph, "undecodable")
    await graph.write("MATCH (c:Customer {id: $id}) SET c.createdAt = 42", {"id": customer_id})
    raw = await send(
        production_gateway,
        body={
            "query": "query($id: ID!) { customer(id: $id) { id createdAt } }",
            "variables": {"id": customer_id},
        },
        headers={"X-Request-Id": "hostile-test-request-0001"},
    )
    assert raw.status == 200
    assert raw.body["data"] == {"customer": None}
    [error] = raw.errors
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "hostile-test-request-0001"}
    assert raw.headers["X-Request-Id"] == "hostile-test-request-0001"
    text = str(raw.body)
    assert "TypeError" not in text
    assert "date-time" not in text
    assert "Traceback" not in text


async def test_a_generated_request_id_matches_the_header(
    production_gateway: Gateway, graph: GraphDatabase
) -> None:
    customer_id = await new_customer(graph, "undecodable")
    await graph.write(
        "MATCH (c:Customer {id: $id}) SET c.createdAt = 'not a date'", {"id": customer_id}
    )
    raw = await send(
        production_gateway,
        body={
            "query": "query($id: ID!) { customer(id: $id) { id } }",
            "variables": {"id": customer_id},
        },
    )
    [error] = raw.errors
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"] == raw.headers["X-Request-Id"]


async def test_our_coded_errors_pass_through_unmasked_in_production(
    production_gateway: Gateway,
) -> None:
    raw = await send(
        production_gateway,
        body={
            "query": '{ missing: customer(id: "cus_nobody") { id } '
            f'alice: customer(id: "{ALICE}") {{ history(first: 1000) {{ edges {{ cursor }} }} }} }}'
        },
    )
    codes = {e["path"][0]: e["extensions"]["code"] for e in raw.errors}
    assert codes == {"missing": "NOT_FOUND", "alice": "BAD_USER_INPUT"}
    messages = " ".join(e["message"] for e in raw.errors)
    assert "cus_nobody" in messages
    assert "between 1 and 100" in messages
    assert all(e["extensions"]["requestId"] == raw.headers["X-Request-Id"] for e in raw.errors)


async def test_cypher_round_trips_are_reported_in_dev_only(
    production_gateway: Gateway, gateway: Gateway
) -> None:
    # The README's promise: "in dev mode" the answer says what it cost in Cypher statements; a
    # production answer left it in every response, telling any caller how the graph is read.
    query = {"query": f'{{ customer(id: "{ALICE}") {{ id }} }}'}
    production = await send(production_gateway, body=query)
    assert production.body["data"] == {"customer": {"id": ALICE}}
    assert "cypherRoundTrips" not in production.body.get("extensions", {})
    dev = await send(gateway, body=query)
    assert isinstance(dev.body["extensions"]["cypherRoundTrips"], int)  # 0 from the cache
