"""GraphQL types of the catalog and the store network (graph data, live stock and availability)."""

from __future__ import annotations

import asyncio

import strawberry

from graph import models
from resolvers.context import Context
from resolvers.errors import BadUserInput, NotFound
from resolvers.live.federation import live_value
from resolvers.live.types import ProductAvailability, StoreAvailability, known_stores
from resolvers.validation import check_key

MAX_STORE_IDS = 50


@strawberry.type(description="A product of the catalog, identified by its SKU.")
class Product:
    sku: strawberry.ID
    name: str
    category: str
    brand: str

    @strawberry.field(
        description="Live availability (OMS), online and in the given stores (at most 50; an "
        "unknown one is NOT_FOUND, a known one without stock 0), or without `storeIds` in the "
        "50 stores holding the most units."
    )
    async def availability(
        self, info: strawberry.Info[Context, None], store_ids: list[strawberry.ID] | None = None
    ) -> ProductAvailability | None:
        wanted = None
        if store_ids is not None:
            if len(store_ids) > MAX_STORE_IDS:
                raise BadUserInput(f"at most {MAX_STORE_IDS} store ids", argument="storeIds")
            wanted = {check_key(str(store_id), "storeIds") for store_id in store_ids}
            await known_stores(info, sorted(wanted), "storeIds")
        found = await live_value(info, info.context.live.availability.load(str(self.sku)))
        if found is None:
            return None
        if wanted is None:
            return ProductAvailability.from_record(found)
        known = {s.store_id: s.available for s in found.stores}
        stores = [
            StoreAvailability(store_id=strawberry.ID(store_id), available=known.get(store_id, 0))
            for store_id in sorted(wanted)
        ]
        holding = sum(1 for store in stores if store.available > 0)
        return ProductAvailability(online=found.online, stores=stores, stores_holding_stock=holding)

    @classmethod
    def from_model(cls, product: models.Product) -> Product:
        return cls(
            sku=strawberry.ID(product.sku),
            name=product.name,
            category=product.category,
            brand=product.brand,
        )


@strawberry.type(description="A physical store.")
class Store:
    id: strawberry.ID
    name: str
    city: str

    @strawberry.field(
        description="Units of this SKU on hand in the store (live, store system); NOT_FOUND "
        "naming `sku` when the catalog has no such product."
    )
    async def stock(self, info: strawberry.Info[Context, None], sku: strawberry.ID) -> int | None:
        key = (str(self.id), check_key(str(sku), "sku"))
        # The store system leaves a SKU it does not know out of its answer, which read as a
        # silent null; the catalog is asked alongside, so the call is not delayed. An unknown
        # SKU is the caller's mistake whatever the store system's health: NOT_FOUND, alone.
        stock = asyncio.ensure_future(info.context.live.stock.load(key))
        product = await info.context.loaders.product.load(key[1])
        if product is None:
            stock.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise NotFound(f"no product with SKU {key[1]!r}", sku=key[1], argument="sku")
        level = await live_value(info, stock)
        return level.on_hand if level else None

    @classmethod
    def from_model(cls, store: models.Store) -> Store:
        return cls(id=strawberry.ID(store.id), name=store.name, city=store.city)
