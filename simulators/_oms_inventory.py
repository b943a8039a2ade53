"""What the OMS believes can be sold: online (warehouse) stock and per-store availability.

Store availability starts as a mirror of the POS's opening stock (the shared dataset) and then
lives its own life, as it does between real systems. Taking stock is all lines or none; this module
must never know about orders, reservations or HTTP, only units.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from simulators._dataset import Dataset


class ShortStock(Exception):
    """Fewer units available than asked for, naming the first SKU that is short.

    Example:
        >>> str(ShortStock("SKU-00001", available=1, wanted=3))
        'SKU-00001: 1 available, 3 asked'
    """

    def __init__(self, sku: str, available: int, wanted: int) -> None:
        super().__init__(f"{sku}: {available} available, {wanted} asked")
        self.sku, self.available, self.wanted = sku, available, wanted


@dataclass
class Inventory:
    """Units available online (by SKU) and in each store (by ``(storeId, sku)``).

    Example:
        >>> stock = Inventory(online={"SKU-00001": 2}, stores={})
        >>> stock.take({"SKU-00001": 2}, store_id=None)
        >>> stock.available("SKU-00001", None)
        0
    """

    online: dict[str, int]
    stores: dict[tuple[str, str], int]

    def available(self, sku: str, store_id: str | None) -> int:
        if store_id is None:
            return self.online.get(sku, 0)
        return self.stores.get((store_id, sku), 0)

    def take(self, wanted: Mapping[str, int], store_id: str | None) -> None:
        """Take ``wanted`` units per SKU online (``store_id`` None) or in one store, or none."""
        for sku, qty in wanted.items():
            available = self.available(sku, store_id)
            if available < qty:
                raise ShortStock(sku, available, qty)
        for sku, qty in wanted.items():
            if store_id is None:
                self.online[sku] -= qty
            else:
                self.stores[store_id, sku] -= qty

    def give_back(self, returned: Mapping[str, int], store_id: str | None) -> None:
        """Put ``returned`` units per SKU back online (``store_id`` None) or in one store."""
        for sku, qty in returned.items():
            if store_id is None:
                self.online[sku] = self.online.get(sku, 0) + qty
            else:
                self.stores[store_id, sku] = self.stores.get((store_id, sku), 0) + qty


def seeded_inventory(dataset: Dataset, rng: random.Random) -> Inventory:
    online = {
        product["sku"]: 0 if rng.random() < 0.08 else rng.randint(1, 250)
        for product in dataset.products
    }
    return Inventory(online=online, stores=dict(dataset.store_stock))
