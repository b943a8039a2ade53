"""Checkout: the OMS places the order, then the graph records the purchase and closes the cart.

One write transaction holds the customer's lock from the version check to the end, and calls the
order placer (an HTTP call to the OMS, handed in by the caller so this package never imports the
channel clients) in the middle. If placing the order fails, the exception rolls the transaction
back: the cart is untouched. The OMS call carries a key naming the cart and the version ordered
(:attr:`CheckoutRequest.order_key`), so a driver retry of this transaction, and a checkout of the
same cart version retried under any key after an answer that never came, gets the same order
back, never a second one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

import neo4j
import orjson

from graph import _idempotency, _tx
from graph.carts import CartError, KeyReused, VersionConflict
from graph.database import GraphDatabase


@dataclass(frozen=True)
class OrderRequest:
    customer_email: str
    lines: tuple[tuple[str, int], ...]
    fulfilment: str
    store_id: str | None
    idempotency_key: str


@dataclass(frozen=True)
class PlacedOrder:
    order_id: str
    event_id: str
    created_at: datetime
    document: dict[str, Any]


OrderPlacer = Callable[[OrderRequest], Awaitable[PlacedOrder]]


@dataclass(frozen=True)
class CheckoutRequest:
    """Check out ``cart_id`` at ``expected_version`` (DELIVERY or CLICK_AND_COLLECT)."""

    cart_id: str
    expected_version: int
    fulfilment: str
    store_id: str | None
    idempotency_key: str
    channel: str
    caller: str = _idempotency.ANONYMOUS  # the partner's id: each partner has its own keys

    @property
    def scoped_key(self) -> str:
        return f"{self.caller}:checkout:{self.idempotency_key}"

    @property
    def order_key(self) -> str:
        """The order system's ``Idempotency-Key``: the cart and the version ordered, whoever asks
        and under whichever key of theirs. A version is one content of one cart (versions never
        repeat), so a shopper who clicks again with a new key after a timeout (the order may
        have been placed) gets that order back, not a second one; a retry of another content
        has another version. The caller's own key still decides replays in the graph.

        Example:
            >>> CheckoutRequest("cart-1", 3, "DELIVERY", None, "key-00001", "web").order_key
            'checkout:cart-1:v3'
        """
        return f"checkout:{self.cart_id}:v{self.expected_version}"

    def fingerprint(self) -> str:
        return _idempotency.fingerprint(
            {
                "operation": "checkout",
                "cartId": self.cart_id,
                "expectedVersion": self.expected_version,
                "fulfilment": self.fulfilment,
                "storeId": self.store_id,
                "channel": self.channel,
            }
        )


@dataclass(frozen=True)
class CheckoutResult:
    order: dict[str, Any]
    replayed: bool
    # Whose cart it was (set on a first checkout; a replay changed nothing, so nobody must hear).
    customer_id: str | None = None


class EmptyCart(CartError):
    pass


class CartClosed(CartError):
    pass


class NoEmail(CartError):
    pass


class CartMissing(CartError):
    pass


_CART: LiteralString = """
MATCH (c:Customer)-[:HAS_CART]->(k:Cart {id: $cartId})
SET c.cartLock = coalesce(c.cartLock, 0) + 1
RETURN c.id AS customerId, k.version AS version, k.status AS status,
  COLLECT { MATCH (c)-[:IDENTIFIED_BY]->(i:Identity {kind: 'email'}) RETURN i.value
            ORDER BY i.value } AS emails,
  COLLECT { MATCH (k)-[l:CONTAINS]->(p:Product) RETURN [p.sku, l.qty] ORDER BY l.addedAt, p.sku }
    AS lines
"""
_RECORD: LiteralString = """
MATCH (c:Customer {id: $customerId})-[:HAS_CART]->(k:Cart {id: $cartId})
MERGE (ch:Channel {code: $channel})
SET k.status = 'ordered', k.version = k.version + 1, k.updatedAt = $now, k.orderId = $orderId
WITH c, ch
UNWIND $lines AS line
MATCH (p:Product {sku: line.sku})
MERGE (i:Interaction {id: line.id})
  ON CREATE SET i.at = $at, i.type = 'purchase'
// The OMS also posts the order's first line to the web webhook under the same event id; whichever
// lands first, the purchase is the checkout's channel's, with the OMS's price.
SET i.channel = $channel, i.amount = coalesce(line.amount, i.amount)
MERGE (c)-[:DID]->(i)
WITH c, ch, line, p, i
CALL (i) {
  MATCH (i)-[v:VIA]->(other:Channel) WHERE other.code <> $channel
  DELETE v
}
MERGE (i)-[:VIA]->(ch)
MERGE (i)-[:ABOUT]->(p)
WITH i
CALL (i) {
  WITH i WHERE $storeId IS NOT NULL
  MATCH (s:Store {id: $storeId}) MERGE (i)-[:AT]->(s)
}
"""


async def checkout(
    db: GraphDatabase, request: CheckoutRequest, place: OrderPlacer
) -> CheckoutResult:
    return await _idempotency.commit_once(
        db,
        lambda tx: _checkout(tx, request, place),
        CartError("the idempotency key is being used concurrently; retry"),
    )


async def _checkout(
    tx: neo4j.AsyncManagedTransaction, request: CheckoutRequest, place: OrderPlacer
) -> CheckoutResult:
    now = datetime.now(UTC)
    cart = await _tx.one_row(tx, _CART, {"cartId": request.cart_id})
    if cart is None:
        raise CartMissing(f"no cart with id {request.cart_id!r}")
    stored = await _idempotency.stored_answer(tx, request.scoped_key, now, request.caller)
    if stored is not None:
        if stored.fingerprint != request.fingerprint():
            raise KeyReused("this idempotency key was used with other arguments")
        return CheckoutResult(order=orjson.loads(stored.response), replayed=True)
    if cart["status"] != "active":
        raise CartClosed(f"the cart is {cart['status']}, not active")
    if cart["version"] != request.expected_version:
        raise VersionConflict(int(cart["version"]))
    if not cart["lines"]:
        raise EmptyCart("the cart is empty")
    if not cart["emails"]:
        raise NoEmail("the customer has no email address the order system can use")
    placed = await place(
        OrderRequest(
            customer_email=cart["emails"][0],
            lines=tuple((str(sku), int(qty)) for sku, qty in cart["lines"]),
            fulfilment=request.fulfilment,
            store_id=request.store_id,
            idempotency_key=request.order_key,
        )
    )
    amounts = _line_amounts(placed.document)
    lines = [
        {
            "id": placed.event_id if n == 0 else f"{placed.event_id}-{n}",
            "sku": sku,
            "amount": amounts.get(str(sku)),
        }
        for n, (sku, _) in enumerate(cart["lines"])
    ]
    await (
        await tx.run(
            _RECORD,
            {
                "customerId": cart["customerId"],
                "cartId": request.cart_id,
                "channel": request.channel,
                "now": now,
                "orderId": placed.order_id,
                "lines": lines,
                "at": placed.created_at,
                "storeId": request.store_id,
            },
        )
    ).consume()
    await _idempotency.store_answer(
        tx,
        request.scoped_key,
        request.fingerprint(),
        orjson.dumps(placed.document).decode(),
        now,
        customer_id=str(cart["customerId"]),
    )
    return CheckoutResult(
        order=placed.document, replayed=False, customer_id=str(cart["customerId"])
    )


def _line_amounts(document: dict[str, Any]) -> dict[str, float]:
    """What each SKU of the OMS order cost (qty x unitPrice), for revenue analytics; SKUs whose
    line the document does not price are left out (their purchase carries no amount)."""
    amounts: dict[str, float] = {}
    for line in document.get("lines") or []:
        try:
            amounts[str(line["sku"])] = round(float(line["qty"]) * float(line["unitPrice"]), 2)
        except (KeyError, TypeError, ValueError):
            continue
    return amounts
