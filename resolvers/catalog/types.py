"""GraphQL types of the catalog and the store network."""

from __future__ import annotations

import strawberry

from graph import models


@strawberry.type(description="A product of the catalog, identified by its SKU.")
class Product:
    sku: strawberry.ID
    name: str
    category: str
    brand: str

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

    @classmethod
    def from_model(cls, store: models.Store) -> Store:
        return cls(id=strawberry.ID(store.id), name=store.name, city=store.city)
