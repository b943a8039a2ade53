"""Journey analytics against a dataset with known answers, in a window (March 2031) no other data
reaches: journeys of known paths, purchases of known amounts, forced contacts and near misses.

Journeys and carts are written with Cypher (their shape is the point, not how rules open them);
the forced-contact touches go through the signed webhooks, so the ingest vocabulary they need
(``resultCount``, ``outcome``, ``amount``) is exercised end to end.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graph import GraphDatabase
from simulators._webhooks import signed_headers
from tests.conftest import Gateway
from tests.federation.conftest import Systems

FROM, TO = "2031-03-01T00:00:00Z", "2031-04-01T00:00:00Z"
T0 = datetime(2031, 3, 10, 10, 0, tzinfo=UTC)
RUN = uuid.uuid4().hex[:8]

ANALYTICS = """
query Analytics($from: DateTime!, $to: DateTime!, $first: Int!, $after: String) {
  analytics(from: $from, to: $to) {
    revenue { amount currency }
    transactions
    activeCarts { count value { amount } }
    conversion { started converted rate }
    conversionByPath { path label started converted rate }
    channelSwitches { journeys mean distribution { switches journeys } }
    timeToConvert { converted medianSeconds p90Seconds }
    forcedContacts(first: $first, after: $after) {
      totalCount
      byChannel { channel count }
      edges { cursor node {
        customerId delaySeconds reason explanation
        contact { id type channel }
        attempt { id type channel query resultCount outcome }
      } }
      pageInfo { hasNextPage endCursor }
    }
    incidents { system team breakerState recentFailures customersAffected cartValue { amount } }
  }
}
"""

_CUSTOMER = """
MERGE (c:Customer {id: $id}) SET c.displayName = $id, c.createdAt = $at, c.cartLock = 0
MERGE (e:Identity {kind: 'email', value: $email})
MERGE (c)-[:IDENTIFIED_BY {since: $at, source: 'web', confidence: 1.0}]->(e)
"""
_JOURNEY = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:ON_JOURNEY]->(j:Journey {id: $id, intent: 'choose sofas', status: $status,
  startedAt: $steps[0].at, lastChannel: $steps[-1].channel, nextStep: 'buy'})
WITH c, j
UNWIND range(0, size($steps) - 1) AS n
WITH c, j, n, $steps[n] AS step
MERGE (ch:Channel {code: step.channel})
CREATE (c)-[:DID]->(i:Interaction {id: step.id, at: step.at, type: step.type,
  channel: step.channel, amount: step.amount})-[:VIA]->(ch)
CREATE (j)-[:STEP {n: n + 1}]->(i)
"""
_CART = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:HAS_CART]->(k:Cart {id: $id, version: 1, status: $status, updatedAt: $at})
WITH k
UNWIND $lines AS line
MATCH (p:Product {sku: line.sku})
CREATE (k)-[:CONTAINS {qty: line.qty, addedAt: $at, addedVia: 'web'}]->(p)
"""


def _id(name: str) -> str:
    return f"an-{RUN}-{name}"


def _email(name: str) -> str:
    return f"an-{RUN}-{name}@example.com"


def _step(name: str, minutes: float, type_: str, channel: str, amount: float | None = None):
    return {
        "id": _id(name),
        "at": T0 + timedelta(minutes=minutes),
        "type": type_,
        "channel": channel,
        "amount": amount,
    }


JOURNEYS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    # APP→STORE converted in 2 h; APP→STORE in 1 h; APP→WEB not converted; WEB in 30 min;
    # WEB→APP→STORE→WEB in 4 h (3 switches); and one started before the window.
    "a": (
        "completed",
        [
            _step("a1", 0, "view", "app"),
            _step("a2", 60, "view", "app"),
            _step("a3", 120, "purchase", "store", 100.0),
        ],
    ),
    "b": ("completed", [_step("b1", 0, "view", "app"), _step("b2", 60, "purchase", "store", 50.0)]),
    "c": ("active", [_step("c1", 0, "view", "app"), _step("c2", 10, "view", "web")]),
    "d": (
        "completed",
        [
            _step("d1", 0, "view", "web"),
            _step("d2", 10, "add_to_cart", "web"),
            _step("d3", 30, "purchase", "web", 30.0),
        ],
    ),
    "e": (
        "completed",
        [
            _step("e1", 0, "view", "web"),
            _step("e2", 60, "view", "app"),
            _step("e3", 120, "store_visit", "store"),
            _step("e4", 240, "purchase", "web", 20.0),
        ],
    ),
    "old": (
        "completed",
        [
            _step("o1", -60 * 24 * 20, "view", "web"),
            _step("o2", -60 * 24 * 19, "purchase", "web", 999.0),
        ],
    ),
}
CARTS = {
    # counted: active, non-empty, updated in the window
    "a": ("active", T0, [("SKU-00001", 2), ("SKU-00002", 1)]),
    "c": ("active", T0, [("SKU-00003", 1)]),
    # not counted: ordered, empty, updated before the window
    "d": ("ordered", T0, [("SKU-00005", 1)]),
    "e": ("active", T0, []),
    "b": ("active", T0 - timedelta(days=40), [("SKU-00004", 1)]),
}


def _event(name: str, who: str, at: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": _id(name),
        "type": type_,
        "at": at,
        "identifiers": [{"kind": "email", "value": _email(who)}],
        **fields,
    }


WEBHOOKS: dict[str, list[dict[str, Any]]] = {
    "web": [
        # g: a search with no result, then a call 4 min later → forced
        _event("g1", "g", "2031-03-12T09:00:00Z", "search", query="canapé cuir", resultCount=0),
        # i: an abandoned step, then a search with no result, then a call → forced (latest attempt)
        _event("i1", "i", "2031-03-12T11:00:00Z", "view", outcome="abandoned"),
        _event("i2", "i", "2031-03-12T11:10:00Z", "search", query="housse", resultCount=0),
        # j: a search with no result, the call 45 min later (window 30 min) → not forced
        _event("j1", "j", "2031-03-12T12:00:00Z", "search", query="pouf", resultCount=0),
        # k: a search that found something, then a call → not forced
        _event("k1", "k", "2031-03-12T12:58:00Z", "search", query="table", resultCount=5),
        # f: one checkout of two lines (one transaction), with amounts
        _event("f1", "f", "2031-03-15T16:00:00Z", "purchase", sku="SKU-00001", amount=45.5),
        _event("f2", "f", "2031-03-15T16:00:00Z", "purchase", sku="SKU-00002", amount=4.5),
    ],
    "app": [
        # h: an error in the app, then a chat 20 min later → forced
        _event("h1", "h", "2031-03-12T10:00:00Z", "view", outcome="error"),
    ],
    "call_centre": [
        _event("g2", "g", "2031-03-12T09:04:00Z", "call"),
        _event("i3", "i", "2031-03-12T11:15:00Z", "call"),
        _event("j2", "j", "2031-03-12T12:45:00Z", "call"),
        _event("k2", "k", "2031-03-12T13:00:00Z", "call"),
    ],
    "chat": [_event("h2", "h", "2031-03-12T10:20:00Z", "chat")],
}


# Each post of a body is signed at a second no earlier post of that body used (going back at
# most 4 minutes, inside the gateway's 300 s tolerance): the same body signed in the same second
# is the same request, a replay answered without reaching the graph, and tests post the same
# events again into customers their fixtures have just re-created (the failures module posts
# this month again; the console's second forced contact is posted for each of its tests).
_SIGNED_AT: dict[tuple[str, bytes], set[int]] = {}


async def _post(gateway: Gateway, channel: str, events: list[dict[str, Any]]) -> None:
    body = json.dumps({"events": events}).encode()
    used = _SIGNED_AT.setdefault((channel, body), set())
    at = next(second for second in range(int(time.time()), 0, -1) if second not in used)
    assert int(time.time()) - at < 240, "more posts of one body than the tolerance allows"
    used.add(at)
    headers = signed_headers(f"dev-webhook-secret-{channel}", body, at=at)
    async with gateway.session.post(
        f"{gateway.url}/webhooks/{channel}", data=body, headers=headers
    ) as response:
        assert response.status == 200, await response.text()


@pytest.fixture(scope="module")
async def dataset(seeded: GraphDatabase) -> AsyncIterator[None]:
    for name in "abcdefghijk":
        await seeded.write(_CUSTOMER, {"id": _id(f"cus-{name}"), "email": _email(name), "at": T0})
    for name, (status, steps) in JOURNEYS.items():
        customer = "a" if name == "old" else name
        await seeded.write(
            _JOURNEY,
            {
                "customerId": _id(f"cus-{customer}"),
                "id": _id(f"j-{name}"),
                "status": status,
                "steps": steps,
            },
        )
    for name, (status, at, lines) in CARTS.items():
        await seeded.write(
            _CART,
            {
                "customerId": _id(f"cus-{name}"),
                "id": _id(f"cart-{name}"),
                "status": status,
                "at": at,
                "lines": [{"sku": s, "qty": q} for s, q in lines],
            },
        )
    yield
    await seeded.write(
        "MATCH (n) WHERE (n:Customer OR n:Interaction OR n:Journey OR n:Cart) "
        "AND n.id STARTS WITH $prefix OR n:Identity AND n.value STARTS WITH $prefix "
        "DETACH DELETE n",
        {"prefix": f"an-{RUN}-"},
    )


async def _prices(systems: Systems, skus: list[str]) -> dict[str, float]:
    found = await systems.get("webshop", "/api/v1/prices", skus=",".join(skus))
    return {
        p["sku"]: p["amount"] * (1 - (p["promotion"] or {}).get("percentOff", 0) / 100)
        for p in found["prices"]
    }


async def _analytics(fed: Gateway, first: int = 10, after: str | None = None) -> dict[str, Any]:
    body = await _answer(fed, first, after)
    return body["data"]["analytics"]


async def _answer(fed: Gateway, first: int = 10, after: str | None = None) -> dict[str, Any]:
    variables = {"from": FROM, "to": TO, "first": first, "after": after}
    body = await fed.query(ANALYTICS, variables)
    assert "errors" not in body, body
    return body


async def test_figures_of_a_known_month(fed: Gateway, systems: Systems, dataset: None):
    for channel, events in WEBHOOKS.items():
        await _post(fed, channel, events)
    body = await _answer(fed)
    found = body["data"]["analytics"]
    # sales and carts, journeys, forced contacts; no incident, so no exposure read
    assert body["extensions"]["cypherRoundTrips"] == 3

    assert found["revenue"] == {"amount": 250.0, "currency": "EUR"}
    assert found["transactions"] == 5
    prices = await _prices(systems, ["SKU-00001", "SKU-00002", "SKU-00003"])
    value = 2 * prices["SKU-00001"] + prices["SKU-00002"] + prices["SKU-00003"]
    assert found["activeCarts"] == {"count": 2, "value": {"amount": round(value, 2)}}
    assert found["conversionByPath"] == [
        {"path": ["APP", "STORE"], "label": "APP→STORE", "started": 2, "converted": 2, "rate": 1.0},
        {"path": ["APP", "WEB"], "label": "APP→WEB", "started": 1, "converted": 0, "rate": 0.0},
        {"path": ["WEB"], "label": "WEB", "started": 1, "converted": 1, "rate": 1.0},
        {
            "path": ["WEB", "APP", "STORE", "WEB"],
            "label": "WEB→APP→STORE→WEB",
            "started": 1,
            "converted": 1,
            "rate": 1.0,
        },
    ]
    assert found["conversion"] == {"started": 5, "converted": 4, "rate": 0.8}
    assert found["channelSwitches"] == {
        "journeys": 5,
        "mean": 1.2,
        "distribution": [
            {"switches": 0, "journeys": 1},
            {"switches": 1, "journeys": 3},
            {"switches": 3, "journeys": 1},
        ],
    }
    assert found["timeToConvert"] == {
        "converted": 4,
        "medianSeconds": 5400.0,
        "p90Seconds": 14400.0,
    }
    assert found["incidents"] == []


async def test_forced_contacts_are_counted_listed_and_explained(fed: Gateway, dataset: None):
    for channel, events in WEBHOOKS.items():
        await _post(fed, channel, events)  # idempotent: a second post changes nothing
    first = (await _analytics(fed, first=2))["forcedContacts"]
    assert first["totalCount"] == 3
    assert first["byChannel"] == [
        {"channel": "CALL_CENTRE", "count": 2},
        {"channel": "CHAT", "count": 1},
    ]
    nodes = [edge["node"] for edge in first["edges"]]
    assert [n["contact"]["id"] for n in nodes] == [_id("i3"), _id("h2")]
    assert nodes[0]["attempt"] == {
        "id": _id("i2"),
        "type": "SEARCH",
        "channel": "WEB",
        "query": "housse",
        "resultCount": 0,
        "outcome": None,
    }
    assert (nodes[0]["delaySeconds"], nodes[0]["reason"]) == (300.0, "search with no result")
    assert nodes[0]["explanation"] == (
        "search 'housse' with no result on web, then a call on call_centre 5 min later"
    )
    assert nodes[0]["customerId"] == _id("cus-i")
    assert (nodes[1]["attempt"]["outcome"], nodes[1]["reason"]) == ("error", "error")
    assert nodes[1]["delaySeconds"] == 1200.0
    assert first["pageInfo"]["hasNextPage"] is True

    rest = (await _analytics(fed, first=2, after=first["pageInfo"]["endCursor"]))["forcedContacts"]
    assert [e["node"]["contact"]["id"] for e in rest["edges"]] == [_id("g2")]
    assert rest["edges"][0]["node"]["delaySeconds"] == 240.0
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_degraded_system_shows_its_team_customers_and_cart_value(
    fed: Gateway, systems: Systems, dataset: None
):
    await systems.faults("oms", errorRate=1.0)
    for _ in range(4):  # the federation fixture opens a breaker after 3 failures
        await fed.query(
            "query($sku: ID!) { product(sku: $sku) { availability { online } } }",
            {"sku": "SKU-00009"},
        )
    incidents = (await _analytics(fed))["incidents"]
    prices = await _prices(systems, ["SKU-00001", "SKU-00002", "SKU-00003"])
    value = 2 * prices["SKU-00001"] + prices["SKU-00002"] + prices["SKU-00003"]
    assert len(incidents) == 1
    oms = incidents[0]
    assert (oms["system"], oms["team"], oms["breakerState"]) == (
        "oms",
        "order-management",
        "opened",
    )
    assert oms["recentFailures"] >= 3
    # every cart line depends on the OMS: the two active carts of the window (customers a and c)
    assert oms["customersAffected"] == 2
    assert oms["cartValue"] == {"amount": round(value, 2)}


async def test_the_overall_conversion_counts_every_path_not_only_the_first(
    fed: Gateway, dataset: None
):
    # The console added up `conversionByPath`, whose list stops at `first` (20 by default): past
    # 20 paths its "journeys converted" figure counted only some of the journeys.
    for channel, events in WEBHOOKS.items():
        await _post(fed, channel, events)
    body = await fed.query(
        """query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) {
             conversion { started converted rate }
             conversionByPath(first: 1) { started converted } } }""",
        {"from": FROM, "to": TO},
    )

    assert "errors" not in body, body
    found = body["data"]["analytics"]
    assert len(found["conversionByPath"]) == 1
    assert found["conversion"] == {"started": 5, "converted": 4, "rate": 0.8}


async def test_a_window_must_be_ordered_and_bounded(fed: Gateway):
    windows = (
        ("2031-03-02T00:00:00Z", FROM),
        (FROM, "2032-06-01T00:00:00Z"),
        # valid DateTimes whose UTC instant is past year 9999 or before year 1 (was INTERNAL)
        ("9999-12-31T23:00:00Z", "9999-12-31T23:30:00-05:00"),
        ("0001-01-01T00:30:00+01:00", "0001-01-02T00:00:00Z"),
    )
    for start, end in windows:
        body = await fed.query(
            "query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t) { transactions } }",
            {"f": start, "t": end},
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_analytics_vocabulary_is_checked_at_ingest(fed: Gateway):
    refused = {
        "resultCount": _event("x1", "x", "2031-03-12T09:00:00Z", "view", resultCount=0),
        "amount": _event("x2", "x", "2031-03-12T09:00:00Z", "search", amount=3.0),
        "outcome": _event("x3", "x", "2031-03-12T09:00:00Z", "view", outcome="maybe"),
    }
    for field, event in refused.items():
        body = json.dumps(event).encode()
        async with fed.session.post(
            f"{fed.url}/webhooks/web",
            data=body,
            headers=signed_headers("dev-webhook-secret-web", body),
        ) as response:
            assert response.status == 400
            answer = await response.json()
        assert field in json.dumps(answer), answer


@contextlib.asynccontextmanager
async def newest_interaction(seeded: GraphDatabase, interaction_id: str) -> AsyncIterator[None]:
    """An interaction later than any other test's data (2091-02-14 15:30 UTC), while inside."""
    at = datetime(2091, 2, 14, 15, 30, tzinfo=UTC)
    await seeded.write(
        "CREATE (:Interaction {id: $id, at: $at, type: 'view', channel: 'web'})",
        {"id": interaction_id, "at": at},
    )
    try:
        yield
    finally:
        await seeded.write(
            "MATCH (i:Interaction {id: $id}) DETACH DELETE i", {"id": interaction_id}
        )


async def test_without_a_window_the_30_days_up_to_the_newest_interaction_are_shown(
    fed: Gateway, seeded: GraphDatabase
):
    # The demo data ends weeks before today, and a window ending today showed nothing on it.
    async with newest_interaction(seeded, f"{RUN}-newest"):
        body = await fed.query("{ analytics { from to transactions } }")
        assert "errors" not in body, body
        window = body["data"]["analytics"]
        assert (window["from"], window["to"]) == (
            "2091-01-16T00:00:00+00:00",
            "2091-02-15T00:00:00+00:00",
        )
        half = await fed.query(
            "query($t: DateTime!) { analytics(to: $t) { transactions } }",
            {"t": "2091-02-15T00:00:00Z"},
        )
        assert half["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert half["errors"][0]["message"] == "give both `from` and `to`, or neither"
