"""The shared cart's writes: versioned, idempotent, all-or-nothing.

Every change is one write statement, hence one transaction, that (1) takes the customer's write
lock, so two channels changing one cart are serialised (and a first cart is never created twice),
(2) replays the stored answer when the idempotency key was already used with the same arguments,
(3) checks ``expectedVersion`` and whatever the change itself could be refused for (a missing
product or line, a line past ``MAX_QUANTITY``, a new line in a cart of ``MAX_LINES`` lines),
(4) applies the change and bumps the version, and (5) keeps the answer under the key, under a
uniqueness constraint. It writes (4) and (5), and drops an expired key, only when the change may
proceed, and is committed only then (``GraphDatabase.write_if``): a refused change, or a replay,
is rolled back, so it leaves no write at all, not even the lock's counter bumped (and no entry in
Neo4j's transaction log). Keys expire after ``graph._idempotency.KEY_TTL``; an expired key is
replaced when used again.

The answer is kept on the key as plain properties (the cart's fields, and one list per line
field), which the statement writes itself. Run by ``GraphDatabase.write_if``, the change is two
exchanges with Neo4j (BEGIN sent with the statement, then COMMIT or ROLLBACK); a JSON answer,
written from Python after the change's row came back, needed a transaction function of two
statements: four.
Keys kept before that, with the answer as JSON in ``response``, still replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

import orjson

from graph import _idempotency, _rows
from graph.database import GraphDatabase
from graph.models import Cart

MAX_QUANTITY = 999
# Distinct products a cart may hold: ``Cart.lines`` is one list, unpaged. A merge keeps the
# ``MAX_LINES`` most recently added of both carts' lines (``graph.stitching``) and records the
# others. A cart that holds more (merged before that rule) takes no new product until lines go.
MAX_LINES = 100
_NEEDS_PRODUCT = frozenset({"add", "set"})

# The statement reads, under the customer's lock, everything the change is decided on (the key's
# predicate names the property just written, so its read is planned after the lock), and writes
# only when the change may proceed: the same rules ``_decide`` then raises on. Instants travel as
# ISO strings (``datetime($now)``): the driver's own packing of a ``datetime`` is pure Python and
# cost ≈ 90 us each.
_DECIDE: LiteralString = """
MATCH (c:Customer {id: $customerId})
SET c.cartLock = coalesce(c.cartLock, 0) + 1
WITH c, datetime($now) AS now
OPTIONAL MATCH (scoped:IdempotencyKey {key: $key}) WHERE c.cartLock IS NOT NULL
OPTIONAL MATCH (legacy:IdempotencyKey {key: $legacyKey})
  WHERE c.cartLock IS NOT NULL AND legacy.customerId IS NULL
WITH c, now, coalesce(scoped, legacy) AS key
OPTIONAL MATCH (c)-[:HAS_CART]->(active:Cart {status: 'active'})
WITH c, now, key, active,
     key IS NOT NULL AND NOT coalesce(key.expiresAt < now, false) AS keyLive,
     key IS NOT NULL AND coalesce(key.expiresAt < now, false) AS keyExpired,
     EXISTS { MATCH (:Product {sku: $sku}) } AS productExists,
     head(COLLECT { MATCH (active)-[l:CONTAINS]->(:Product {sku: $sku}) RETURN l.qty }) AS lineQty
WITH c, now, key, active, keyLive, keyExpired, productExists, lineQty,
     CASE WHEN $maxLines IS NOT NULL AND lineQty IS NULL
          THEN COUNT { (active)-[:CONTAINS]->() } END AS lineCount
WITH c, now, key, active, keyLive, keyExpired, productExists, lineQty, lineCount,
     CASE WHEN keyLive THEN properties(key) END AS stored,
     NOT keyLive
       AND ($expectedVersion IS NULL OR $expectedVersion = coalesce(active.version, 0))
       AND (productExists OR NOT $needsProduct)
       AND (lineQty IS NOT NULL OR NOT $needsLine)
       AND ($maxLineQty IS NULL OR coalesce(lineQty, 0) + $quantity <= $maxLineQty)
       AND coalesce(lineCount < $maxLines, true) AS proceed,
     // A new cart goes on from the last version of the customer's earlier carts (ordered or
     // merged), so a version a client read from one of those never matches it.
     head(COLLECT { MATCH (c)-[:HAS_CART]->(old:Cart) WHERE active IS NULL
                    RETURN old.version ORDER BY old.version DESC LIMIT 1 }) AS lastVersion
FOREACH (_ IN CASE WHEN proceed AND keyExpired THEN [1] ELSE [] END | DETACH DELETE key)
FOREACH (_ IN CASE WHEN proceed AND active IS NULL THEN [1] ELSE [] END |
  CREATE (c)-[:HAS_CART]->(:Cart {
    id: $cartId, version: coalesce(lastVersion, 0), status: 'active', updatedAt: now}))
WITH c, now, active.id AS activeId, active.version AS version, keyLive, stored, productExists,
     lineQty, lineCount, proceed
OPTIONAL CALL (c, now, activeId, proceed) {
  WITH c, now, activeId WHERE proceed
  MATCH (c)-[:HAS_CART]->(k:Cart {id: coalesce(activeId, $cartId)})
"""
_DECIDED: LiteralString = (
    """
  SET k.version = k.version + 1, k.updatedAt = now
  WITH k, now
  WITH now, """
    + _rows.CART_MAP
    + """ AS cart
  CREATE (:IdempotencyKey {
    key: $key, customerId: $customerId, fingerprint: $fingerprint, createdAt: now,
    expiresAt: datetime($expiresAt),
    cartId: cart.id, cartVersion: cart.version, cartStatus: cart.status,
    cartUpdatedAt: cart.updatedAt,
    lineSkus: [line IN cart.lines | line.sku],
    lineNames: [line IN cart.lines | coalesce(line.name, '')],
    lineCategories: [line IN cart.lines | coalesce(line.category, '')],
    lineBrands: [line IN cart.lines | coalesce(line.brand, '')],
    lineQtys: [line IN cart.lines | line.qty],
    lineAddedAts: [line IN cart.lines | line.addedAt],
    lineAddedVias: [line IN cart.lines | line.addedVia]})
  RETURN cart
}
RETURN keyLive, stored, version, productExists, lineQty, lineCount, cart
"""
)
_ADD: LiteralString = (
    _DECIDE
    + """
  MATCH (p:Product {sku: $sku})
  MERGE (k)-[l:CONTAINS]->(p)
    ON CREATE SET l.qty = $quantity, l.addedAt = now, l.addedVia = $channel
    ON MATCH SET l.qty = l.qty + $quantity
"""
    + _DECIDED
)
_SET: LiteralString = (
    _DECIDE
    + """
  MATCH (p:Product {sku: $sku})
  MERGE (k)-[l:CONTAINS]->(p)
    ON CREATE SET l.addedAt = now, l.addedVia = $channel
  SET l.qty = $quantity
"""
    + _DECIDED
)
_REMOVE: LiteralString = (
    _DECIDE
    + """
  OPTIONAL MATCH (k)-[l:CONTAINS]->(:Product {sku: $sku})
  DELETE l
  WITH DISTINCT k, now
"""
    + _DECIDED
)
_CLEAR: LiteralString = (
    _DECIDE
    + """
  OPTIONAL MATCH (k)-[l:CONTAINS]->()
  DELETE l
  WITH DISTINCT k, now
"""
    + _DECIDED
)
# Read when the customer is gone: a guest merged into a known customer since the first request
# (the key, handed to the survivor, is still live). No lock: no write can create this key now.
_KEPT: LiteralString = """
OPTIONAL MATCH (scoped:IdempotencyKey {key: $key})
OPTIONAL MATCH (legacy:IdempotencyKey {key: $legacyKey}) WHERE legacy.customerId IS NULL
WITH coalesce(scoped, legacy) AS key
WHERE key IS NOT NULL AND NOT coalesce(key.expiresAt < datetime($now), false)
RETURN properties(key) AS stored
"""
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


class LineFull(CartError):
    """The change would put more than ``MAX_QUANTITY`` units on one line."""


class CartFull(CartError):
    """The change would open a line in a cart holding ``MAX_LINES`` lines already."""


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
    caller: str = _idempotency.ANONYMOUS  # the partner's id: each partner has its own keys

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
    statement = _CHANGES.get(change.operation)
    if statement is None:
        raise ValueError(f"unknown cart operation {change.operation!r}")
    now = datetime.now(UTC)
    params = {
        "customerId": change.customer_id,
        "key": change.scoped_key,
        "legacyKey": _idempotency.legacy_key(change.caller, change.scoped_key),
        "fingerprint": change.fingerprint(),
        "sku": change.sku,
        "now": now.isoformat(),
        "expiresAt": (now + _idempotency.KEY_TTL).isoformat(),
        "expectedVersion": change.expected_version,
        "needsProduct": change.operation in _NEEDS_PRODUCT,
        "needsLine": change.operation == "remove",
        "maxLineQty": MAX_QUANTITY if change.operation == "add" else None,
        "maxLines": MAX_LINES if change.operation in _NEEDS_PRODUCT else None,
        "cartId": f"cart-{change.customer_id}-{now.strftime('%Y%m%d%H%M%S%f')}",  # if first
        "quantity": change.quantity,
        "channel": change.channel,
    }
    rows = await _idempotency.once(
        lambda: db.write_if(statement, params, keep=_proceeded),
        CartError("the idempotency key is being used concurrently; retry"),
    )
    if not rows:
        return await _replay_for_a_missing_customer(db, change, params)
    return _decide(rows[0], change)


async def _replay_for_a_missing_customer(
    db: GraphDatabase, change: CartChange, params: dict[str, Any]
) -> CartResult:
    """The first answer to a retry whose customer is gone since (a guest merged into a known
    customer: their keys now name the survivor), when the key is live and was used with these
    very arguments; else the customer is missing."""
    rows = await db.read(_KEPT, {key: params[key] for key in ("key", "legacyKey", "now")})
    if rows and rows[0]["stored"]["fingerprint"] == change.fingerprint():
        return CartResult(cart=_rows.cart(_stored_cart(rows[0]["stored"])), replayed=True)
    raise CustomerMissing(f"no customer with id {change.customer_id!r}")


def _proceeded(rows: list[dict[str, Any]]) -> bool:
    """The change was applied (the statement returns its cart only then): commit it. Anything
    else (a refusal, a replay, no such customer) is rolled back, lock counter included."""
    return bool(rows) and rows[0]["cart"] is not None


def _decide(row: dict[str, Any], change: CartChange) -> CartResult:
    """The change's result from the statement's row, or the refusal the row shows."""
    stored = row["stored"]
    if row["keyLive"]:
        if stored["fingerprint"] != change.fingerprint():
            raise KeyReused("this idempotency key was used with other arguments")
        return CartResult(cart=_rows.cart(_stored_cart(stored)), replayed=True)
    version = int(row["version"] or 0)
    if change.expected_version is not None and change.expected_version != version:
        raise VersionConflict(version)
    if change.operation in _NEEDS_PRODUCT and not row["productExists"]:
        raise ProductMissing(f"no product with SKU {change.sku!r}")
    line_qty = row["lineQty"]
    if change.operation == "remove" and line_qty is None:
        raise LineMissing(f"the cart has no line for SKU {change.sku!r}")
    if change.operation == "add" and (line_qty or 0) + (change.quantity or 0) > MAX_QUANTITY:
        raise LineFull(f"a line holds at most {MAX_QUANTITY} items")
    if line_qty is None and row["lineCount"] is not None and row["lineCount"] >= MAX_LINES:
        raise CartFull(f"a cart holds at most {MAX_LINES} products: remove one to add another")
    assert row["cart"] is not None  # noqa: S101 - the statement proceeds exactly in this case
    return CartResult(cart=_rows.cart(row["cart"]), replayed=False)


def _stored_cart(stored: dict[str, Any]) -> dict[str, Any]:
    """The cart row kept under a key: its properties, or the JSON of a key kept before them."""
    if stored.get("response") is not None:
        decoded: dict[str, Any] = orjson.loads(stored["response"])
        return decoded
    fields = zip(
        stored["lineSkus"],
        stored["lineNames"],
        stored["lineCategories"],
        stored["lineBrands"],
        stored["lineQtys"],
        stored["lineAddedAts"],
        stored["lineAddedVias"],
        strict=True,
    )
    return {
        "id": stored["cartId"],
        "version": stored["cartVersion"],
        "status": stored["cartStatus"],
        "updatedAt": stored["cartUpdatedAt"],
        "lines": [
            {
                "sku": sku,
                "name": name,
                "category": category,
                "brand": brand,
                "qty": qty,
                "addedAt": added_at,
                "addedVia": added_via,
            }
            for sku, name, category, brand, qty, added_at, added_via in fields
        ],
    }
