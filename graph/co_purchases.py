"""The co-purchase table recommendations read: "customers who touched this product bought those".

For every product ``s``, ``(s)-[:ALSO_BOUGHT {purchases}]->(r)`` holds, for the ``PER_PRODUCT``
products ``r`` bought most often by the customers who touched ``s`` (viewed, added, bought or
returned it), how many purchases of ``r`` those customers made. Computing it at query time meant
walking every interaction of a popular product for each recommendation (≈ 200 ms of Neo4j time per
home screen at 100k customers); a recommendation now reads ≤ ``PER_PRODUCT`` relationships per
seed product.

The table is derived data: :func:`refresh` rebuilds it, a few products per transaction (so a
reader always sees a complete list for each product), after seeding and then periodically (see
``gateway.co_purchase_refresh``). Between refreshes new purchases do not move the counts yet; what
a customer bought or holds in the cart is still excluded from their recommendations at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import LiteralString

from graph.database import GraphDatabase

PER_PRODUCT = 30
PRODUCTS_PER_TRANSACTION = 10

RefreshProgress = Callable[[int, int], None]

_PRESENT: LiteralString = "RETURN EXISTS { ()-[:ALSO_BOUGHT]->() } AS present"
_SKUS: LiteralString = "MATCH (p:Product) RETURN p.sku AS sku ORDER BY sku"

_REBUILD: LiteralString = """
UNWIND $skus AS sku
MATCH (s:Product {sku: sku})
CALL (s) {
  OPTIONAL MATCH (s)-[old:ALSO_BOUGHT]->()
  DELETE old
}
CALL (s) {
  MATCH (s)<-[:ABOUT]-(:Interaction)<-[:DID]-(buyer:Customer)
  WITH DISTINCT buyer
  MATCH (buyer)-[:DID]->(:Interaction {type: 'purchase'})-[:ABOUT]->(r:Product)
  WHERE r <> s
  WITH r, count(*) AS purchases ORDER BY purchases DESC, r.sku LIMIT $perProduct
  CREATE (s)-[:ALSO_BOUGHT {purchases: purchases}]->(r)
  RETURN count(*) AS written
}
RETURN sum(written) AS written
"""


async def refresh(
    db: GraphDatabase,
    progress: RefreshProgress | None = None,
    skus: Sequence[str] | None = None,
) -> int:
    """Rebuild the table (or only the lists of ``skus``); returns the relationships written.

    ``progress(done, total)`` is called after each transaction, in products.
    """
    if skus is None:
        skus = [str(row["sku"]) for row in await db.read(_SKUS)]
    written = 0
    for start in range(0, len(skus), PRODUCTS_PER_TRANSACTION):
        chunk = list(skus[start : start + PRODUCTS_PER_TRANSACTION])
        rows = await db.write(_REBUILD, {"skus": chunk, "perProduct": PER_PRODUCT})
        written += int(rows[0]["written"]) if rows else 0
        if progress is not None:
            progress(start + len(chunk), len(skus))
    return written


async def present(db: GraphDatabase) -> bool:
    """Whether any co-purchase is recorded (a graph loaded before the table existed has none)."""
    rows = await db.read(_PRESENT)
    return bool(rows[0]["present"])
