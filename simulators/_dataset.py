"""The graph's demo dataset, as the channel systems see it: same seed, same ids.

Customers, their identities, devices and history come from ``graph.seed.generator`` (pure Python,
no Neo4j), generated once per ``(seed, customers)`` and shared by every simulator in the process;
so do list prices and initial store stock, which more than one system knows about. The dataset is
read-only: systems copy what they change into their own state and must never mutate it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from graph.seed.generator import ANCHOR, customer_batches, list_price, reference_data

Row = Mapping[str, Any]

# Seeded history ends here; seeded statuses (delivered, closed...) are judged as of this moment.
HISTORY_END: datetime = ANCHOR


@dataclass(frozen=True)
class SeededCustomer:
    """One generated customer: identities by kind, devices and interactions, in generator order.

    Example:
        >>> customer = load_dataset(42, 1).customers[0]
        >>> customer.identity("email")
        'mehdi.morel.0@example.com'
    """

    index: int
    id: str
    display_name: str
    created_at: datetime
    identities: Mapping[str, tuple[Row, ...]]
    devices: tuple[Row, ...]
    interactions: tuple[Row, ...]

    def identity(self, kind: str) -> str | None:
        """The first identity value of ``kind`` (the primary one), if the customer has one."""
        rows = self.identities.get(kind, ())
        return str(rows[0]["value"]) if rows else None

    def activity(self, *channels: str, kind: str | None = None) -> list[Row]:
        return [
            row
            for row in self.interactions
            if row["channel"] in channels and (kind is None or row["type"] == kind)
        ]


@dataclass(frozen=True)
class Dataset:
    """Reference data, customers, list prices and initial store stock for one seed.

    Example:
        >>> load_dataset(42, 10).list_prices["SKU-00001"] > 0
        True
    """

    seed: int
    stores: tuple[Row, ...]
    products: tuple[Row, ...]
    customers: tuple[SeededCustomer, ...]
    list_prices: Mapping[str, float]
    store_stock: Mapping[tuple[str, str], int]
    products_by_sku: Mapping[str, Row]

    def has_store(self, store_id: str) -> bool:
        return any(store["id"] == store_id for store in self.stores)


@lru_cache(maxsize=4)
def load_dataset(seed: int, customers: int) -> Dataset:
    """The dataset for ``seed`` with ``customers`` customers (generated once per process)."""
    reference = reference_data(seed)
    grouped: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    people: list[Row] = []
    for batch in customer_batches(seed, reference, customers):
        people.extend(batch.customers)
        for table, rows in (
            ("identities", batch.identities),
            ("devices", batch.devices),
            ("interactions", batch.interactions),
        ):
            for row in rows:
                grouped[row["customerId"]][table].append(row)
    return Dataset(
        seed=seed,
        stores=tuple(reference.stores),
        products=tuple(reference.products),
        customers=tuple(
            _customer(index, person, grouped[person["id"]]) for index, person in enumerate(people)
        ),
        list_prices={
            p["sku"]: list_price(seed, p["sku"], p["category"]) for p in reference.products
        },
        store_stock=_store_stock(seed, reference.stores, reference.products),
        products_by_sku={product["sku"]: product for product in reference.products},
    )


def _customer(index: int, person: Row, rows: dict[str, list[Row]]) -> SeededCustomer:
    identities: dict[str, list[Row]] = defaultdict(list)
    for row in rows["identities"]:
        identities[row["kind"]].append(row)
    return SeededCustomer(
        index=index,
        id=person["id"],
        display_name=person["displayName"],
        created_at=person["createdAt"],
        identities={kind: tuple(values) for kind, values in identities.items()},
        devices=tuple(rows["devices"]),
        interactions=tuple(sorted(rows["interactions"], key=lambda row: row["at"])),
    )


def _store_stock(
    seed: int, stores: list[dict[str, Any]], products: list[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Units on hand per ``(storeId, sku)`` at opening: the POS owns it, the OMS mirrors it."""
    rng = random.Random(f"stock:{seed}")  # noqa: S311 - seeded demo data, not secrecy
    stock = {}
    for store in stores:
        for product in products:
            stock[store["id"], product["sku"]] = 0 if rng.random() < 0.12 else rng.randint(1, 24)
    return stock
