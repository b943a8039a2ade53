"""Webhook events about an erased customer: dropped, counted and answered 2xx, never recorded.

A channel system that retries (or sends late) an event about a customer after their erasure must
not make the person we were asked to forget appear again; only a ``sign_up`` dated after the
erasure makes a customer of their identifiers again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graph import GraphDatabase
from graph.erasure import ErasureReport, customer_id_hash, erase_customer
from graph.identities import IdentityKind
from graph.ingest import anonymous_customer_id
from tests.conftest import Gateway
from tests.gateway.test_webhooks import event, ingested, owner, post, stored_ids

Json = dict[str, Any]

KNOWN = """
CREATE (c:Customer {id: $id, displayName: 'Erin Erased', createdAt: datetime()})
WITH c
UNWIND $identities AS identity
MERGE (i:Identity {kind: identity.kind, value: identity.value})
CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i)
"""
CUSTOMERS = "UNWIND $ids AS id MATCH (c:Customer {id: id}) RETURN c.id AS id"
HOLDERS = """
UNWIND $identities AS identity
MATCH (:Identity {kind: identity[0], value: identity[1]})<-[:IDENTIFIED_BY]-(c:Customer)
RETURN c.id AS id
"""
IDENTITIES = """
UNWIND $identities AS identity
MATCH (i:Identity {kind: identity[0], value: identity[1]})
RETURN i.kind AS kind
"""
NO_ERASURE = ErasureReport([], [], 0)


@pytest.fixture(scope="module", autouse=True)
async def forget_what_these_tests_wrote(graph: GraphDatabase) -> AsyncIterator[None]:
    """Other modules count customers: leave the graph as we found it (but the erasures' hashes)."""
    yield
    await graph.write(
        "MATCH (c:Customer)-[:IDENTIFIED_BY]->(i:Identity) "
        "WHERE c.id STARTS WITH 'cus_anon_' AND i.value STARTS WITH 'wh-' DETACH DELETE c"
    )
    await graph.write(
        "MATCH (n) WHERE n:Interaction AND n.id STARTS WITH 'wh-' "
        "OR n:Identity AND n.value STARTS WITH 'wh-' DETACH DELETE n"
    )


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _phone() -> str:
    return f"+336{uuid.uuid4().int % 10**8:08d}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def erased(index: int, event_id: str) -> Json:
    """How the answer lists an event dropped as naming an erased customer."""
    return {
        "index": index,
        "id": event_id,
        "code": "CUSTOMER_ERASED",
        "message": "names an identifier of an erased customer: the whole event is not recorded"
        " (nor are its other identifiers), and not to be sent again (after the erasure, only a"
        " sign_up makes a customer of it again)",
    }


async def test_a_guests_event_replayed_after_their_erasure_does_not_bring_them_back(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    web_id = f"wh-erased-guest-{_tag()}"
    seen = event(f"wh-erased-guest-e1-{_tag()}", [("web_anonymous_id", web_id)])
    assert await post(gateway, "web", seen) == (200, ingested(1, 0))
    guest = anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, web_id)
    assert await erase_customer(graph, guest, NO_ERASURE) is not None

    # The same event again (a sender's retry), and a later one of the same browser.
    later = event(f"wh-erased-guest-e2-{_tag()}", [("web_anonymous_id", web_id)])
    later["at"] = _iso(datetime.now(UTC) + timedelta(minutes=1))
    answer = await post(gateway, "web", {"events": [seen, later]})

    assert answer == (
        200,
        ingested(0, 0, erased=2, rejected=[erased(0, seen["id"]), erased(1, later["id"])]),
    )
    assert await graph.read(CUSTOMERS, {"ids": [guest]}) == []
    assert await stored_ids(graph, [seen["id"], later["id"]]) == []
    assert await graph.read(HOLDERS, {"identities": [["web_anonymous_id", web_id]]}) == []


async def test_late_events_naming_any_identity_of_an_erased_customer_are_dropped_alone(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """A known customer (their id derives from no identifier): the erasure keeps a salted hash
    of each identity they held; events naming one are dropped, the batch's others recorded."""
    tag = _tag()
    customer, email, phone = f"cus_wh_erased_{tag}", f"wh-erin-{tag}@example.test", _phone()
    identities = [{"kind": "email", "value": email}, {"kind": "phone", "value": phone}]
    await graph.write(KNOWN, {"id": customer, "identities": identities})
    assert await erase_customer(graph, customer, NO_ERASURE) is not None

    by_phone = event(f"wh-erin-call-{tag}", [("phone", phone)], type="call")
    with_new_id = event(
        f"wh-erin-web-{tag}", [("web_anonymous_id", f"wh-w-{tag}"), ("email", email)]
    )
    with_new_id["at"] = _iso(datetime.now(UTC) + timedelta(minutes=1))
    stranger = event(f"wh-stranger-{tag}", [("web_anonymous_id", f"wh-s-{tag}")])
    status, answer = await post(gateway, "web", {"events": [by_phone, with_new_id, stranger]})

    assert (status, answer) == (
        200,
        ingested(
            1, 0, erased=2, rejected=[erased(0, by_phone["id"]), erased(1, with_new_id["id"])]
        ),
    )
    assert await stored_ids(graph, [by_phone["id"], with_new_id["id"]]) == []
    assert await stored_ids(graph, [stranger["id"]]) == [stranger["id"]]
    identities_then = [["email", email], ["phone", phone], ["web_anonymous_id", f"wh-w-{tag}"]]
    assert await graph.read(HOLDERS, {"identities": identities_then}) == []
    # Dropped whole: the fresh browser id beside the erased email is not kept either, nor is the
    # email itself in clear (the erasure's hash is all that stays of it).
    assert await graph.read(IDENTITIES, {"identities": identities_then}) == []


async def test_after_an_erasure_a_sign_up_makes_a_new_customer_but_not_of_the_old_history(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """The rule for an identifier registered again: a sign_up dated after the erasure creates a
    customer, later events go to them; an event dated before the erasure stays dropped."""
    tag = _tag()
    customer, email = f"cus_wh_back_{tag}", f"wh-back-{tag}@example.test"
    await graph.write(KNOWN, {"id": customer, "identities": [{"kind": "email", "value": email}]})
    before = datetime.now(UTC) - timedelta(minutes=1)
    assert await erase_customer(graph, customer, NO_ERASURE) is not None
    after = datetime.now(UTC) + timedelta(minutes=1)

    view = event(f"wh-back-view-{tag}", [("email", email)], at=_iso(after))
    assert await post(gateway, "web", view) == (
        200,
        ingested(0, 0, erased=1, rejected=[erased(0, view["id"])]),
    )
    sign_up = event(f"wh-back-signup-{tag}", [("email", email)], type="sign_up", at=_iso(after))
    old = event(f"wh-back-old-{tag}", [("email", email)], type="purchase", at=_iso(before))
    answer = await post(gateway, "web", {"events": [sign_up, view, old]})

    assert answer == (200, ingested(2, 0, erased=1, rejected=[erased(2, old["id"])]))
    new = anonymous_customer_id(IdentityKind.EMAIL, email)
    assert await owner(gateway, "EMAIL", email) == {
        "id": new,
        "displayName": "Visiteur anonyme",
        "identities": [{"kind": "EMAIL", "value": email, "source": "web", "confidence": 1.0}],
    }
    assert sorted(await stored_ids(graph, [sign_up["id"], view["id"], old["id"]])) == sorted(
        [sign_up["id"], view["id"]]
    )
    # Held again: a later event of the same customer is recorded; an old one still is not.
    again = event(f"wh-back-again-{tag}", [("email", email)], at=_iso(after))
    late = event(f"wh-back-late-{tag}", [("email", email)], at=_iso(before))
    answer = await post(gateway, "web", {"events": [late, again]})
    assert answer == (200, ingested(1, 0, erased=1, rejected=[erased(0, late["id"])]))
    await graph.write("MATCH (c:Customer {id: $id}) DETACH DELETE c", {"id": new})


# What an erasure before migration 18 left of a guest: its record, no ErasedIdentity.
ERASED_BEFORE_18 = """
MATCH (c:Customer {id: $id})-[:IDENTIFIED_BY]->(i:Identity)
DETACH DELETE c, i
CREATE (:ErasureRecord {id: $erasureId, at: datetime(), customerIdHash: $hash})
"""


async def test_a_guest_erased_before_identities_were_kept_is_recognised_by_its_record(
    gateway: Gateway, graph: GraphDatabase
) -> None:
    """Erasures before migration 18 kept only the customer id's hash: a guest's id derives from
    its first identifier, so that identifier's late events are still dropped."""
    web_id = f"wh-erased-old-guest-{_tag()}"
    seen = event(f"wh-erased-old-e1-{_tag()}", [("web_anonymous_id", web_id)])
    assert await post(gateway, "web", seen) == (200, ingested(1, 0))
    guest = anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, web_id)
    params = {"id": guest, "erasureId": f"era_{_tag()}", "hash": customer_id_hash(guest)}
    await graph.write(ERASED_BEFORE_18, params)

    later = event(f"wh-erased-old-e2-{_tag()}", [("web_anonymous_id", web_id)])
    later["at"] = _iso(datetime.now(UTC) + timedelta(minutes=1))
    assert await post(gateway, "web", later) == (
        200,
        ingested(0, 0, erased=1, rejected=[erased(0, later["id"])]),
    )
    assert await graph.read(CUSTOMERS, {"ids": [guest]}) == []
