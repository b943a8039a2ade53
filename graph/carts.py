"""The shared cart's writes: versioned, idempotent, all-or-nothing.

Every change is one write transaction that (1) takes the customer's write lock, so two channels
changing one cart are serialised (and a first cart is never created twice), (2) replays the stored
answer when the idempotency key was already used with the same arguments, (3) checks
``expectedVersion``, (4) applies the change and bumps the version, and (5) stores the key with its
answer under a uniqueness constraint: two statements, (1) to (4) in the first (which writes only
when the change may proceed), (5) in the second. Any failure rolls the whole transaction back: the
graph is left as it was. Keys expire after ``graph._idempotency.KEY_TTL``; an expired key is
replaced when used again.
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

# One statement decides and applies the change. It takes the customer's write lock, then reads,
# under it, everything the change is decided on (the key's predicate names the property just
# written, so its read is planned after the lock); it writes only when the change may proceed
# (no live key, the expected version, the product when one is needed), the same rules
# ``_apply`` then raises on: a refused change has written nothing but the lock, and rolls back.
_DECIDE: LiteralString = """
MATCH (c:Customer {id: $customerId})
SET c.cartLock = coalesce(c.cartLock, 0) + 1
WITH c
OPTIONAL MATCH (key:IdempotencyKey {key: $key}) WHERE c.cartLock IS NOT NULL
OPTIONAL MATCH (c)-[:HAS_CART]->(active:Cart {status: 'active'})
WITH c, key, active, key.fingerprint AS fingerprint, key.response AS response,
     key IS NOT NULL AND NOT coalesce(key.expiresAt < $now, false) AS keyLive,
     key IS NOT NULL AND coalesce(key.expiresAt < $now, false) AS keyExpired,
     EXISTS { MATCH (:Product {sku: $sku}) } AS productExists
WITH c, key, active, fingerprint, response, keyLive, keyExpired, productExists,
     NOT keyLive
       AND ($expectedVersion IS NULL OR $expectedVersion = coalesce(active.version, 0))
       AND (productExists OR NOT $needsProduct) AS proceed
FOREACH (_ IN CASE WHEN proceed AND keyExpired THEN [1] ELSE [] END | DETACH DELETE key)
FOREACH (_ IN CASE WHEN proceed AND active IS NULL THEN [1] ELSE [] END |
  CREATE (c)-[:HAS_CART]->(:Cart {id: $cartId, version: 0, status: 'active', updatedAt: $now}))
WITH c, active.id AS activeId, active.version AS version, fingerprint, response, keyLive,
     productExists, proceed
OPTIONAL CALL (c, activeId, proceed) {
  WITH c, activeId WHERE proceed
  MATCH (c)-[:HAS_CART]->(k:Cart {id: coalesce(activeId, $cartId)})
"""
_DECIDED: LiteralString = (
    """
  SET k.version = k.version + 1, k.updatedAt = $now
  RETURN n, """
    + _rows.CART_MAP
    + """ AS cart
}
RETURN keyLive, fingerprint, response, version, productExists, n, cart
"""
)
_ADD: LiteralString = (
    _DECIDE
    + """
  MATCH (p:Product {sku: $sku})
  MERGE (k)-[l:CONTAINS]->(p)
    ON CREATE SET l.qty = $quantity, l.addedAt = $now, l.addedVia = $channel
    ON MATCH SET l.qty = l.qty + $quantity
  WITH k, l.qty AS n
"""
    + _DECIDED
)
_SET: LiteralString = (
    _DECIDE
    + """
  MATCH (p:Product {sku: $sku})
  MERGE (k)-[l:CONTAINS]->(p)
    ON CREATE SET l.addedAt = $now, l.addedVia = $channel
  SET l.qty = $quantity
  WITH k, l.qty AS n
"""
    + _DECIDED
)
_REMOVE: LiteralString = (
    _DECIDE
    + """
  OPTIONAL MATCH (k)-[l:CONTAINS]->(:Product {sku: $sku})
  DELETE l
  WITH k, count(l) AS n
"""
    + _DECIDED
)
_CLEAR: LiteralString = (
    _DECIDE
    + """
  OPTIONAL MATCH (k)-[l:CONTAINS]->()
  DELETE l
  WITH k, count(l) AS n
"""
    + _DECIDED
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
    statement = _CHANGES.get(change.operation)
    if statement is None:
        raise ValueError(f"unknown cart operation {change.operation!r}")
    needs_product = change.operation in ("add", "set")
    params = {
        "customerId": change.customer_id,
        "key": change.scoped_key,
        "sku": change.sku,
        "now": now,
        "expectedVersion": change.expected_version,
        "needsProduct": needs_product,
        "cartId": f"cart-{change.customer_id}-{now.strftime('%Y%m%d%H%M%S%f')}",  # if first
        "quantity": change.quantity,
        "channel": change.channel,
    }
    row = await _tx.one_row(tx, statement, params)
    if row is None:
        raise CustomerMissing(f"no customer with id {change.customer_id!r}")
    if row["keyLive"]:
        if row["fingerprint"] != change.fingerprint():
            raise KeyReused("this idempotency key was used with other arguments")
        return CartResult(cart=_rows.cart(orjson.loads(row["response"])), replayed=True)
    version = int(row["version"] or 0)
    if change.expected_version is not None and change.expected_version != version:
        raise VersionConflict(version)
    if needs_product and not row["productExists"]:
        raise ProductMissing(f"no product with SKU {change.sku!r}")
    assert row["cart"] is not None  # noqa: S101 - the statement proceeds exactly in this case
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
