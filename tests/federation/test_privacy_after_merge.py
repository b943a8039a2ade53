"""GDPR after a merge: what an anonymous profile held goes with it to the known customer it merged
into, so that customer's export shows it and their erasure removes it.

The guest has an active cart changed through the API (so an idempotency key names them), a cart
already ordered, an identity conflict, a merge record of its own, and a conflict of another
customer naming them; then logging in with the known customer's email merges it away.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from graph import GraphDatabase
from graph.erasure import order_id_hash
from tests.conftest import Gateway
from tests.federation.conftest import Systems

SKU = "SKU-00004"
LINK = """
mutation($id: ID!, $kind: IdentityKind!, $value: String!) {
  linkIdentity(customerId: $id, kind: $kind, value: $value, channel: WEB) { outcome customerId }
}
"""
ADD = """
mutation($id: ID!, $key: String!) {
  addCartItem(customerId: $id, sku: "SKU-00004", channel: WEB, idempotencyKey: $key) { id }
}
"""
EXPORT = "query($id: ID!) { exportCustomer(id: $id) }"
ERASE = "mutation($id: ID!) { eraseCustomer(id: $id) { erasureId } }"
GUEST_EXTRAS = """
MATCH (g:Customer {id: $guest}), (o:Customer {id: $other})
CREATE (g)-[:HAS_CART]->(:Cart {id: $orderedCart, version: 3, status: 'ordered',
                                updatedAt: datetime(), orderId: $orderId})
CREATE (g)-[:HAS_CONFLICT]->(:IdentityConflict {id: $conflict, kind: 'app_install_id',
        value: $appId, reason: 'limit_exceeded', otherCustomerId: null, at: datetime(),
        source: 'app'})
CREATE (g)-[:MERGED]->(:Merge {id: $merge, at: datetime(), reason: 'app_install_id linked',
                              source: 'app', mergedId: 'cus_anon_older', identities: [],
                              interactions: [], cartRule: 'union_max',
                              joinedJourneys: [$joined]})
       -[:JOINED_JOURNEY]->(:JoinedJourney {id: $joined})
CREATE (o)-[:HAS_CONFLICT]->(:IdentityConflict {id: $naming, kind: 'web_anonymous_id',
        value: $webId, reason: 'limit_exceeded', otherCustomerId: $guest, at: datetime(),
        source: 'web'})
"""


@dataclass(frozen=True)
class Guest:
    id: str
    web_id: str
    active_cart: str
    ordered_cart: str
    conflict: str
    merge: str
    key: str
    naming_conflict: str  # another customer's, naming the guest


async def _customer(graph: GraphDatabase, customer_id: str, kind: str, value: str) -> None:
    await graph.write(
        "CREATE (c:Customer {id: $id, displayName: 'Merge Privacy', createdAt: datetime()}) "
        "MERGE (i:Identity {kind: $kind, value: $value}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i)",
        {"id": customer_id, "kind": kind, "value": value},
    )


async def _build_guest(fed: Gateway, graph: GraphDatabase, tag: str, other: str) -> Guest:
    guest_id, web_id = f"cus_anon_mp_{tag}", f"web-mp-{tag}"
    await _customer(graph, guest_id, "web_anonymous_id", web_id)
    added = await fed.query(ADD, {"id": guest_id, "key": f"mp-cart-{tag}"})
    assert "errors" not in added, added
    guest = Guest(
        id=guest_id,
        web_id=web_id,
        active_cart=added["data"]["addCartItem"]["id"],
        ordered_cart=f"cart-mp-ordered-{tag}",
        conflict=f"cfl-mp-{tag}",
        merge=f"mrg-mp-{tag}",
        key=f"anonymous:mp-cart-{tag}",
        naming_conflict=f"cfl-mp-naming-{tag}",
    )
    await graph.write(
        GUEST_EXTRAS,
        {
            "guest": guest.id,
            "other": other,
            "orderedCart": guest.ordered_cart,
            "orderId": f"ord-mp-{tag}",
            "conflict": guest.conflict,
            "appId": f"app-mp-{tag}",
            "merge": guest.merge,
            "joined": f"jrn-mp-joined-{tag}",
            "naming": guest.naming_conflict,
            "webId": f"web-mp-other-{tag}",
        },
    )
    return guest


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for item in items}


async def test_what_a_merged_guest_held_is_the_survivors_to_export_and_to_erase(
    fed: Gateway, seeded: GraphDatabase, systems: Systems
) -> None:
    tag = uuid.uuid4().hex[:10]
    known, other, email = f"cus_mp_known_{tag}", f"cus_mp_other_{tag}", f"mp-{tag}@example.test"
    await _customer(seeded, known, "email", email)
    await _customer(seeded, other, "email", f"mp-other-{tag}@example.test")
    guest = await _build_guest(fed, seeded, tag, other)

    login = await fed.query(LINK, {"id": guest.id, "kind": "EMAIL", "value": email})
    assert login["data"]["linkIdentity"] == {"outcome": "MERGED", "customerId": known}, login

    exported = await fed.query(EXPORT, {"id": known})
    assert "errors" not in exported, exported
    dossier = exported["data"]["exportCustomer"]["graph"]
    carts = {cart["id"]: cart for cart in dossier["carts"]}
    assert {guest.active_cart, guest.ordered_cart} <= set(carts)
    assert carts[guest.active_cart]["status"] == "merged"
    assert [line["sku"] for line in carts[guest.active_cart]["lines"]] == [SKU]
    assert carts[guest.ordered_cart]["status"] == "ordered"
    assert [c for c in dossier["carts"] if c["status"] == "active"]  # the union, the survivor's
    assert _ids(dossier["conflicts"]) == {guest.conflict}
    assert guest.merge in _ids(dossier["merges"])
    [record] = [m for m in dossier["merges"] if m["id"] != guest.merge]  # the merge of the guest
    assert record["mergedId"] == guest.id
    assert sorted(record["carts"]) == sorted([guest.active_cart, guest.ordered_cart])
    assert (record["conflicts"], record["merges"]) == ([guest.conflict], [guest.merge])
    assert record["idempotencyKeys"] == [guest.key]
    assert record["conflictsNamingMerged"] == [guest.naming_conflict]
    assert [k["key"] for k in dossier["idempotencyKeys"]] == [guest.key]
    assert _ids(dossier["conflictsNamingThem"]) == {guest.naming_conflict}

    erased = await fed.query(ERASE, {"id": known})
    assert "errors" not in erased, erased

    left = await seeded.read(
        "MATCH (n) WHERE n.id IN $ids OR (n:IdempotencyKey AND n.key = $key) "
        "RETURN labels(n) AS labels, n.id AS id, n.key AS key",
        {
            "ids": [
                guest.active_cart,
                guest.ordered_cart,
                guest.conflict,
                guest.merge,
                f"jrn-mp-joined-{tag}",  # a journey the guest's earlier merge joined away
            ],
            "key": guest.key,
        },
    )
    assert left == []
    # The ordered cart's order is kept by its salted id hash only, for its live views.
    erased_orders = await seeded.read(
        "MATCH (o:ErasedOrder {orderIdHash: $hash}) RETURN keys(o) AS keys",
        {"hash": order_id_hash(f"ord-mp-{tag}")},
    )
    assert [sorted(row["keys"]) for row in erased_orders] == [["at", "erasureId", "orderIdHash"]]
    named = await seeded.read(
        "MATCH (n) WHERE any(p IN keys(n) WHERE n[p] = $guest OR n[p] = $web) "
        "RETURN labels(n) AS labels, properties(n) AS props",
        {"guest": guest.id, "web": guest.web_id},
    )
    assert named == []
    [naming] = await seeded.read(
        "MATCH (:Customer {id: $other})-[:HAS_CONFLICT]->(k:IdentityConflict {id: $id}) "
        "RETURN k.otherCustomerId AS otherCustomerId, k.value AS value",
        {"other": other, "id": guest.naming_conflict},
    )
    assert naming == {"otherCustomerId": None, "value": "[erased]"}
