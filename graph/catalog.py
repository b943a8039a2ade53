"""Products and stores by key, batched: one ``UNWIND`` statement per batch, rows in key order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.models import Product, Store

_PRODUCTS: LiteralString = (
    "UNWIND $skus AS sku MATCH (p:Product {sku: sku}) "
    "RETURN p.sku AS sku, p.name AS name, p.category AS category, p.brand AS brand"
)
_STORES: LiteralString = (
    "UNWIND $ids AS id MATCH (s:Store {id: id}) RETURN s.id AS id, s.name AS name, s.city AS city"
)


async def products_by_skus(db: GraphDatabase, skus: Sequence[str]) -> list[Product | None]:
    rows = await db.read(_PRODUCTS, {"skus": list(dict.fromkeys(skus))})
    found = {row["sku"]: _rows.product(row) for row in rows}
    return [found.get(sku) for sku in skus]


async def stores_by_ids(db: GraphDatabase, ids: Sequence[str]) -> list[Store | None]:
    rows = await db.read(_STORES, {"ids": list(dict.fromkeys(ids))})
    found = {row["id"]: _rows.store(row) for row in rows}
    return [found.get(store_id) for store_id in ids]
