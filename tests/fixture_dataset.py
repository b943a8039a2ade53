"""A small, hand-made dataset whose answers we know by heart (and by hand-computation).

Alice has 25 interactions (two sharing one timestamp, to test the id tie-break), a cart with FX-P1
and FX-P2, and touched FX-P3 (viewed, the latest) and FX-P4 (bought, one day earlier). Bob, Carol
and Dave touched the same products and bought others, which gives Alice these recommendations:

- FX-P5: via FX-P3, 1.0 x 2 (Bob bought it twice) + via FX-P4, 5/(1+1/30) x 2 = 11.677419
- FX-P6: via FX-P3, 1.0 x 1 (Carol) + via FX-P4, 5/(1+1/30) x 1 (Dave) = 5.83871
FX-P1 and FX-P2 (in her cart) and FX-P4 (she bought it) must never be recommended to her.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.seed import CustomerBatch, ReferenceData

T = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
ALICE, BOB, CAROL, DAVE, ERIN = "cus_alice", "cus_bob", "cus_carol", "cus_dave", "cus_erin"

PRODUCTS = [
    {"sku": "FX-P1", "name": "Canapé Test", "category": "sofas", "brand": "Fixture"},
    {"sku": "FX-P2", "name": "Lampe Test", "category": "lighting", "brand": "Fixture"},
    {"sku": "FX-P3", "name": "Coussin Test", "category": "decor", "brand": "Fixture"},
    {"sku": "FX-P4", "name": "Tapis Test", "category": "decor", "brand": "Fixture"},
    {"sku": "FX-P5", "name": "Bouilloire Test", "category": "kitchen", "brand": "Fixture"},
    {"sku": "FX-P6", "name": "Poêle Test", "category": "kitchen", "brand": "Fixture"},
]
STORES = [
    {"id": "FX-ST-A", "name": "Parcours Test Lyon", "city": "Lyon"},
    {"id": "FX-ST-B", "name": "Parcours Test Paris", "city": "Paris"},
]


def _event(  # noqa: PLR0917 - one positional per event column keeps the table readable
    eid: str,
    customer: str,
    at: datetime,
    kind: str,
    channel: str,
    sku: str | None = None,
    store: str | None = None,
    device: str | None = None,
) -> dict[str, object]:
    return {
        "id": eid,
        "customerId": customer,
        "at": at,
        "type": kind,
        "channel": channel,
        "sku": sku,
        "storeId": store,
        "deviceId": device,
    }


def alice_interactions() -> list[dict[str, object]]:
    events = [
        _event(f"fx-a-{k:02d}", ALICE, T - timedelta(days=2, hours=k), "search", "web")
        for k in range(1, 21)
    ]
    events += [
        _event("fx-a-21", ALICE, T - timedelta(days=1, hours=5), "call", "call_centre"),
        _event("fx-a-22", ALICE, T - timedelta(days=1, hours=3), "chat", "chat"),
        _event("fx-a-23", ALICE, T - timedelta(days=1, hours=3), "email_open", "email"),
        _event("fx-a-24", ALICE, T - timedelta(days=1), "purchase", "store", "FX-P4", "FX-ST-A"),
        _event("fx-a-25", ALICE, T, "view", "app", "FX-P3", device="fx-dev-alice"),
    ]
    return events


def reference() -> ReferenceData:
    return ReferenceData(
        channels=[{"code": c} for c in ("web", "app", "store", "call_centre", "chat", "email")],
        stores=STORES,
        products=PRODUCTS,
    )


def batch() -> CustomerBatch:
    created = T - timedelta(days=400)
    data = CustomerBatch()
    for cid, name in (
        (ALICE, "Alice Martin"),
        (BOB, "Bob Durand"),
        (CAROL, "Carol Petit"),
        (DAVE, "Dave Moreau"),
        (ERIN, "Visiteur anonyme"),
    ):
        data.customers.append({"id": cid, "displayName": name, "createdAt": created})
    for kind, value, source in (
        ("email", "alice@example.com", "web"),
        ("phone", "+33611111111", "store"),
        ("loyalty_card", "LC000000001", "store"),
        ("web_anonymous_id", "web-alice-1", "web"),
    ):
        data.identities.append(
            {
                "customerId": ALICE,
                "kind": kind,
                "value": value,
                "since": created,
                "source": source,
                "confidence": 1.0,
            }
        )
    data.identities.append(
        {
            "customerId": BOB,
            "kind": "email",
            "value": "bob@example.com",
            "since": created,
            "source": "web",
            "confidence": 1.0,
        }
    )
    data.identities.append(
        {
            "customerId": ERIN,
            "kind": "web_anonymous_id",
            "value": "web-erin-1",
            "since": created,
            "source": "web",
            "confidence": 0.9,
        }
    )
    data.devices.append({"customerId": ALICE, "id": "fx-dev-alice", "kind": "phone", "os": "ios"})
    data.carts.append(
        {
            "customerId": ALICE,
            "id": "fx-cart-alice",
            "version": 3,
            "updatedAt": T - timedelta(hours=2),
            "status": "active",
        }
    )
    data.cart_lines += [
        {
            "cartId": "fx-cart-alice",
            "sku": "FX-P1",
            "qty": 1,
            "addedAt": T - timedelta(hours=4),
            "addedVia": "store",
        },
        {
            "cartId": "fx-cart-alice",
            "sku": "FX-P2",
            "qty": 2,
            "addedAt": T - timedelta(hours=3),
            "addedVia": "app",
        },
    ]
    data.interactions += alice_interactions()
    data.interactions += [
        _event("fx-b-1", BOB, T - timedelta(days=10), "view", "web", "FX-P3"),
        _event("fx-b-2", BOB, T - timedelta(days=9), "purchase", "web", "FX-P5"),
        _event("fx-b-3", BOB, T - timedelta(days=8), "purchase", "store", "FX-P5", "FX-ST-B"),
        _event("fx-b-4", BOB, T - timedelta(days=7), "purchase", "web", "FX-P1"),
        _event("fx-b-5", BOB, T - timedelta(days=6), "purchase", "web", "FX-P4"),
        _event("fx-c-1", CAROL, T - timedelta(days=10), "view", "web", "FX-P3"),
        _event("fx-c-2", CAROL, T - timedelta(days=9), "purchase", "web", "FX-P6"),
        _event("fx-d-1", DAVE, T - timedelta(days=10), "view", "web", "FX-P4"),
        _event("fx-d-2", DAVE, T - timedelta(days=9), "purchase", "web", "FX-P6"),
    ]
    return data
