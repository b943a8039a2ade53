"""A store receipt whose event id another channel's event already holds: ingest stores it as
``<id>@store`` (graph.ingest), and history shows it exactly once, before and after its ingest."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from graph import GraphDatabase
from graph.erasure import ErasureReport, erase_customer
from graph.identities import IdentityKind
from graph.ingest import anonymous_customer_id
from tests.conftest import Gateway
from tests.federation.conftest import Systems, seeded_customers
from tests.federation.test_analytics import _post

HISTORY = """query($id: ID!) { customer(id: $id) { history(first: 100) {
  edges { node { id type channel store { id } } } } } }"""

_FORGET = """
MATCH (i:Interaction) WHERE i.id IN $ids DETACH DELETE i
WITH count(*) AS done
MATCH (c:Customer)-[:IDENTIFIED_BY]->(e:Identity {kind: 'email', value: $email})
DETACH DELETE c, e
"""


@pytest.fixture
def email() -> str:
    return f"clash-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
async def clash(seeded: GraphDatabase, email: str) -> AsyncIterator[list[str]]:
    """The ids this test writes (the other channel's event, the receipt), removed afterwards."""
    ids: list[str] = []
    try:
        yield ids
    finally:
        await seeded.write(
            _FORGET, {"ids": [i for e in ids for i in (e, f"{e}@store")], "email": email}
        )


def a_customer_with_a_pos_number() -> tuple[dict[str, Any], str]:
    for customer in seeded_customers():
        numbers = customer["identities"].get("pos_customer_number", [])
        if numbers:
            return customer, numbers[0]
    raise AssertionError("no seeded customer has a POS number")


async def shown(fed: Gateway, customer: str, receipt: str) -> list[dict[str, Any]]:
    body = await fed.query(HISTORY, {"id": customer})
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["customer"]["history"]["edges"]]
    return [n for n in nodes if n["id"] in (receipt, f"{receipt}@store")]


async def test_a_receipt_whose_id_another_channel_holds_is_shown_once_before_and_after_ingest(
    fed: Gateway, systems: Systems, seeded: GraphDatabase, email: str, clash: list[str]
):
    customer, pos = a_customer_with_a_pos_number()
    receipt = await systems.post(
        "stores",
        "/pos/receipts",
        {"posNumber": pos, "storeId": "ST001", "lines": [{"sku": "SKU-00002", "qty": 1}]},
    )
    event_id = receipt["eventId"]
    clash.append(event_id)
    # Another system's event under the very same id, for somebody else: a real ingest.
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    other = {"id": event_id, "type": "call", "at": now}
    await _post(fed, "call_centre", [{**other, "identifiers": [{"kind": "email", "value": email}]}])

    # Not ingested yet: the receipt is shown, although a node of that id exists (another's call).
    purchase = {"type": "PURCHASE", "channel": "STORE", "store": {"id": "ST001"}}
    assert await shown(fed, customer["id"], event_id) == [{"id": event_id, **purchase}]

    # Ingested: its id was taken, so its node is `<id>@store`; the stores system still returns
    # the receipt, and history shows the graph's copy alone.
    store_event = {
        "id": event_id,
        "type": "purchase",
        "at": receipt["at"],
        "identifiers": [{"kind": "pos_customer_number", "value": pos}],
        "sku": "SKU-00002",
        "storeId": "ST001",
    }
    await _post(fed, "store", [store_event])
    assert await shown(fed, customer["id"], event_id) == [{"id": f"{event_id}@store", **purchase}]

    # The other channel's event gone (its customer erased): still the graph's copy alone, the
    # receipt being recognised as ingested by its own id, not by a node that held the same id.
    caller = anonymous_customer_id(IdentityKind.EMAIL, email)
    assert await erase_customer(seeded, caller, ErasureReport((), (), 0)) is not None
    assert await shown(fed, customer["id"], event_id) == [{"id": f"{event_id}@store", **purchase}]


PAGE = """query($id: ID!, $after: String) { customer(id: $id) { history(first: 1, after: $after) {
  edges { cursor node { id channel } } } } }"""


async def a_page(fed: Gateway, customer: str, after: str | None) -> list[dict[str, Any]]:
    body = await fed.query(PAGE, {"id": customer, "after": after})
    assert "errors" not in body, body
    edges: list[dict[str, Any]] = body["data"]["customer"]["history"]["edges"]
    return edges


async def test_a_cursor_taken_before_a_clashing_receipt_is_ingested_still_reaches_the_receipt(
    fed: Gateway, systems: Systems, email: str, clash: list[str]
):
    customer, pos = a_customer_with_a_pos_number()
    receipt = await systems.post(
        "stores",
        "/pos/receipts",
        {"posNumber": pos, "storeId": "ST001", "lines": [{"sku": "SKU-00002", "qty": 1}]},
    )
    event_id = receipt["eventId"]
    # A product tried in the same second, whose id sorts between the receipt's id and the
    # `<id>@store` its ingest will give it; and another channel's event holding the receipt's id.
    tried = f"{event_id}-tried"
    clash.extend([event_id, tried])
    who = [{"kind": "pos_customer_number", "value": pos}]
    await _post(
        fed,
        "store",
        [{"id": tried, "type": "view", "at": receipt["at"], "identifiers": who,
          "sku": "SKU-00003", "storeId": "ST001"}],
    )  # fmt: skip
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    other = {"id": event_id, "type": "call", "at": now}
    await _post(fed, "call_centre", [{**other, "identifiers": [{"kind": "email", "value": email}]}])

    first = await a_page(fed, customer["id"], None)
    assert [e["node"]["id"] for e in first] == [tried]

    # The receipt ingested between the two pages: its node is `<id>@store`.
    store_event = {
        "id": event_id,
        "type": "purchase",
        "at": receipt["at"],
        "identifiers": who,
        "sku": "SKU-00002",
        "storeId": "ST001",
    }
    await _post(fed, "store", [store_event])

    second = await a_page(fed, customer["id"], first[-1]["cursor"])
    assert [e["node"] for e in second] == [{"id": f"{event_id}@store", "channel": "STORE"}]
    third = await a_page(fed, customer["id"], second[-1]["cursor"])
    assert third
    assert third[0]["node"]["id"] not in (tried, event_id, f"{event_id}@store")
