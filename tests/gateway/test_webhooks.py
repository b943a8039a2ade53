"""Signed webhooks: channel events validated, then merged into the graph all-or-nothing, once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from neo4j.exceptions import ServiceUnavailable
from pydantic import SecretStr

from gateway.services import free_port
from graph import GraphDatabase
from graph.identities import IdentityKind
from graph.ingest import anonymous_customer_id
from simulators._webhooks import DEV_SECRET, WebhookEmitter, WebhookRetries
from tests.conftest import Gateway, Services, running_gateway
from tests.fixture_dataset import ALICE, BOB

Json = dict[str, Any]

HISTORY = """
query($id: ID!) {
  customer(id: $id) {
    history(first: 5) {
      edges { node { id at type channel product { sku } store { id } deviceId } }
    }
  }
}
"""
BY_IDENTITY = """
query($kind: IdentityKind!, $value: String!) {
  customerByIdentity(kind: $kind, value: $value) {
    id displayName identities { kind value source confidence }
  }
}
"""


def sign(body: bytes, secret: str, timestamp: str) -> str:
    """The contract in README: HMAC-SHA256 of ``<timestamp>.<body>``, as ``sha256=<hex>``."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def now() -> str:
    return str(int(time.time()))


def resigned() -> str:
    """The timestamp of a sender's retry, signed again: never the first post's (a post of the
    very same signed request is a replay, answered without reaching the graph)."""
    return str(int(time.time()) - 120)


def signed_json(body: bytes, channel: str, secret: str | None = None) -> dict[str, str]:
    """The headers of a JSON batch signed now under the channel's (dev) key."""
    timestamp = now()
    return {
        "Content-Type": "application/json",
        "X-Parcours-Timestamp": timestamp,
        "X-Parcours-Signature": sign(body, secret or f"dev-webhook-secret-{channel}", timestamp),
    }


def unique(name: str) -> str:
    """Ids made by these tests start with ``wh-``: the graph is shared by the whole session."""
    return f"wh-{name}-{uuid.uuid4().hex[:8]}"


def event(event_id: str, identifiers: list[tuple[str, str]], **fields: Any) -> Json:
    return {
        "id": event_id,
        "type": "view",
        "at": "2026-09-01T10:00:00Z",
        "identifiers": [{"kind": kind, "value": value} for kind, value in identifiers],
        **fields,
    }


def ingested(accepted: int, duplicates: int, **outcomes: Any) -> Json:
    """The webhook's answer: these counts, and zero merges, conflicts and journeys and nothing
    erased or rejected unless told."""
    answer: Json = {
        "accepted": accepted,
        "duplicates": duplicates,
        "erased": 0,
        "merged": 0,
        "conflicts": 0,
        "journeysOpened": 0,
        "journeysExtended": 0,
        "rejected": [],
    }
    return {**answer, **outcomes}


async def post(
    gateway: Gateway,
    channel: str,
    payload: Any,
    *,
    secret: str | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
    timestamp: str | None = None,
) -> tuple[int, Json]:
    """POST ``payload`` (bytes as they are, anything else as JSON), signed at ``timestamp`` (now
    by default) unless the headers say otherwise."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = timestamp or now()
    sent = {
        "Content-Type": content_type,
        "X-Parcours-Timestamp": timestamp,
        "X-Parcours-Signature": sign(body, secret or f"dev-webhook-secret-{channel}", timestamp),
    }
    sent.update(headers or {})
    async with gateway.session.post(
        f"{gateway.url}/webhooks/{channel}", data=io.BytesIO(body), headers=sent
    ) as response:
        return response.status, await response.json()


async def stored_ids(graph: GraphDatabase, ids: list[str]) -> list[str]:
    rows = await graph.read(
        "UNWIND $ids AS id MATCH (i:Interaction {id: id}) RETURN i.id AS id", {"ids": ids}
    )
    return [row["id"] for row in rows]


async def counts(graph: GraphDatabase) -> tuple[int, int]:
    rows = await graph.read(
        "CALL () { MATCH (n) RETURN count(n) AS nodes } "
        "CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships } "
        "RETURN nodes, relationships"
    )
    return rows[0]["nodes"], rows[0]["relationships"]


async def owner(gateway: Gateway, kind: str, value: str) -> Json | None:
    body = await gateway.query(BY_IDENTITY, {"kind": kind, "value": value})
    assert "errors" not in body, body
    found: Json | None = body["data"]["customerByIdentity"]
    return found


@pytest.fixture(scope="module", autouse=True)
async def forget_what_these_tests_wrote(graph: GraphDatabase) -> AsyncIterator[None]:
    """Other modules read Alice's history and count customers: leave the graph as we found it."""
    yield
    await graph.write(
        "MATCH (c:Customer)-[:IDENTIFIED_BY]->(i:Identity) "
        "WHERE c.id STARTS WITH 'cus_anon_' AND i.value STARTS WITH 'wh-' DETACH DELETE c"
    )
    await graph.write(
        "MATCH (n) WHERE (n:Interaction OR n:Device) AND n.id STARTS WITH 'wh-' "
        "OR n:Identity AND n.value STARTS WITH 'wh-' DETACH DELETE n"
    )


async def test_a_signed_batch_for_alices_email_shows_in_her_history(
    gateway: Gateway,
) -> None:
    search, view = unique("search"), unique("view")
    batch = {
        "events": [
            event(
                search,
                [("email", " Alice@Example.com ")],
                type="search",
                at="2026-10-02T10:00:00+02:00",
                query="canapé d'angle",
            ),
            event(
                view,
                [("email", "alice@example.com")],
                at="2026-10-02T09:00:00Z",
                sku="FX-P2",
                deviceId="fx-dev-alice",
            ),
        ]
    }
    assert await post(gateway, "web", batch) == (200, ingested(2, 0))
    body = await gateway.query(HISTORY, {"id": ALICE})
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["customer"]["history"]["edges"]]
    assert nodes[:2] == [
        {
            "id": view,
            "at": "2026-10-02T09:00:00+00:00",
            "type": "VIEW",
            "channel": "WEB",
            "product": {"sku": "FX-P2"},
            "store": None,
            "deviceId": "fx-dev-alice",
        },
        {
            "id": search,
            "at": "2026-10-02T08:00:00+00:00",
            "type": "SEARCH",
            "channel": "WEB",
            "product": None,
            "store": None,
            "deviceId": None,
        },
    ]


async def test_replaying_a_batch_counts_duplicates_and_changes_nothing(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    anonymous = unique("anon")
    batch = {
        "events": [
            event(unique("visit"), [("web_anonymous_id", anonymous)], type="store_visit",
                  storeId="FX-ST-B", deviceId=unique("dev")),
            event(unique("buy"), [("email", "bob@example.com"), ("web_anonymous_id", anonymous)],
                  type="purchase", sku="FX-P5", storeId="FX-ST-B"),
            event(unique("open"), [("email", "bob@example.com")], type="email_open",
                  notes="opened the autumn newsletter"),
        ]
    }  # fmt: skip
    assert await post(gateway, "store", batch) == (200, ingested(3, 0, merged=1))
    before = await counts(graph)
    assert await post(gateway, "store", batch, timestamp=resigned()) == (200, ingested(0, 3))
    assert await counts(graph) == before


async def test_an_event_repeated_within_one_batch_is_recorded_once(gateway: Gateway) -> None:
    once = event(unique("twice"), [("email", "bob@example.com")], type="chat")
    status, body = await post(gateway, "chat", {"events": [once, once]})
    assert (status, body) == (200, ingested(1, 1))


async def test_the_same_event_id_from_two_systems_is_two_events_each_replayed_as_a_duplicate(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    shared = unique("shared")
    on_web = event(shared, [("web_anonymous_id", unique("anon"))])
    in_store = event(shared, [("web_anonymous_id", unique("anon"))], type="store_visit")
    assert await post(gateway, "web", on_web) == (200, ingested(1, 0))
    assert await post(gateway, "store", in_store) == (200, ingested(1, 0))
    assert await post(gateway, "store", in_store, timestamp=resigned()) == (200, ingested(0, 1))
    assert await post(gateway, "web", on_web, timestamp=resigned()) == (200, ingested(0, 1))
    rows = await graph.read(
        "MATCH (c:Customer)-[:DID]->(i:Interaction) WHERE i.id IN $ids "
        "RETURN i.id AS id, i.channel AS channel, i.type AS type, c.id AS customer "
        "ORDER BY id",
        {"ids": [shared, f"{shared}@store"]},
    )
    assert [(r["id"], r["channel"], r["type"]) for r in rows] == [
        (shared, "web", "view"),
        (f"{shared}@store", "store", "store_visit"),
    ]
    assert rows[0]["customer"] != rows[1]["customer"]


async def test_an_interaction_from_before_per_channel_keys_is_a_duplicate_on_every_channel(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """Written as ingest wrote it before migration 13 (no ``eventKey``): a retry of its event,
    on its channel or on another (the order system's echo of a checkout), changes nothing."""
    old = unique("old")
    await graph.write(
        "MATCH (c:Customer {id: $bob}) MERGE (ch:Channel {code: 'web'}) "
        "CREATE (c)-[:DID]->(i:Interaction {id: $id, at: datetime('2026-09-01T10:00:00Z'), "
        "type: 'view', channel: 'web'})-[:VIA]->(ch)",
        {"bob": BOB, "id": old},
    )
    before = await counts(graph)
    for channel in ("web", "store"):
        answer = await post(gateway, channel, event(old, [("email", "bob@example.com")]))
        assert answer == (200, ingested(0, 1))
    assert await counts(graph) == before


@pytest.mark.parametrize(
    "signature",
    [
        lambda ts: "",
        lambda ts: "sha256=" + "0" * 64,
        lambda ts: "md5=abc",
        lambda ts: sign(b"another body", "dev-webhook-secret-web", ts),
        lambda ts: sign(b"{}", "dev-webhook-secret-store", ts),
    ],
    ids=["missing", "zeros", "other-scheme", "other-body", "other-channels-secret"],
)
async def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_written(
    gateway: Gateway, graph: GraphDatabase, signature: Callable[[str], str]
) -> None:
    event_id, timestamp = unique("unsigned"), now()
    headers = {"X-Parcours-Signature": signature(timestamp)}
    status, body = await post(
        gateway,
        "web",
        event(event_id, [("email", "alice@example.com")]),
        headers=headers,
        timestamp=timestamp,
    )
    assert status == 401
    assert body["error"]["code"] == "UNAUTHENTICATED"
    assert await stored_ids(graph, [event_id]) == []


def _refusal(status_and_body: tuple[int, Json]) -> str:
    status, body = status_and_body
    assert status == 401, body
    assert body["error"]["code"] == "UNAUTHENTICATED", body
    message: str = body["error"]["message"]
    return message


@pytest.mark.parametrize(("skew_s", "side"), [(-600, "behind"), (600, "ahead of")])
async def test_a_signed_request_dated_outside_the_tolerance_is_refused_and_nothing_is_written(
    gateway: Gateway, graph: GraphDatabase, skew_s: int, side: str
) -> None:
    """A batch captured once and posted again later (after the customer's erasure, say) carries
    its old signed time: refused, either way past 300 s of the gateway's clock."""
    event_id = unique("replayed")
    timestamp = str(int(time.time()) + skew_s)
    answer = await post(gateway, "web", event(event_id, ALICE_EMAIL), timestamp=timestamp)
    message = _refusal(answer)
    assert "X-Parcours-Timestamp" in message
    assert f"s {side} the gateway's clock, more than 300 s" in message
    assert await stored_ids(graph, [event_id]) == []
    inside = str(int(time.time()) + skew_s // 3)  # 200 s off: within the tolerance
    assert await post(gateway, "web", event(event_id, ALICE_EMAIL), timestamp=inside) == (
        200,
        ingested(1, 0),
    )


async def test_the_signature_covers_the_timestamp(gateway: Gateway, graph: GraphDatabase) -> None:
    """Re-dating a captured request (a fresh X-Parcours-Timestamp on the old signature) breaks
    the signature."""
    event_id, signed_at = unique("redated"), str(int(time.time()) - 60)
    body = json.dumps(event(event_id, ALICE_EMAIL)).encode()
    headers = {
        "X-Parcours-Signature": sign(body, "dev-webhook-secret-web", signed_at),
        "X-Parcours-Timestamp": now(),
    }
    message = _refusal(await post(gateway, "web", body, headers=headers))
    assert message.startswith("the X-Parcours-Signature does not match")
    assert await stored_ids(graph, [event_id]) == []


def _body_only(body: bytes) -> str:
    return "sha256=" + hmac.new(b"dev-webhook-secret-web", body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            lambda body: {"X-Parcours-Signature": _body_only(body), "X-Parcours-Timestamp": ""},
            "the X-Parcours-Timestamp header is missing",
        ),
        (
            lambda body: {"X-Parcours-Signature": _body_only(body), "X-Parcours-Timestamp": now()},
            "the X-Parcours-Signature signs the body alone, which is no longer accepted",
        ),
        (
            lambda body: {"X-Parcours-Timestamp": "2026-12-07T19:20:00Z"},
            "the X-Parcours-Timestamp must be the Unix time in whole seconds",
        ),
        (
            lambda body: {"X-Parcours-Timestamp": now() + ".5"},
            "the X-Parcours-Timestamp must be the Unix time in whole seconds",
        ),
        (
            lambda body: {"X-Parcours-Timestamp": "-" + now()},
            "the X-Parcours-Timestamp must be the Unix time in whole seconds",
        ),
    ],
    ids=["body-only-no-timestamp", "body-only", "iso-date", "fraction", "negative"],
)
async def test_a_sender_without_a_signed_whole_second_timestamp_is_told_what_is_wrong(
    gateway: Gateway,
    graph: GraphDatabase,
    headers: Callable[[bytes], dict[str, str]],
    message: str,
) -> None:
    """A sender still signing the body alone (the scheme before the timestamp) is refused, and
    the answer says so; so is a timestamp that is not whole Unix seconds."""
    event_id = unique("legacy")
    body = json.dumps(event(event_id, ALICE_EMAIL)).encode()
    answer = await post(gateway, "web", body, headers=headers(body))
    assert _refusal(answer).startswith(message)
    assert await stored_ids(graph, [event_id]) == []


async def test_the_timestamp_tolerance_is_a_setting(
    services: Services, graph: GraphDatabase
) -> None:
    settings = services.settings(webhook_timestamp_tolerance_s=30)
    event_id = unique("tolerance")
    async with running_gateway(settings) as strict:
        late = str(int(time.time()) - 120)
        answer = await post(strict, "web", event(event_id, ALICE_EMAIL), timestamp=late)
        assert "more than 30 s" in _refusal(answer)
        assert await post(strict, "web", event(event_id, ALICE_EMAIL)) == (200, ingested(1, 0))


async def test_in_production_only_configured_secrets_are_accepted(
    services: Services, graph: GraphDatabase
) -> None:
    settings = services.settings(env="production", webhook_secrets={"web": "prod-key"})
    async with running_gateway(settings) as production:
        ids = [unique("prod-web"), unique("prod-dev-key"), unique("prod-chat")]
        alice = [("email", "alice@example.com")]
        signed = await post(production, "web", event(ids[0], alice), secret="prod-key")
        dev_key = await post(production, "web", event(ids[1], alice))
        no_key = await post(production, "chat", event(ids[2], alice))
    assert signed == (200, ingested(1, 0))
    assert dev_key[0] == no_key[0] == 401
    assert "no webhook secret" in no_key[1]["error"]["message"]
    assert await stored_ids(graph, ids) == [ids[0]]


ALICE_EMAIL = [("email", "alice@example.com")]


async def test_while_a_channel_key_is_rotated_posts_signed_with_either_key_are_taken(
    services: Services, graph: GraphDatabase
) -> None:
    """The store team switches its systems to the new key one by one: the gateway lists both
    (the new one first), so no post is refused meanwhile; any other key still is."""
    settings = services.settings(
        env="production", webhook_secrets={"store": ["new-key", "old-key"]}
    )
    ids = [unique("rotated-new"), unique("rotated-old"), unique("rotated-other")]
    async with running_gateway(settings) as production:
        answers = [
            await post(production, "store", event(event_id, ALICE_EMAIL), secret=key)
            for event_id, key in zip(ids, ["new-key", "old-key", "older-key"], strict=True)
        ]
    assert answers[:2] == [(200, ingested(1, 0))] * 2
    assert _refusal(answers[2]).startswith("the X-Parcours-Signature does not match")
    assert await stored_ids(graph, ids) == ids[:2]
    assert settings.webhook_secret("store") == SecretStr("new-key")  # what make up signs with


def _batch(*events: object) -> Json:
    return {"events": list(events)}


def _good(name: str) -> Json:
    return event(name + "-ok", ALICE_EMAIL)


BAD_INPUT: list[tuple[str, Callable[[str], Any], str]] = [
    ("unknown-type", lambda n: event(n, ALICE_EMAIL, type="foo"), "type: unknown event type 'foo'"),
    ("bad-timestamp", lambda n: event(n, ALICE_EMAIL, at="yesterday"), "at: must be an ISO-8601"),
    (
        "timestamp-without-zone",
        lambda n: event(n, ALICE_EMAIL, at="2026-10-02T10:00:00"),
        "at: must be an ISO-8601 date-time with a timezone",
    ),
    (
        "timestamp-out-of-range",
        lambda n: event(n, ALICE_EMAIL, at="0001-01-01T00:00:00+01:00"),
        "at: is out of the range of dates",
    ),
    (
        "bad-email",
        lambda n: event(n, [("phone", "+33611111111"), ("email", "nope")]),
        "identifiers[1].value: 'nope' is not an email address",
    ),
    (
        "unknown-kind",
        lambda n: event(n, [("shoe_size", "42")]),
        "identifiers[0].kind: unknown identifier kind 'shoe_size'",
    ),
    ("no-identifier", lambda n: event(n, []), "identifiers: must hold at least 1 item"),
    ("unknown-sku", lambda n: event(n, ALICE_EMAIL, sku="NOPE"), "sku: unknown sku 'NOPE'"),
    (
        "unknown-store",
        lambda n: event(n, ALICE_EMAIL, storeId="ST-NOWHERE"),
        "storeId: unknown store 'ST-NOWHERE'",
    ),
    (
        "too-many-events",
        lambda n: _batch(*(event(f"{n}-{k}", ALICE_EMAIL) for k in range(501))),
        "events: must be a list of 1 to 500 events",
    ),
    ("empty-batch", lambda n: _batch(), "events: must be a list of 1 to 500 events"),
    ("missing-id", lambda n: {"type": "view", "at": "2026-09-01T10:00:00Z"}, "id: is required"),
    ("misspelt-field", lambda n: event(n, ALICE_EMAIL, storeID="FX-ST-A"), "storeID: is not a"),
    ("query-on-a-view", lambda n: event(n, ALICE_EMAIL, query="sofa"), "query: only a search"),
    (
        "status-without-order",
        lambda n: event(n, ALICE_EMAIL, type="order_status", status="SHIPPED"),
        "orderId: an order_status event requires it",
    ),
    (
        "order-on-a-view",
        lambda n: event(n, ALICE_EMAIL, orderId="ORD-1"),
        "orderId: only an order_status event carries it",
    ),
    (
        "lowercase-status",
        lambda n: event(n, ALICE_EMAIL, type="order_status", orderId="ORD-1", status="shipped"),
        "status: ",
    ),
    (
        "long-notes",
        lambda n: event(n, ALICE_EMAIL, type="call", notes="x" * 2001),
        "notes: must be at most 2000 characters",
    ),
    ("batch-with-another-field", lambda n: {"events": [_good(n)], "x": 1}, "x: is not a field"),
    ("events-not-a-list", lambda n: {"events": _good(n)}, "events: must be a list of 1 to 500"),
    ("not-json", lambda n: b"{not json", "body: is not valid JSON"),
    ("a-number", lambda n: b"5", "body: must be an event object"),
    ("null", lambda n: b"null", "body: must be an event object"),
    ("a-list", lambda n: [_good(n)], "body: must be an event object"),
]


@pytest.mark.parametrize(
    ("build", "message"), [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT]
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    gateway: Gateway, graph: GraphDatabase, build: Callable[[str], Any], message: str
) -> None:
    name = unique("bad")
    status, body = await post(gateway, "web", build(name))
    assert status == 400, body
    assert body["error"]["code"] == "BAD_USER_INPUT"
    assert body["error"]["message"].startswith(message), body
    written = await graph.read(
        "MATCH (i:Interaction) WHERE i.id STARTS WITH $name RETURN i.id AS id", {"name": name}
    )
    assert written == []


def rejected(index: int, event_id: str | None, code: str, message: str) -> Json:
    return {"index": index, "id": event_id, "code": code, "message": message}


async def test_a_batchs_bad_events_are_rejected_one_by_one_and_its_good_ones_recorded(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """A sender does not retry a 400, so refusing the batch for one bad event lost the others:
    each bad event is listed with its index, id, code and field, the rest is recorded, a 200."""
    n = unique("mixed")
    batch = _batch(
        event(f"{n}-0", ALICE_EMAIL, type="foo"),
        event(f"{n}-1", ALICE_EMAIL),
        event(f"{n}-2", [("phone", "+33611111111"), ("email", "nope")]),
        event(f"{n}-3", ALICE_EMAIL, sku="NOPE"),
        7,
        event(f"{n}-5", ALICE_EMAIL, storeId="ST-NOWHERE"),
        event(f"{n}-6", ALICE_EMAIL, at="2026-10-02T10:00:00"),
        event(f"{n}-7", ALICE_EMAIL, sku="FX-P1"),
    )
    status, answer = await post(gateway, "web", batch)

    assert status == 200, answer
    assert answer["accepted"] == 2
    assert answer["rejected"] == [
        rejected(0, f"{n}-0", "BAD_USER_INPUT", "events[0].type: unknown event type 'foo'"),
        rejected(
            2,
            f"{n}-2",
            "BAD_USER_INPUT",
            "events[2].identifiers[1].value: 'nope' is not an email address",
        ),
        rejected(3, f"{n}-3", "UNKNOWN_SKU", "events[3].sku: unknown sku 'NOPE'"),
        rejected(4, None, "BAD_USER_INPUT", "events[4]: must be an object"),
        rejected(5, f"{n}-5", "UNKNOWN_STORE", "events[5].storeId: unknown store 'ST-NOWHERE'"),
        rejected(
            6,
            f"{n}-6",
            "BAD_USER_INPUT",
            "events[6].at: must be an ISO-8601 date-time with a timezone, got"
            " '2026-10-02T10:00:00'",
        ),
    ]
    written = await graph.read(
        "MATCH (i:Interaction) WHERE i.id STARTS WITH $n RETURN i.id AS id ORDER BY id", {"n": n}
    )
    assert written == [{"id": f"{n}-1"}, {"id": f"{n}-7"}]


async def test_a_batch_of_only_bad_events_is_answered_200_with_each_rejected(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    n = unique("all-bad")
    status, answer = await post(gateway, "web", _batch(event(n, ALICE_EMAIL, sku="NOPE"), 7))
    assert (status, answer) == (
        200,
        ingested(
            0,
            0,
            rejected=[
                rejected(0, n, "UNKNOWN_SKU", "events[0].sku: unknown sku 'NOPE'"),
                rejected(1, None, "BAD_USER_INPUT", "events[1]: must be an object"),
            ],
        ),
    )
    assert await stored_ids(graph, [n]) == []


async def test_when_neo4j_cannot_take_a_batch_the_sender_is_told_to_retry_not_told_ok(
    gateway: Gateway, graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver's own failure (Neo4j down past its retries), faked at the one seam: a coded
    503 with Retry-After, and the same batch is taken once Neo4j is back."""

    async def unreachable(self: GraphDatabase, work: object, **retries: float) -> None:
        raise ServiceUnavailable("Couldn't connect to 127.0.0.1:7687")

    lost = event(unique("outage"), ALICE_EMAIL)
    with monkeypatch.context() as patched:
        patched.setattr(GraphDatabase, "transaction", unreachable)
        body = json.dumps(lost).encode()
        async with gateway.session.post(
            f"{gateway.url}/webhooks/web", data=body, headers=signed_json(body, "web")
        ) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "5"
            answer = await response.json()
    assert answer["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert await stored_ids(graph, [lost["id"]]) == []
    assert await post(gateway, "web", lost) == (200, ingested(1, 0))


async def test_a_batch_sent_while_neo4j_is_unreachable_is_told_to_retry_within_seconds(
    services: Services,
) -> None:
    """Nothing listens on Neo4j's port: the driver's own retries (30 s by default) are cut to
    ingest_max_retry_time_s (2 s), so the coded 503 comes long before a sender gives up (the
    simulators wait 2 s; the 15 s here only tells seconds from the old half minute)."""
    settings = services.settings(
        neo4j_uri=f"bolt://127.0.0.1:{free_port()}", migrate_on_start=False
    )
    async with running_gateway(settings) as cut_off:
        status, answer = await asyncio.wait_for(
            post(cut_off, "web", event(unique("unreachable"), ALICE_EMAIL)), timeout=15
        )
    assert status == 503, answer
    assert answer["error"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_simulator_posting_while_neo4j_is_unreachable_hears_the_503_not_its_timeout(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The demo's own sender waits for the gateway's answer to an outage (about 3 s), so it
    follows Retry-After instead of timing out and posting again at once."""
    settings = services.settings(
        neo4j_uri=f"bolt://127.0.0.1:{free_port()}", migrate_on_start=False
    )
    async with running_gateway(settings) as cut_off:
        emitter = WebhookEmitter(
            f"{cut_off.url}/webhooks", DEV_SECRET, "web", WebhookRetries(attempts=1)
        )
        await emitter.start()
        try:
            with caplog.at_level(logging.WARNING, logger="simulators.webhooks"):
                emitter.emit(event(unique("outage-sim"), ALICE_EMAIL))
                await emitter.drained()
        finally:
            await emitter.close()
    given_up = [r.getMessage() for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1
    assert "HTTP 503" in given_up[0], given_up


async def test_a_failure_that_is_not_the_senders_is_a_coded_json_500_with_the_request_id(
    services: Services,
) -> None:
    """A gateway pointed at a database Neo4j does not have (a real ClientError, not one the
    driver retries): the sender still gets the contract's JSON shape, not aiohttp's plain text,
    and the request id to quote."""
    settings = services.settings(neo4j_database="no-such-database", migrate_on_start=False)
    async with running_gateway(settings) as misconfigured:
        body = json.dumps(event(unique("internal"), ALICE_EMAIL)).encode()
        async with misconfigured.session.post(
            f"{misconfigured.url}/webhooks/web", data=body, headers=signed_json(body, "web")
        ) as response:
            assert (response.status, response.content_type) == (500, "application/json")
            answer = await response.json()
            request_id = response.headers["X-Request-Id"]
    assert answer["error"]["code"] == "INTERNAL"
    assert answer["error"]["requestId"] == request_id
    assert "no-such-database" not in answer["error"]["message"]  # logged, not told


async def test_an_unknown_channel_is_not_found(gateway: Gateway) -> None:
    for channel in ("fax", "partner"):
        status, body = await post(gateway, channel, event(unique("fax"), ALICE_EMAIL))
        assert status == 404
        assert body["error"]["code"] == "NOT_FOUND"


async def test_a_body_over_one_mebibyte_is_too_large(gateway: Gateway) -> None:
    huge = event(unique("huge"), ALICE_EMAIL, notes="x" * (1024 * 1024))
    status, body = await post(gateway, "web", huge)
    assert status == 413
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_body_that_is_not_declared_json_is_unsupported(gateway: Gateway) -> None:
    status, body = await post(
        gateway, "web", event(unique("form"), ALICE_EMAIL), content_type="text/plain"
    )
    assert (status, body["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_new_anonymous_identifier_creates_an_anonymous_customer(
    gateway: Gateway,
) -> None:
    anonymous, event_id = unique("anon"), unique("first-visit")
    status, _ = await post(gateway, "web", event(event_id, [("web_anonymous_id", anonymous)]))
    assert status == 200
    found = await owner(gateway, "WEB_ANONYMOUS_ID", anonymous)
    assert found is not None
    assert found["id"] == anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, anonymous)
    assert found["displayName"] == "Visiteur anonyme"
    assert found["identities"] == [
        {"kind": "WEB_ANONYMOUS_ID", "value": anonymous, "source": "web", "confidence": 0.9}
    ]
    history = await gateway.query(HISTORY, {"id": found["id"]})
    assert [e["node"]["id"] for e in history["data"]["customer"]["history"]["edges"]] == [event_id]


async def test_a_known_email_with_a_new_anonymous_id_links_the_id_to_the_known_customer(
    gateway: Gateway,
) -> None:
    anonymous = unique("anon")
    identifiers = [("web_anonymous_id", anonymous), ("email", "bob@example.com")]
    status, _ = await post(gateway, "web", event(unique("login"), identifiers))
    assert status == 200
    found = await owner(gateway, "WEB_ANONYMOUS_ID", anonymous)
    assert found is not None
    assert found["id"] == BOB


async def test_concurrent_batches_sharing_an_unowned_identifier_give_it_one_owner(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """The identifier exists but nobody owns it (as after an erasure): both batches see it free."""
    anonymous = unique("race-anon")
    await graph.write(
        "CREATE (:Identity {kind: 'web_anonymous_id', value: $value})", {"value": anonymous}
    )
    batches = [
        event(
            unique("race"), [("email", f"{unique('race')}@ex.com"), ("web_anonymous_id", anonymous)]
        )
        for _ in range(2)
    ]
    replies = await asyncio.gather(*(post(gateway, "web", batch) for batch in batches))
    assert [status for status, _ in replies] == [200, 200]
    rows = await graph.read(
        "MATCH (c:Customer)-[:IDENTIFIED_BY]->(:Identity {value: $value}) RETURN c.id AS id",
        {"value": anonymous},
    )
    assert len(rows) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_a_webhook_url_asked_with_another_method_than_post_answers_the_contracts_405(
    gateway: Gateway, method: str
) -> None:
    """A channel team probing its URL with GET (or a client sending PUT) reads the contract's
    coded JSON and the method to use, not aiohttp's plain-text 405."""
    async with gateway.session.request(method, f"{gateway.url}/webhooks/store") as answer:
        status, allow, kind = answer.status, answer.headers.get("Allow"), answer.content_type
        body = await answer.json() if kind == "application/json" else await answer.text()

    assert (status, allow, kind) == (405, "POST", "application/json"), body
    assert body["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in body["error"]["message"]
