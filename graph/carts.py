"""The shared cart's writes: versioned, idempotent, all-or-nothing.

Every change is one write transaction that (1) takes the customer's write lock, so two channels
changing one cart are serialised (and a first cart is never created twice), (2) replays the stored
answer when the idempotency key was already used with the same arguments, (3) checks
``expectedVersion``, (4) applies the change and bumps the version, and (5) stores the key with its
answer under a uniqueness constraint. Any failure rolls the whole transaction back: the graph is
left as it was. Keys expire after ``graph._idempotency.KEY_TTL``; an expired key is replaced when
used again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

import neo4j
import orjson

from graph import _idempotency, _rows, _tx
from graph.database import GraphDatabase
from graph.models import Cart

MAX_QUANTITY = 999

_LOCK_CUSTOMER: LiteralString = """
MATCH (c:Customer {id: $customerId})
SET c.cartLock = coalesce(c.cartLock, 0) + 1
RETURN c.id AS id
"""
_ACTIVE_CART: LiteralString = """
MATCH (c:Customer {id: $customerId})
OPTIONAL MATCH (c)-[:HAS_CART]->(k:Cart {status: 'active'})
RETURN k.id AS id, k.version AS version
"""
_NEW_CART: LiteralString = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:HAS_CART]->(k:Cart {id: $cartId, version: 0, status: 'active', updatedAt: $now})
"""
_PRODUCT_EXISTS: LiteralString = "MATCH (p:Product {sku: $sku}) RETURN p.sku AS sku"
_ADD: LiteralString = """
MATCH (k:Cart {id: $cartId}), (p:Product {sku: $sku})
MERGE (k)-[l:CONTAINS]->(p)
  ON CREATE SET l.qty = $quantity, l.addedAt = $now, l.addedVia = $channel
  ON MATCH SET l.qty = l.qty + $quantity
RETURN l.qty AS qty
"""
_SET: LiteralString = """
MATCH (k:Cart {id: $cartId}), (p:Product {sku: $sku})
MERGE (k)-[l:CONTAINS]->(p)
  ON CREATE SET l.addedAt = $now, l.addedVia = $channel
SET l.qty = $quantity
"""
_REMOVE: LiteralString = """
MATCH (k:Cart {id: $cartId})-[l:CONTAINS]->(:Product {sku: $sku}) DELETE l RETURN count(l) AS n
"""
_CLEAR: LiteralString = "MATCH (k:Cart {id: $cartId})-[l:CONTAINS]->() DELETE l"
_BUMP: LiteralString = (
    """
MATCH (k:Cart {id: $cartId})
SET k.version = k.version + 1, k.updatedAt = $now
RETURN """
    + _rows.CART_MAP
    + """ AS cart
"""
)


class CartError(Exception):
    """A cart change refused for a reason the caller can act on."""


class CustomerMissing(CartError):
    pass


class ProductMissing(CartError):
    pass


class LineMissing(CartError):
    pass


class KeyReused(CartError):
    """The idempotency key was used before with other arguments."""


class VersionConflict(CartError):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"the cart is at version {current_version}")
        self.current_version = current_version


@dataclass(frozen=True)
class CartChange:
    """One requested change: ``operation`` is add, set, remove or clear.

    Example:
        >>> change = CartChange("add", "cus_1", "web", "key-1", sku="SKU-00001", quantity=2)
        >>> change.scoped_key
        'anonymous:key-1'
    """

    operation: str
    customer_id: str
    channel: str
    idempotency_key: str
    sku: str | None = None
    quantity: int | None = None
    expected_version: int | None = None
    caller: str = "anonymous"

    @property
    def scoped_key(self) -> str:
        return f"{self.caller}:{self.idempotency_key}"

    def fingerprint(self) -> str:
        payload = {
            "operation": self.operation,
            "customerId": self.customer_id,
            "channel": self.channel,
            "sku": self.sku,
            "quantity": self.quantity,
            "expectedVersion": self.expected_version,
        }
        return _idempotency.fingerprint(payload)


@dataclass(frozen=True)
class CartResult:
    cart: Cart
    replayed: bool


async def change_cart(db: GraphDatabase, change: CartChange) -> CartResult:
    """Apply ``change`` once; a replay of its key returns the first answer with no second effect."""
    return await _idempotency.commit_once(
        db,
        lambda tx: _apply(tx, change),
        CartError("the idempotency key is being used concurrently; retry"),
    )


async def _apply(tx: neo4j.AsyncManagedTransaction, change: CartChange) -> CartResult:
    now = datetime.now(UTC)
    if await _tx.one_row(tx, _LOCK_CUSTOMER, {"customerId": change.customer_id}) is None:
        raise CustomerMissing(f"no customer with id {change.customer_id!r}")
    stored = await _idempotency.stored_answer(tx, change.scoped_key, now)
    if stored is not None:
        if stored.fingerprint != change.fingerprint():
            raise KeyReused("this idempotency key was used with other arguments")
        return CartResult(cart=_rows.cart(orjson.loads(stored.response)), replayed=True)
    active = await _tx.one_row(tx, _ACTIVE_CART, {"customerId": change.customer_id})
    cart_id, version = (active or {}).get("id"), (active or {}).get("version")
    if cart_id is None:
        cart_id, version = f"cart-{change.customer_id}-{now.strftime('%Y%m%d%H%M%S%f')}", 0
        await (
            await tx.run(
                _NEW_CART, {"customerId": change.customer_id, "cartId": cart_id, "now": now}
            )
        ).consume()
    if change.expected_version is not None and change.expected_version != version:
        raise VersionConflict(int(version or 0))
    await _mutate(tx, change, cart_id, now)
    row = await _tx.one_row(tx, _BUMP, {"cartId": cart_id, "now": now})
    assert row is not None  # noqa: S101 - the cart was matched or created in this transaction
    response = orjson.dumps(_json_safe(row["cart"])).decode()
    await _idempotency.store_answer(tx, change.scoped_key, change.fingerprint(), response, now)
    return CartResult(cart=_rows.cart(row["cart"]), replayed=False)


async def _mutate(
    tx: neo4j.AsyncManagedTransaction, change: CartChange, cart_id: str, now: datetime
) -> None:
    params = {
        "cartId": cart_id,
        "sku": change.sku,
        "quantity": change.quantity,
        "channel": change.channel,
        "now": now,
    }
    needs_product = change.operation in ("add", "set")
    if needs_product and await _tx.one_row(tx, _PRODUCT_EXISTS, {"sku": change.sku}) is None:
        raise ProductMissing(f"no product with SKU {change.sku!r}")
    if change.operation == "add":
        row = await _tx.one_row(tx, _ADD, params)
        if row is not None and int(row["qty"]) > MAX_QUANTITY:
            raise CartError(f"a line holds at most {MAX_QUANTITY} items")
    elif change.operation == "set":
        await (await tx.run(_SET, params)).consume()
    elif change.operation == "remove":
        row = await _tx.one_row(tx, _REMOVE, params)
        if row is None or int(row["n"]) == 0:
            raise LineMissing(f"the cart has no line for SKU {change.sku!r}")
    elif change.operation == "clear":
        await (await tx.run(_CLEAR, params)).consume()
    else:
        raise ValueError(f"unknown cart operation {change.operation!r}")


def _json_safe(cart: dict[str, Any]) -> dict[str, Any]:
    """The cart row with date-times as ISO strings, for the stored idempotent answer."""

    def iso(value: Any) -> Any:
        return _rows.to_datetime(value).isoformat() if value is not None else None

    return {
        **cart,
        "updatedAt": iso(cart["updatedAt"]),
        "lines": [{**line, "addedAt": iso(line["addedAt"])} for line in cart["lines"]],
    }
