"""GDPR through HTTP with the real graph, Redis and simulators: export everything, erase everything.

Each test builds its own customer (fresh ids) with one identifier of every kind, a device, a cart,
interactions ingested by webhook, a journey, a consent, a merge record and an identity conflict,
and an order in the OMS; seeded customers are never erased.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from gateway.services import free_port
from graph import GraphDatabase, audit
from graph.erasure import customer_id_hash
from simulators._webhooks import signed_headers
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import SYSTEMS, Systems, a_customer, federated_settings
from tests.gateway.test_near_cache import until_tracking

SKU = "SKU-00004"


@dataclass(frozen=True)
class Person:
    id: str
    identities: dict[str, str]  # GraphQL kind → value
    device: str
    journey: str
    consent: str
    merge: str
    conflict: str
    events: tuple[str, ...]
    order: str

    @property
    def email(self) -> str:
        return self.identities["EMAIL"]


LINK = """
mutation($id: ID!, $kind: IdentityKind!, $value: String!) {
  linkIdentity(customerId: $id, kind: $kind, value: $value, channel: WEB) { outcome }
}
"""
GRAPH_EXTRAS = """
MATCH (c:Customer {id: $id})
CREATE (c)-[:USES]->(:Device {id: $device, kind: 'phone', os: 'ios'})
CREATE (c)-[:CONSENTED]->(:Consent {id: $consent, purpose: 'marketing', granted: true,
                                    at: datetime()})
CREATE (c)-[:MERGED]->(:Merge {id: $merge, at: datetime(), reason: 'test', source: 'web',
                              mergedId: 'cus_anon_gdpr', identities: ['web_anonymous_id:x'],
                              interactions: 0, cartRule: 'union_max'})
CREATE (c)-[:HAS_CONFLICT]->(:IdentityConflict {id: $conflict, kind: 'email',
        value: $otherEmail, reason: 'held by another', otherCustomerId: null, at: datetime(),
        source: 'web'})
WITH c
MATCH (c)-[:DID]->(i:Interaction {id: $firstEvent})
CREATE (c)-[:ON_JOURNEY]->(j:Journey {id: $journey, intent: 'buy a sofa', status: 'active',
                                      startedAt: datetime()})
CREATE (j)-[:STEP {n: 1}]->(i)
"""


async def _webhook(fed: Gateway, email: str, events: list[str]) -> None:
    payload = {
        "events": [
            {
                "id": event_id,
                "type": "view",
                "at": f"2026-09-0{n + 1}T10:00:00Z",
                "identifiers": [{"kind": "email", "value": email}],
                "sku": SKU,
            }
            for n, event_id in enumerate(events)
        ]
    }
    body = orjson.dumps(payload)
    headers = signed_headers("dev-webhook-secret-web", body)
    async with fed.session.post(f"{fed.url}/webhooks/web", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()


async def _order(systems: Systems, email: str) -> str:
    body = {
        "customerEmail": email,
        "lines": [{"sku": SKU, "qty": 1}],
        "fulfilment": {"type": "DELIVERY"},
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    async with systems.session.post(
        systems.urls["oms"] + "/oms/orders", json=body, headers=headers
    ) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["orderId"])


async def build_person(fed: Gateway, graph: GraphDatabase, systems: Systems) -> Person:
    tag = uuid.uuid4().hex[:10]
    customer_id = f"cus_gdpr_{tag}"
    await graph.write(
        "CREATE (:Customer {id: $id, displayName: 'Gdpr Person', createdAt: datetime()})",
        {"id": customer_id},
    )
    identities = {
        "EMAIL": f"gdpr-{tag}@example.test",
        "PHONE": f"+3361{int(tag, 16) % 10**7:07d}",
        "LOYALTY_CARD": f"LC-GDPR-{tag}".upper(),
        "WEB_ANONYMOUS_ID": f"web-gdpr-{tag}",
        "APP_INSTALL_ID": f"app-gdpr-{tag}",
        "POS_CUSTOMER_NUMBER": f"POS-GDPR-{tag}",
        "CONTACT_CENTRE_ID": f"CC-GDPR-{tag}",
    }
    for kind, value in identities.items():
        body = await fed.query(LINK, {"id": customer_id, "kind": kind, "value": value})
        assert body["data"]["linkIdentity"]["outcome"] == "LINKED", body
    add = await fed.query(
        'mutation($id: ID!, $k: String!) { addCartItem(customerId: $id, sku: "SKU-00004", '
        "channel: WEB, idempotencyKey: $k) { id } }",
        {"id": customer_id, "k": f"gdpr-cart-{tag}"},
    )
    assert add["data"]["addCartItem"]["id"], add
    events = (f"gdpr-{tag}-e1", f"gdpr-{tag}-e2")
    await _webhook(fed, identities["EMAIL"], list(events))
    person = Person(
        id=customer_id,
        identities=identities,
        device=f"dev-gdpr-{tag}",
        journey=f"jny-gdpr-{tag}",
        consent=f"cst-gdpr-{tag}",
        merge=f"mrg-gdpr-{tag}",
        conflict=f"cfl-gdpr-{tag}",
        events=events,
        order=await _order(systems, identities["EMAIL"]),
    )
    await graph.write(
        GRAPH_EXTRAS,
        {
            "id": customer_id,
            "device": person.device,
            "consent": person.consent,
            "merge": person.merge,
            "conflict": person.conflict,
            "otherEmail": f"other-{tag}@example.test",
            "firstEvent": events[0],
            "journey": person.journey,
        },
    )
    return person


EXPORT = "query($id: ID!) { exportCustomer(id: $id) }"


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


async def test_the_export_holds_every_part_of_the_customer_and_each_system_answer(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person = await build_person(fed, seeded, systems)
    body = await fed.query(EXPORT, {"id": person.id})
    assert "errors" not in body, body
    document = body["data"]["exportCustomer"]
    graph = document["graph"]
    assert document["customerId"] == person.id
    assert graph["profile"]["id"] == person.id
    assert graph["profile"]["displayName"] == "Gdpr Person"
    values = {i["value"] for i in graph["identities"]}
    assert values == set(person.identities.values())
    assert all(i["link"]["since"] for i in graph["identities"])
    assert _ids(graph["devices"]) == {person.device}
    [cart] = graph["carts"]
    assert [line["sku"] for line in cart["lines"]] == [SKU]
    assert set(person.events) <= _ids(graph["interactions"])
    assert {i["sku"] for i in graph["interactions"] if i["id"] in person.events} == {SKU}
    journey = next(j for j in graph["journeys"] if j["id"] == person.journey)
    assert journey["steps"] == [{"n": 1, "interactionId": person.events[0]}]
    assert _ids(graph["consents"]) == {person.consent}
    assert _ids(graph["merges"]) == {person.merge}
    assert _ids(graph["conflicts"]) == {person.conflict}
    [key] = graph["idempotencyKeys"]  # the cart change's, with the cart it answered
    assert key["key"] == "anonymous:gdpr-cart-" + person.id.removeprefix("cus_gdpr_")
    assert key["lineSkus"] == [SKU]

    channels = document["channels"]
    assert sorted(channels) == sorted(SYSTEMS)
    assert document["unavailableChannels"] == []
    assert all(channels[s]["status"] == "ok" for s in SYSTEMS), channels
    orders = channels["oms"]["records"][person.email]["orders"]["items"]
    assert [o["id"] for o in orders] == [person.order]
    assert channels["webshop"]["records"] == {person.email: {"account": None}}
    assert set(channels["contact"]["records"]) == {person.identities["CONTACT_CENTRE_ID"]}
    assert set(channels["mobile"]["records"]) == {person.identities["APP_INSTALL_ID"]}
    assert set(channels["stores"]["records"][person.identities["POS_CUSTOMER_NUMBER"]]) == {
        "receipts",
        "notes",
    }


async def test_the_export_downloads_as_an_attachment(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person = await build_person(fed, seeded, systems)
    async with fed.session.get(f"{fed.url}/admin/customers/{person.id}/export") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        disposition = response.headers["Content-Disposition"]
        download = await response.json()
    assert disposition == f'attachment; filename="customer-{person.id}.json"'
    body = await fed.query(EXPORT, {"id": person.id})
    document = body["data"]["exportCustomer"]
    for part in ("format", "customerId", "graph", "channels", "unavailableChannels"):
        assert download[part] == document[part]
    async with fed.session.get(f"{fed.url}/admin/customers/cus_nobody_x/export") as response:
        assert response.status == 404
        assert (await response.json())["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_failing_system_is_listed_as_unavailable_not_a_failed_export(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person = await build_person(fed, seeded, systems)
    await systems.faults("contact", errorRate=1.0)
    body = await fed.query(EXPORT, {"id": person.id})
    assert "errors" not in body, body
    document = body["data"]["exportCustomer"]
    assert document["unavailableChannels"] == ["contact"]
    assert document["channels"]["contact"]["status"] == "unavailable"
    assert document["channels"]["oms"]["status"] == "ok"
    assert document["graph"]["profile"]["id"] == person.id


ERASE = """
mutation($id: ID!) {
  eraseCustomer(id: $id) {
    erasureId at customerIdHash channelsNotified channelsUnavailable cacheKeysPurged replayed
    removed { identities devices carts interactions journeys consents merges conflicts
              idempotencyKeys auditEntriesPseudonymised }
  }
}
"""
WARM_CACHES = """
query($id: ID!) {
  customer(id: $id) {
    id cart { id } devices { id registration { platform } }
    orders(first: 5) { edges { node { id } } }
    tickets(first: 5) { edges { node { id } } }
  }
}
"""


async def _keys_naming(client: aioredis.Redis, needles: list[str]) -> list[str]:
    found = []
    async for raw in client.scan_iter(match="parcours:*", count=1000):
        key = raw.decode()
        if any(needle in key for needle in needles):
            found.append(key)
    return found


async def _events_naming(client: aioredis.Redis, customer_id: str) -> int:
    entries = await client.xrange("parcours:events", count=100_000)
    return sum(customer_id.encode() in fields.get(b"event", b"") for _, fields in entries)


async def _graph_leftovers(graph: GraphDatabase, person: Person) -> int:
    rows = await graph.read(
        "MATCH (n) WHERE n.id IN $ids OR (n:Identity AND n.value IN $values) "
        "OR (n:IdentityConflict AND n.value IN $values) RETURN count(n) AS n",
        {
            "ids": [
                person.id,
                person.device,
                person.journey,
                person.consent,
                person.merge,
                person.conflict,
                *person.events,
            ],
            "values": list(person.identities.values()),
        },
    )
    return int(rows[0]["n"])


@pytest.fixture
async def redis_client(services: Services) -> Any:
    client = aioredis.Redis.from_url(services.redis.config.url)
    yield client
    await client.aclose()


async def test_erasure_removes_the_customer_everywhere_and_leaves_an_anonymous_record(
    fed: Gateway, seeded: GraphDatabase, systems: Systems, redis_client: aioredis.Redis
) -> None:
    person = await build_person(fed, seeded, systems)
    needles = [person.id, *person.identities.values()]
    warm = await fed.query(WARM_CACHES, {"id": person.id})
    assert warm["data"]["customer"]["id"] == person.id
    before = await _keys_naming(redis_client, needles)
    for _ in range(300):  # stale copies are written in batches, after the answer (<= 30 s)
        if any(person.email in key for key in before):
            break
        await asyncio.sleep(0.1)
        before = await _keys_naming(redis_client, needles)
    assert any(person.id in key for key in before), before
    assert any(person.email in key for key in before), before
    assert await _events_naming(redis_client, person.id) > 0

    body = await fed.query(ERASE, {"id": person.id})
    assert "errors" not in body, body
    outcome = body["data"]["eraseCustomer"]
    assert outcome["replayed"] is False
    assert outcome["channelsNotified"] == sorted(SYSTEMS)
    assert outcome["channelsUnavailable"] == []
    assert outcome["cacheKeysPurged"] >= len(before)
    assert outcome["customerIdHash"] == customer_id_hash(person.id)
    assert outcome["removed"] == {
        "identities": 7,
        "devices": 1,
        "carts": 1,
        "interactions": 2,
        "journeys": 1,
        "consents": 1,
        "merges": 1,
        "conflicts": 1,
        "idempotencyKeys": 1,  # the cart change's
        "auditEntriesPseudonymised": 0,  # only partners' reads are audited
    }

    for kind, value in person.identities.items():
        found = await fed.query(
            "query($k: IdentityKind!, $v: String!) { customerByIdentity(kind: $k, value: $v) "
            "{ id } }",
            {"k": kind, "v": value},
        )
        assert found["data"]["customerByIdentity"] is None, (kind, found)
        assert found["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    gone = await fed.query("query($id: ID!) { customer(id: $id) { id } }", {"id": person.id})
    assert gone["data"]["customer"] is None
    assert await _graph_leftovers(seeded, person) == 0
    assert await _keys_naming(redis_client, needles) == []
    assert await _events_naming(redis_client, person.id) == 0

    for system in SYSTEMS:
        erasures = (await systems.get(system, "/admin/erasures"))["erasures"]
        told = [{i["kind"]: i["value"] for i in e["identifiers"]} for e in erasures]
        assert any(t.get("email") == person.email for t in told), (system, erasures)
        assert any(
            t.get("pos_customer_number") == person.identities["POS_CUSTOMER_NUMBER"] for t in told
        )

    rows = await seeded.read(
        "MATCH (e:ErasureRecord {id: $id}) RETURN properties(e) AS record",
        {"id": outcome["erasureId"]},
    )
    [record] = [row["record"] for row in rows]
    text = str(record)
    assert all(needle not in text for needle in needles), record
    assert record["customerIdHash"] == customer_id_hash(person.id)


async def test_an_erasure_right_after_a_read_leaves_none_of_its_stale_copies(
    services: Services, seeded: GraphDatabase, systems: Systems, redis_client: aioredis.Redis
) -> None:
    # A write window far longer than the erasure takes: the read's copies are still waiting to
    # be written when the erasure purges, so it must wait for them or miss them.
    settings = federated_settings(services, systems, port=free_port(), stale_write_window_s=1.0)
    async with running_gateway(settings) as gateway:
        person = await build_person(gateway, seeded, systems)
        needles = [person.id, *person.identities.values()]
        warm = await gateway.query(WARM_CACHES, {"id": person.id})
        assert warm["data"]["customer"]["id"] == person.id

        body = await gateway.query(ERASE, {"id": person.id})
        assert "errors" not in body, body
        assert body["data"]["eraseCustomer"]["cacheKeysPurged"] > 0
    # The gateway is closed: its channel clients wrote every stale copy still waiting before
    # closing, so a copy the erasure did not wait for is in Redis now (a sleep only hoped so).
    assert await _keys_naming(redis_client, needles) == []


async def test_an_erasure_purges_the_customers_cached_answers(
    services: Services, seeded: GraphDatabase, systems: Systems, redis_client: aioredis.Redis
) -> None:
    settings = federated_settings(services, systems, port=free_port(), response_cache_enabled=True)
    query = "query($id: ID!) { customer(id: $id) { id displayName } }"
    async with running_gateway(settings) as gateway:
        person = await build_person(gateway, seeded, systems)
        cached = await gateway.query(query, {"id": person.id})
        assert cached["data"]["customer"]["displayName"] == "Gdpr Person"
        assert any(
            key.startswith("parcours:resp:")
            for key in await _keys_naming(redis_client, [person.id])
        )

        body = await gateway.query(ERASE, {"id": person.id})
        assert "errors" not in body, body

        assert await _keys_naming(redis_client, [person.id]) == []
        gone = await gateway.query(query, {"id": person.id})
        assert gone["data"]["customer"] is None


async def test_an_erasure_drops_every_instances_near_copies_of_the_customers_answers(
    services: Services, seeded: GraphDatabase, systems: Systems, redis_client: aioredis.Redis
) -> None:
    near = {"response_cache_enabled": True, "response_cache_near_enabled": True}
    query = "query($id: ID!) { customer(id: $id) { id displayName } }"
    async with (
        running_gateway(federated_settings(services, systems, port=free_port(), **near)) as one,
        running_gateway(federated_settings(services, systems, port=free_port(), **near)) as two,
    ):
        person = await build_person(one, seeded, systems)
        # A customer whose version was never written (no event named them): version 0.
        await redis_client.delete(f"parcours:ctxver:{person.id}")
        for gateway in (one, two):  # their near caches keep nothing before they track
            await until_tracking(gateway)
        for gateway in (one, two):
            for _ in range(2):  # kept by the instance's near cache
                cached = await gateway.query(query, {"id": person.id})
                assert cached["data"]["customer"]["displayName"] == "Gdpr Person"

        body = await one.query(ERASE, {"id": person.id})
        assert "errors" not in body, body

        for gateway in (one, two):
            gone = await gateway.query(query, {"id": person.id})
            assert gone["data"]["customer"] is None, gone


RESUME = """
mutation($j: ID!, $key: String!) {
  resumeJourney(journeyId: $j, channel: WEB, idempotencyKey: $key) { nextStep }
}
"""
CHECKOUT = """
mutation($cart: ID!, $v: Int!, $key: String!) {
  checkout(cartId: $cart, expectedVersion: $v, fulfilment: {type: DELIVERY}, idempotencyKey: $key)
  { order { id } }
}
"""
CART = "query($id: ID!) { customer(id: $id) { cart { id version } } }"
KEYS = """
MATCH (k:IdempotencyKey) WHERE k.key IN $keys
RETURN k.key AS key, coalesce(k.response, '') AS response ORDER BY key
"""


async def _keep_three_answers(fed: Gateway, person: Person) -> list[str]:
    """A journey resumption and a checkout after the cart change: the scoped keys of all three."""
    tag = person.id.removeprefix("cus_gdpr_")
    resumed = await fed.query(RESUME, {"j": person.journey, "key": f"gdpr-resume-{tag}"})
    assert "errors" not in resumed, resumed
    cart = (await fed.query(CART, {"id": person.id}))["data"]["customer"]["cart"]
    ordered = await fed.query(
        CHECKOUT, {"cart": cart["id"], "v": cart["version"], "key": f"gdpr-checkout-{tag}"}
    )
    assert "errors" not in ordered, ordered
    return [
        f"anonymous:gdpr-cart-{tag}",
        f"anonymous:gdpr-resume-{tag}",
        f"anonymous:checkout:gdpr-checkout-{tag}",
    ]


async def test_erasure_removes_the_idempotency_keys_whose_answers_hold_the_customer(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person, other = [await build_person(fed, seeded, systems) for _ in range(2)]
    keys, others = await _keep_three_answers(fed, person), await _keep_three_answers(fed, other)
    kept = await seeded.read(KEYS, {"keys": keys})
    assert sorted(row["key"] for row in kept) == sorted(keys)
    # Why they must go: the checkout's answer is the order, with the customer's email.
    assert any(person.email in row["response"] for row in kept), kept

    outcome = (await fed.query(ERASE, {"id": person.id}))["data"]["eraseCustomer"]

    assert outcome["removed"]["idempotencyKeys"] == 3
    assert await seeded.read(KEYS, {"keys": keys}) == []
    assert len(await seeded.read(KEYS, {"keys": others})) == 3  # another customer's stay


async def test_the_audit_log_is_exported_and_kept_with_the_id_replaced_by_its_hash(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person = await build_person(fed, seeded, systems)
    partner = f"partner-gdpr-{uuid.uuid4().hex[:8]}"
    await audit.write_entries(
        seeded,
        [
            audit.AuditRecord(partner, "pii_read", person.id, ("displayName",)),
            audit.AuditRecord(partner, "pii_read", "cus_someone_else", ("displayName",)),
        ],
    )
    exported = (await fed.query(EXPORT, {"id": person.id}))["data"]["exportCustomer"]
    [read] = exported["graph"]["auditEntries"]  # whom their data was disclosed to
    assert (read["partnerId"], read["action"], read["fields"]) == (
        partner,
        "pii_read",
        ["displayName"],
    )

    outcome = (await fed.query(ERASE, {"id": person.id}))["data"]["eraseCustomer"]

    assert outcome["removed"]["auditEntriesPseudonymised"] == 1
    rows = await seeded.read(
        "MATCH (e:AuditEntry {partnerId: $p}) "
        "RETURN e.customerId AS id, e.customerIdHash AS hash ORDER BY hash",
        {"p": partner},
    )
    assert rows == [
        {"id": None, "hash": customer_id_hash(person.id)},
        {"id": "cus_someone_else", "hash": None},
    ]


async def test_erasing_twice_returns_the_first_outcome(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person = await build_person(fed, seeded, systems)
    first = (await fed.query(ERASE, {"id": person.id}))["data"]["eraseCustomer"]
    again = await fed.query(ERASE, {"id": person.id})
    assert "errors" not in again, again
    second = again["data"]["eraseCustomer"]
    assert second["replayed"] is True
    assert {k: v for k, v in second.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }


async def test_erasure_with_a_system_down_still_erases_and_names_it(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    person = await build_person(fed, seeded, systems)
    await systems.faults("mobile", errorRate=1.0)
    outcome = (await fed.query(ERASE, {"id": person.id}))["data"]["eraseCustomer"]
    assert outcome["channelsUnavailable"] == ["mobile"]
    assert "mobile" not in outcome["channelsNotified"]
    assert await _graph_leftovers(seeded, person) == 0


async def test_erasing_an_unknown_customer_is_not_found(fed: Gateway) -> None:
    body = await fed.query(ERASE, {"id": "cus_never_was_here"})
    assert body["data"] == {"eraseCustomer": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def _guest_views(
    fed: Gateway, web_id: str, event_id: str, kind: str = "view", at: str = "2026-09-01T10:00:00Z"
) -> str:
    """A view (or another ``kind`` of event) by a browser nobody holds; the id of the anonymous
    profile holding it then."""
    body = orjson.dumps(
        {
            "id": event_id,
            "type": kind,
            "at": at,
            "identifiers": [{"kind": "web_anonymous_id", "value": web_id}],
            "sku": SKU,
        }
    )
    headers = signed_headers("dev-webhook-secret-web", body)
    async with fed.session.post(f"{fed.url}/webhooks/web", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()
    found = await fed.query(
        "query($v: String!) { customerByIdentity(kind: WEB_ANONYMOUS_ID, value: $v) { id } }",
        {"v": web_id},
    )
    return str(found["data"]["customerByIdentity"]["id"])


async def test_a_profile_that_came_back_under_an_erased_id_is_erased_again(
    fed: Gateway, seeded: GraphDatabase
) -> None:
    # An anonymous profile's id derives from its first identifier, so a sign-up of the same
    # browser after an erasure (the one event ingest takes about an erased identifier) brings a
    # profile back under the erased id.
    tag = uuid.uuid4().hex[:10]
    web_id = f"web-back-{tag}"
    guest = await _guest_views(fed, web_id, f"back-{tag}-e1")
    first = (await fed.query(ERASE, {"id": guest}))["data"]["eraseCustomer"]
    assert first["replayed"] is False
    after = datetime.now(UTC).isoformat()
    assert await _guest_views(fed, web_id, f"back-{tag}-e2", "sign_up", after) == guest

    again = await fed.query(ERASE, {"id": guest})
    assert "errors" not in again, again
    second = again["data"]["eraseCustomer"]
    assert second["replayed"] is False
    assert second["erasureId"] != first["erasureId"]
    assert second["removed"]["interactions"] == 1
    assert second["removed"]["identities"] == 1
    rows = await seeded.read(
        "OPTIONAL MATCH (c:Customer {id: $id}) OPTIONAL MATCH (i:Interaction {id: $event}) "
        "RETURN c IS NULL AS customerGone, i IS NULL AS interactionGone",
        {"id": guest, "event": f"back-{tag}-e2"},
    )
    assert rows == [{"customerGone": True, "interactionGone": True}]

    replay = (await fed.query(ERASE, {"id": guest}))["data"]["eraseCustomer"]
    assert replay["replayed"] is True
    assert replay["erasureId"] == second["erasureId"]


TWOFOLD = """
CREATE (c:Customer {id: $id, displayName: 'Twofold Person', createdAt: datetime()})
CREATE (c)-[:USES]->(:Device {id: $device, kind: 'phone', os: 'ios'})
WITH c
UNWIND $identities AS identity
MERGE (i:Identity {kind: identity.kind, value: identity.value})
CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i)
"""
TWOFOLD_READ = """
query($id: ID!) {
  customer(id: $id) { devices { registration { platform } } orders(first: 5) { edges { cursor } } }
}
"""


async def test_erasure_removes_the_stale_copies_kept_under_several_of_the_customers_identities(
    fed: Gateway, seeded: GraphDatabase, redis_client: aioredis.Redis
) -> None:
    """A customer holding two emails (a merge leaves the survivor both) has their orders asked
    in one call, kept under one stale key naming both emails. Erasing them removes that copy,
    and those of their installs' registrations, too."""
    tag = uuid.uuid4().hex[:10]
    customer_id = f"cus_gdpr2_{tag}"
    values = {
        "email": [f"gdpr2-a-{tag}@example.test", f"gdpr2-b-{tag}@example.test"],
        "app_install_id": [f"app-gdpr2-a-{tag}", f"app-gdpr2-b-{tag}"],
    }
    identities = [{"kind": kind, "value": v} for kind, vs in values.items() for v in vs]
    await seeded.write(
        TWOFOLD, {"id": customer_id, "device": f"dev-gdpr2-{tag}", "identities": identities}
    )
    needles = [value for vs in values.values() for value in vs]
    read = await fed.query(TWOFOLD_READ, {"id": customer_id})
    assert "errors" not in read, read
    kept: list[str] = []
    for _ in range(300):  # stale copies are written in batches, after the answer (<= 30 s)
        kept = await _keys_naming(redis_client, needles)
        if len(kept) >= 3:
            break
        await asyncio.sleep(0.1)
    assert any(",".join(values["email"]) in key for key in kept), kept
    assert all(any(i in key for key in kept) for i in values["app_install_id"]), kept

    erased = await fed.query(ERASE, {"id": customer_id})
    assert "errors" not in erased, erased

    assert await _keys_naming(redis_client, needles) == []


async def test_a_system_that_fails_is_unavailable_in_the_export_even_with_a_stale_copy_kept(
    fed: Gateway, seeded: GraphDatabase, systems: Systems, redis_client: aioredis.Redis
) -> None:
    """The export says what each system holds now: a copy kept for stale fallback by an
    earlier read is no answer of the system, and the export never passes it off as one."""
    person = await build_person(fed, seeded, systems)
    orders = "query($id: ID!) { customer(id: $id) { orders(first: 100) { edges { cursor } } } }"
    read = await fed.query(orders, {"id": person.id})  # the page the export asks for, too
    assert len(read["data"]["customer"]["orders"]["edges"]) == 1, read
    kept: list[str] = []
    for _ in range(300):  # stale copies are written in batches, after the answer (<= 30 s)
        kept = await _keys_naming(redis_client, [f"oms:orders:{person.email}"])
        if kept:
            break
        await asyncio.sleep(0.1)
    assert kept  # the OMS's last answer about the email, ready for a fallback
    await systems.faults("oms", errorRate=1.0)

    body = await fed.query(EXPORT, {"id": person.id})

    assert "errors" not in body, body
    document = body["data"]["exportCustomer"]
    assert document["unavailableChannels"] == ["oms"]
    assert document["channels"]["oms"] == {"status": "unavailable", "reason": "CHANNEL_UNAVAILABLE"}


async def _many_receipts(systems: Systems, pos_number: str, count: int) -> None:
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    on_shelf = [
        (store, row["sku"])
        for store in ("ST001", "ST002", "ST003")
        for row in (await systems.get("stores", f"/pos/stores/{store}/stock", skus=skus))["stock"]
        for _ in range(row["onHand"])
    ]
    assert len(on_shelf) >= count
    for store, sku in on_shelf[:count]:
        body = {"posNumber": pos_number, "storeId": store, "lines": [{"sku": sku, "qty": 1}]}
        await systems.post("stores", "/pos/receipts", body)


async def _many_orders(systems: Systems, email: str, count: int) -> None:
    stock: dict[str, int] = {}
    for start in (1, 101, 201):
        skus = ",".join(f"SKU-{n:05d}" for n in range(start, start + 100))
        found = await systems.get("oms", "/oms/availability", skus=skus, storeIds="ST001")
        stock |= {row["sku"]: row["online"] for row in found["availability"]}
    in_stock = [sku for sku, units in stock.items() for _ in range(units)]
    assert len(in_stock) >= count
    for sku in in_stock[:count]:
        body = {"customerEmail": email, "lines": [{"sku": sku, "qty": 1}]}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        async with systems.session.post(
            systems.urls["oms"] + "/oms/orders", json=body, headers=headers
        ) as r:
            assert r.status == 201, await r.text()


async def test_the_export_holds_every_record_a_system_has_past_its_first_page(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    """The systems page their lists 100 at a time: a customer with more orders or receipts than
    that gets all of them in their export, not the first hundred."""
    person = await build_person(fed, seeded, systems)
    customer = a_customer("pos_customer_number")
    pos_number = customer["identities"]["pos_customer_number"][0]
    await _many_orders(systems, person.email, 120)  # with the one build_person placed: 121
    await _many_receipts(systems, pos_number, 110)
    held = await systems.get("stores", f"/pos/customers/{pos_number}/receipts", pageSize="1")

    mine = (await fed.query(EXPORT, {"id": person.id}))["data"]["exportCustomer"]
    theirs = (await fed.query(EXPORT, {"id": customer["id"]}))["data"]["exportCustomer"]

    orders = mine["channels"]["oms"]["records"][person.email]["orders"]
    assert (orders["total"], len({o["id"] for o in orders["items"]})) == (121, 121)
    receipts = theirs["channels"]["stores"]["records"][pos_number]["receipts"]
    assert len({r["id"] for r in receipts}) == held["total"] >= 110
