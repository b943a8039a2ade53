"""Where a customer's cart stands now, for live views that must show the truth after a gap.

The customer's active cart, else the one most recently closed (ordered or merged), so a view that
missed a checkout still learns that the cart it shows is gone. Read-only; one statement.
"""

from __future__ import annotations

from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.models import Cart

_LATEST_CART: LiteralString = (
    """
MATCH (c:Customer {id: $customerId})-[:HAS_CART]->(k:Cart)
WITH k ORDER BY CASE k.status WHEN 'active' THEN 0 ELSE 1 END, k.updatedAt DESC LIMIT 1
RETURN """
    + _rows.CART_MAP
    + """ AS cart
"""
)


async def latest_cart(db: GraphDatabase, customer_id: str) -> Cart | None:
    """The active cart of ``customer_id``, else the latest closed one, else ``None``."""
    rows = await db.read(_LATEST_CART, {"customerId": customer_id})
    return _rows.cart(rows[0]["cart"]) if rows else None
