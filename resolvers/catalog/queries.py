"""Root fields of the catalog: a product by SKU, a store by id."""

from __future__ import annotations

import strawberry

from resolvers.catalog.types import Product, Store
from resolvers.context import Context
from resolvers.errors import NotFound
from resolvers.validation import check_key


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="A product by SKU; null with NOT_FOUND when unknown.")
    async def product(
        self, info: strawberry.Info[Context, None], sku: strawberry.ID
    ) -> Product | None:
        key = check_key(str(sku), "sku")
        found = await info.context.loaders.product.load(key)
        if found is None:
            raise NotFound(f"no product with SKU {key!r}", sku=key, argument="sku")
        return Product.from_model(found)

    @strawberry.field(description="A store by id; null with NOT_FOUND when unknown.")
    async def store(self, info: strawberry.Info[Context, None], id: strawberry.ID) -> Store | None:
        key = check_key(str(id), "id")
        found = await info.context.loaders.store.load(key)
        if found is None:
            raise NotFound(f"no store with id {key!r}", id=key, argument="id")
        return Store.from_model(found)
