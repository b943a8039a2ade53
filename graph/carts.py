"""The shared cart's writes: versioned, idempotent, all-or-nothing.

Every change is one write transaction that (1) takes the customer's write lock, so two channels
changing one cart are serialised (and a first cart is never created twice), (2) replays the stored
answer when the idempotency key was already used with the same arguments, (3) checks
``expectedVersion``, (4) applies the change and bumps the version, and (5) stores the key with its
answer under a uniqueness constraint: three statements, (1) and (2) in the first, (4) in the
second. Any failure rolls the whole transaction back: the graph is left as it was. Keys expire
after ``graph._idempotency.KEY_TTL``; an expired key is replaced when used again.
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

# (1) the customer's write lock, then, under it, everything the change is decided on. The key's
# predicate names the property just written, so its read is planned after the lock.
_PREPARE: LiteralString = """
MATCH (c:Customer {id: $customerId})
SET c.cartLock = coalesce(c.cartLock, 0) + 1
WITH c
OPTIONAL MATCH (key:IdempotencyKey {key: $key}) WHERE c.cartLock IS NOT NULL
OPTIONAL MATCH (c)-[:HAS_CART]->(k:Cart {status: 'active'})
RETURN key IS NOT NULL AS keyFound, key.expiresAt < $now AS keyExpired,
       key.fingerprint AS fingerprint, key.response AS response,
       k.id AS cartId, k.version AS version,
       EXISTS { MATCH (:Product {sku: $sku}) } AS productExists
"""
# (2) the change itself, with the version bump, in one statement per operation; a first cart is
# created on the way. (3) is the key with its answer (``graph._idempotency``).
_NEW_CART_IF_NEEDED: LiteralString = """
CALL () {
  MATCH (c:Customer {id: $customerId}) WHERE $newCart
  CREATE (c)-[:HAS_CART]->(:Cart {id: $cartId, version: 0, status: 'active', updatedAt: $now})
}
"""
_BUMP: LiteralString = (
    """
SET k.version = k.version + 1, k.updatedAt = $now
RETURN n, """
    + _rows.CART_MAP
    + " AS cart"
)
_ADD: LiteralString = (
    _NEW_CART_IF_NEEDED
    + """
MATCH (k:Cart {id: $cartId}), (p:Product {sku: $sku})
MERGE (k)-[l:CONTAINS]->(p)
  ON CREATE SET l.qty = $quantity, l.addedAt = $now, l.addedVia = $channel
  ON MATCH SET l.qty = l.qty + $quantity
WITH k, l.qty AS n
"""
    + _BUMP
)
_SET: LiteralString = (
    _NEW_CART_IF_NEEDED
    + """
MATCH (k:Cart {id: $cartId}), (p:Product {sku: $sku})
MERGE (k)-[l:CONTAINS]->(p)
  ON CREATE SET l.addedAt = $now, l.addedVia = $channel
SET l.qty = $quantity
WITH k, l.qty AS n
"""
    + _BUMP
)
_REMOVE: LiteralString = (
    _NEW_CART_IF_NEEDED
    + """
MATCH (k:Cart {id: $cartId})
OPTIONAL MATCH (k)-[l:CONTAINS]->(:Product {sku: $sku})
DELETE l
WITH k, count(l) AS n
"""
    + _BUMP
)
_CLEAR: LiteralString = (
    _NEW_CART_IF_NEEDED
    + """
MATCH (k:Cart {id: $cartId})
OPTIONAL MATCH (k)-[l:CONTAINS]->()
DELETE l
WITH k, count(l) AS n
"""
    + _BUMP
)
_CHANGES: dict[str, LiteralString] = {
    "add": _ADD,
    "set": _SET,
    "remove": _REMOVE,
    "clear": _CLEAR,
}


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
    params = {
        "customerId": change.customer_id,
        "key": change.scoped_key,
        "sku": change.sku,
        "now": now,
    }
    state = await _tx.one_row(tx, _PREPARE, params)
    if state is None:
        raise CustomerMissing(f"no customer with id {change.customer_id!r}")
    if state["keyFound"] and state["keyExpired"]:
        await _idempotency.drop_key(tx, change.scoped_key)
    elif state["keyFound"]:
        if state["fingerprint"] != change.fingerprint():
            raise KeyReused("this idempotency key was used with other arguments")
        return CartResult(cart=_rows.cart(orjson.loads(state["response"])), replayed=True)
    cart_id, version = state["cartId"], state["version"]
    new_cart = cart_id is None
    if new_cart:
        cart_id, version = f"cart-{change.customer_id}-{now.strftime('%Y%m%d%H%M%S%f')}", 0
    if change.expected_version is not None and change.expected_version != version:
        raise VersionConflict(int(version or 0))
    if change.operation in ("add", "set") and not state["productExists"]:
        raise ProductMissing(f"no product with SKU {change.sku!r}")
    statement = _CHANGES.get(change.operation)
    if statement is None:
        raise ValueError(f"unknown cart operation {change.operation!r}")
    row = await _tx.one_row(
        tx,
        statement,
        {
            **params,
            "cartId": cart_id,
            "newCart": new_cart,
            "quantity": change.quantity,
            "channel": change.channel,
        },
    )
    assert row is not None  # noqa: S101 - the cart was matched or created in this transaction
    # Refusals found by the change itself: the transaction rolls back, nothing is written.
    if change.operation == "add" and int(row["n"]) > MAX_QUANTITY:
        raise CartError(f"a line holds at most {MAX_QUANTITY} items")
    if change.operation == "remove" and int(row["n"]) == 0:
        raise LineMissing(f"the cart has no line for SKU {change.sku!r}")
    response = orjson.dumps(_json_safe(row["cart"])).decode()
    await _idempotency.store_answer(tx, change.scoped_key, change.fingerprint(), response, now)
    return CartResult(cart=_rows.cart(row["cart"]), replayed=False)


def _json_safe(cart: dict[str, Any]) -> dict[str, Any]:
    """The cart row with date-times as ISO strings, for the stored idempotent answer."""

    def iso(value: Any) -> Any:
        return _rows.to_datetime(value).isoformat() if value is not None else None

    return {
        **cart,
        "updatedAt": iso(cart["updatedAt"]),
        "lines": [{**line, "addedAt": iso(line["addedAt"])} for line in cart["lines"]],
    }
