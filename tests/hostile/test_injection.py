"""Strings that look like Cypher (or SQL, or a parameter) are data: stored and returned verbatim."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from graph import GraphDatabase
from simulators._webhooks import signed_headers
from tests.conftest import Gateway
from tests.fixture_dataset import ALICE, BOB
from tests.hostile._http import new_customer, send

INJECTIONS = [
    '"}) MATCH (n) DETACH DELETE n //',
    "' OR 1=1 --",
    "`Customer`) DETACH DELETE (`x",
    "$id } RETURN 1 UNION MATCH (n) RETURN n //",
    "\\u0027}) CALL db.clearQueryCaches() //",
    "Ünïcødé 🛋️ 〈script〉 \u202e DROP",
]
# An email holds no whitespace: the same ideas, squeezed.
EMAIL_INJECTIONS = [
    "x'or'1'='1\"})match(n)detach_delete(n)//@evil.test",
    "`customer`)-[:x]->($id)//ü@évil.test",
]


async def _snapshot(graph: GraphDatabase, customer_id: str) -> dict[str, int]:
    rows = await graph.read(
        "MATCH (c:Customer {id: $id}) RETURN "
        "COUNT { (c)-[:IDENTIFIED_BY]->() } AS identities, "
        "COUNT { (c)-[:DID]->() } AS interactions, "
        "COUNT { (c)-[:HAS_CART]->() } AS carts, "
        "COUNT { MATCH (o:Customer) WHERE o.id IN $seeded } AS seeded, "
        "COUNT { MATCH (n) } AS nodes",
        {"id": customer_id, "seeded": [ALICE, BOB]},
    )
    return dict(rows[0])


async def test_cypher_looking_emails_are_linked_and_resolve_verbatim(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    for value in EMAIL_INJECTIONS:
        # One email per customer: a second would be a stitching conflict, not what is tested.
        customer_id = await new_customer(graph, "inject")
        before = await _snapshot(graph, customer_id)
        body = await gateway.query(
            "mutation($id: ID!, $v: String!) { linkIdentity(customerId: $id, kind: EMAIL, "
            "value: $v, channel: WEB) { outcome customerId } }",
            {"id": customer_id, "v": value},
        )
        assert body["data"]["linkIdentity"] == {"outcome": "LINKED", "customerId": customer_id}
        found = await gateway.query(
            "query($v: String!) { customerByIdentity(kind: EMAIL, value: $v) "
            "{ id identities { value } } }",
            {"v": value},
        )
        assert found["data"]["customerByIdentity"]["id"] == customer_id
        assert [i["value"] for i in found["data"]["customerByIdentity"]["identities"]] == [value]
        after = await _snapshot(graph, customer_id)
        assert after["identities"] == before["identities"] + 1
        assert after["seeded"] == before["seeded"] == 2
        assert after["nodes"] >= before["nodes"] + 1


@pytest.mark.parametrize("value", INJECTIONS)
async def test_a_cypher_looking_identifier_is_refused_as_input_not_run(
    gateway: Gateway, graph: GraphDatabase, value: str
) -> None:
    customer_id = await new_customer(graph, "inject")
    before = await _snapshot(graph, customer_id)
    raw = await send(
        gateway,
        body={
            "query": "query($v: String!) { customerByIdentity(kind: LOYALTY_CARD, value: $v) "
            "{ id } }",
            "variables": {"v": value},
        },
    )
    assert raw.body["data"] == {"customerByIdentity": None}
    assert raw.codes() == ["BAD_USER_INPUT"]
    assert await _snapshot(graph, customer_id) == before


@pytest.mark.parametrize("value", INJECTIONS)
async def test_cypher_looking_ids_and_keys_in_cart_and_journey_inputs_are_refused_as_input(
    gateway: Gateway, graph: GraphDatabase, value: str
) -> None:
    customer_id = await new_customer(graph, "inject")
    before = await _snapshot(graph, customer_id)
    raw = await send(
        gateway,
        body={
            "query": "mutation($c: ID!, $v: ID!, $k: String!) { "
            "sku: addCartItem(customerId: $c, sku: $v, channel: WEB, idempotencyKey: $k) { id } "
            'who: addCartItem(customerId: $v, sku: "FX-P1", channel: WEB, idempotencyKey: $k) '
            "{ id } "
            "journey: resumeJourney(journeyId: $v, channel: APP, idempotencyKey: $k) "
            "{ nextStep } }",
            "variables": {"c": customer_id, "v": value, "k": value},
        },
    )
    assert raw.status == 200, raw.body
    assert raw.body["data"] == {"sku": None, "who": None, "journey": None}
    codes = {e["path"][0]: e["extensions"]["code"] for e in raw.errors}
    assert set(codes) == {"sku", "who", "journey"}
    assert "INTERNAL" not in codes.values(), raw.errors
    assert await _snapshot(graph, customer_id) == before


def _signed(channel: str, payload: Any) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload)
    return body, signed_headers(f"dev-webhook-secret-{channel}", body)


async def test_cypher_looking_webhook_fields_are_stored_and_returned_verbatim(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    customer_id = await new_customer(graph, "inject")
    email = f"inject-{uuid.uuid4().hex[:8]}@example.test"
    await gateway.query(
        "mutation($id: ID!, $v: String!) { linkIdentity(customerId: $id, kind: EMAIL, "
        "value: $v, channel: WEB) { outcome } }",
        {"id": customer_id, "v": email},
    )
    before = await _snapshot(graph, customer_id)
    suffix = uuid.uuid4().hex[:8]
    events = [
        {
            "id": f"{text} {suffix}",
            "type": "search",
            "at": f"2026-09-0{n + 1}T10:00:00Z",
            "identifiers": [{"kind": "email", "value": email}],
            "query": text,
            "notes": text,
            "deviceId": f"{text} device {suffix}",
        }
        for n, text in enumerate(INJECTIONS)
    ]
    body, headers = _signed("web", {"events": events})
    async with gateway.session.post(
        f"{gateway.url}/webhooks/web", data=body, headers=headers
    ) as response:
        assert response.status == 200, await response.text()
    history = await gateway.query(
        "query($id: ID!) { customer(id: $id) { history(first: 20) "
        "{ edges { node { id deviceId } } } } }",
        {"id": customer_id},
    )
    nodes = [e["node"] for e in history["data"]["customer"]["history"]["edges"]]
    assert sorted(n["id"] for n in nodes) == sorted(e["id"] for e in events)
    assert sorted(n["deviceId"] for n in nodes) == sorted(e["deviceId"] for e in events)
    stored = await graph.read(
        "UNWIND $ids AS id MATCH (i:Interaction {id: id}) RETURN i.query AS q, i.notes AS n",
        {"ids": [e["id"] for e in events]},
    )
    assert sorted(r["q"] for r in stored) == sorted(INJECTIONS)
    assert sorted(r["n"] for r in stored) == sorted(INJECTIONS)
    after = await _snapshot(graph, customer_id)
    assert after["interactions"] == before["interactions"] + len(INJECTIONS)
    assert after["seeded"] == 2
    assert after["nodes"] >= before["nodes"] + len(INJECTIONS)
