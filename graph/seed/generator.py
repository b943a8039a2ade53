"""A deterministic, realistic demo dataset: same seed, same customers, ids, carts and history.

Reference data (channels, stores, products) comes from the seed alone; each customer is drawn from
its own PRNG seeded by ``(seed, index)``, so any slice of customers can be generated on its own
(in order, in parallel, or again) and always comes out the same. Times are anchored to a fixed
date, not the wall clock. Activity and popularity are heavy-tailed: a few very active customers and
very popular products, as in a real shop.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.seed import _vocabulary as vocab

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
HISTORY_DAYS = 180
Row = dict[str, Any]

_TYPES_BY_CHANNEL: dict[str, tuple[tuple[str, int], ...]] = {
    "web": (("view", 60), ("search", 20), ("add_to_cart", 12), ("purchase", 8)),
    "app": (("view", 55), ("search", 20), ("add_to_cart", 15), ("purchase", 10)),
    "store": (("store_visit", 50), ("purchase", 40), ("return", 10)),
    "call_centre": (("call", 100),),
    "chat": (("chat", 100),),
    "email": (("email_open", 100),),
}
_CHANNEL_WEIGHTS = (
    ("web", 34),
    ("app", 30),
    ("store", 18),
    ("call_centre", 6),
    ("chat", 5),
    ("email", 7),
)
_PRODUCT_TYPES = {"view", "add_to_cart", "purchase", "return"}


@dataclass
class ReferenceData:
    channels: list[Row]
    stores: list[Row]
    products: list[Row]


@dataclass
class CustomerBatch:
    """Every row that belongs to a run of consecutive customers."""

    customers: list[Row] = field(default_factory=list)
    identities: list[Row] = field(default_factory=list)
    devices: list[Row] = field(default_factory=list)
    carts: list[Row] = field(default_factory=list)
    cart_lines: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)
    journeys: list[Row] = field(default_factory=list)
    journey_steps: list[Row] = field(default_factory=list)
    consents: list[Row] = field(default_factory=list)


def reference_data(seed: int, products: int = 300) -> ReferenceData:
    rng = random.Random(f"reference:{seed}")
    stores = [
        {"id": f"ST{index + 1:03d}", "name": f"Parcours {city}", "city": city}
        for index, city in enumerate(vocab.CITIES)
    ]
    catalog: list[Row] = []
    categories = list(vocab.CATEGORIES)
    for index in range(products):
        category = categories[index % len(categories)]
        family = rng.choice(vocab.CATEGORIES[category])
        catalog.append(
            {
                "sku": f"SKU-{index + 1:05d}",
                "name": f"{family} {rng.choice(vocab.ADJECTIVES)} {index + 1}",
                "category": category,
                "brand": rng.choice(vocab.BRANDS),
            }
        )
    return ReferenceData(
        channels=[{"code": code} for code in vocab.CHANNELS], stores=stores, products=catalog
    )


def list_price(seed: int, sku: str, category: str) -> float:
    """A shelf price such as 459.99, the same for a SKU in every system (and in seeded purchases).

    Example:
        >>> list_price(42, "SKU-00001", "decor") == list_price(42, "SKU-00001", "decor")
        True
    """
    low, high = vocab.PRICE_BANDS.get(category, (9, 499))
    rng = random.Random(f"price:{seed}:{sku}")
    return round(rng.randint(low, high) - 0.01, 2)


def customer_id(seed: int, index: int) -> str:
    return f"cus_{random.Random(f'id:{seed}:{index}').getrandbits(48):012x}"


def customer_batches(
    seed: int, reference: ReferenceData, customers: int, batch_size: int = 500, first: int = 0
) -> Iterator[CustomerBatch]:
    """Customers ``first..customers-1`` in batches of ``batch_size``."""
    for start in range(first, customers, batch_size):
        batch = CustomerBatch()
        for index in range(start, min(start + batch_size, customers)):
            _add_customer(batch, seed, index, reference)
        yield batch


def _zipf_index(rng: random.Random, size: int, skew: float = 1.1) -> int:
    """A heavy-tailed index in ``[0, size)``: low indexes are drawn far more often."""
    return min(int(size * rng.random() ** (skew * 2.2)), size - 1)


def _add_customer(batch: CustomerBatch, seed: int, index: int, ref: ReferenceData) -> None:
    rng = random.Random(f"customer:{seed}:{index}")
    cid = customer_id(seed, index)
    first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
    created = ANCHOR - timedelta(days=HISTORY_DAYS + rng.randint(0, 900))
    batch.customers.append({"id": cid, "displayName": f"{first} {last}", "createdAt": created})
    home_store = ref.stores[_zipf_index(rng, len(ref.stores), 0.6)]["id"]

    def identity(kind: str, value: str, source: str, confidence: float = 1.0) -> None:
        batch.identities.append(
            {
                "customerId": cid,
                "kind": kind,
                "value": value,
                "since": created + timedelta(days=rng.randint(0, 60)),
                "source": source,
                "confidence": confidence,
            }
        )

    slug = f"{first}.{last}".lower().replace("ï", "i").replace("é", "e").replace("è", "e")
    identity("email", f"{slug}.{index}@example.com", "web")
    if rng.random() < 0.7:
        identity("phone", f"+336{rng.randint(10_000_000, 99_999_999)}", "store")
    if rng.random() < 0.55:
        identity("loyalty_card", f"LC{index:09d}", "store")
        identity("pos_customer_number", f"POS-{home_store}-{index:07d}", "store")
    if rng.random() < 0.3:
        identity("contact_centre_id", f"CC{index:08d}", "call_centre")
    for n in range(rng.choice((1, 1, 2, 3))):
        identity("web_anonymous_id", f"web-{cid[4:]}-{n}", "web", 0.9)
    devices = []
    for n in range(rng.choice((0, 1, 1, 2))):
        device = {
            "customerId": cid,
            "id": f"dev-{cid[4:]}-{n}",
            "kind": rng.choice(("phone", "phone", "tablet")),
            "os": rng.choice(("ios", "android")),
        }
        devices.append(device)
        batch.devices.append(device)
        identity("app_install_id", f"app-{cid[4:]}-{n}", "app", 0.95)

    activity = max(1, int(rng.paretovariate(1.6) * 4))
    activity = min(activity, 400)
    channel_names = [name for name, _ in _CHANNEL_WEIGHTS]
    channel_weights = [weight for _, weight in _CHANNEL_WEIGHTS]
    ids: list[tuple[str, datetime, str]] = []
    for n in range(activity):
        channel = rng.choices(channel_names, channel_weights)[0]
        if channel == "app" and not devices:
            channel = "web"
        kinds = _TYPES_BY_CHANNEL[channel]
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        at = ANCHOR - timedelta(seconds=rng.randint(0, HISTORY_DAYS * 86_400))
        product = (
            ref.products[_zipf_index(rng, len(ref.products))] if kind in _PRODUCT_TYPES else None
        )
        sku = product["sku"] if product is not None else None
        # A purchase is one unit at the shelf price, as the systems price it (revenue analytics).
        amount = (
            list_price(seed, product["sku"], product["category"])
            if product is not None and kind == "purchase"
            else None
        )
        store_id = home_store if channel == "store" else None
        device_id = rng.choice(devices)["id"] if channel == "app" else None
        interaction_id = f"evt-{cid[4:]}-{n:04d}"
        batch.interactions.append(
            {
                "id": interaction_id,
                "customerId": cid,
                "at": at,
                "type": kind,
                "channel": channel,
                "sku": sku,
                "storeId": store_id,
                "deviceId": device_id,
                "amount": amount,
            }
        )
        ids.append((interaction_id, at, channel))

    if rng.random() < 0.4:
        _add_cart(batch, rng, cid, ref, devices)
    if ids and rng.random() < 0.2:
        _add_journey(batch, rng, cid, ids)
    for purpose in vocab.CONSENT_PURPOSES:
        batch.consents.append(
            {
                "id": f"{cid}:{purpose}",
                "customerId": cid,
                "purpose": purpose,
                "granted": rng.random() < 0.75,
                "at": created,
                "source": "web",
            }
        )


def _add_cart(
    batch: CustomerBatch, rng: random.Random, cid: str, ref: ReferenceData, devices: list[Row]
) -> None:
    cart_id = f"cart-{cid[4:]}"
    updated = ANCHOR - timedelta(minutes=rng.randint(5, 60 * 24 * 14))
    skus = {
        ref.products[_zipf_index(rng, len(ref.products))]["sku"] for _ in range(rng.randint(1, 4))
    }
    for n, sku in enumerate(sorted(skus)):
        batch.cart_lines.append(
            {
                "cartId": cart_id,
                "sku": sku,
                "qty": rng.randint(1, 3),
                "addedAt": updated - timedelta(minutes=10 * (len(skus) - n)),
                "addedVia": rng.choice(("web", "app", "store") if devices else ("web", "store")),
            }
        )
    batch.carts.append(
        {
            "customerId": cid,
            "id": cart_id,
            "version": len(skus),
            "updatedAt": updated,
            "status": "active",
        }
    )


def _add_journey(
    batch: CustomerBatch,
    rng: random.Random,
    cid: str,
    interactions: list[tuple[str, datetime, str]],
) -> None:
    intent, next_step = rng.choice(vocab.JOURNEY_INTENTS)
    steps = sorted(
        rng.sample(interactions, min(len(interactions), rng.randint(1, 4))),
        key=lambda item: item[1],
    )
    journey_id = f"jrn-{cid[4:]}"
    batch.journeys.append(
        {
            "customerId": cid,
            "id": journey_id,
            "intent": intent,
            "status": rng.choice(("active", "active", "completed", "abandoned")),
            "startedAt": steps[0][1],
            "lastChannel": steps[-1][2],
            "nextStep": next_step,
        }
    )
    for n, (interaction_id, _, _) in enumerate(steps, start=1):
        batch.journey_steps.append(
            {"journeyId": journey_id, "interactionId": interaction_id, "n": n}
        )
