"""Turn Neo4j result rows (dicts of driver values) into the domain records of ``graph.models``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, LiteralString

from neo4j.time import DateTime as Neo4jDateTime

from graph.identities import IdentityKind
from graph.models import (
    Cart,
    CartLine,
    CustomerProfile,
    Device,
    Identity,
    Interaction,
    Product,
    Store,
)

Row = dict[str, Any]


def to_datetime(value: object) -> datetime:
    """A timezone-aware ``datetime`` from a Neo4j temporal, its ``toString()``, or a native one.

    Hot statements return ``toString(t)``: the driver's own hydration of zoned date-times is pure
    Python and cost ~15 % of a home screen's CPU; ``fromisoformat`` is C. A named zone
    (``...+01:00[Europe/Paris]``) keeps its offset, which gives the same instant.

    Example:
        >>> to_datetime("2026-01-01T00:00:00+01:00[Europe/Paris]").isoformat()
        '2026-01-01T00:00:00+01:00'
    """
    if isinstance(value, str):
        native = datetime.fromisoformat(value.split("[", 1)[0])
    elif isinstance(value, Neo4jDateTime):
        native = value.to_native()
    elif isinstance(value, datetime):
        native = value
    else:
        raise TypeError(f"expected a date-time, got {type(value).__name__}")
    return native if native.tzinfo else native.replace(tzinfo=UTC)


def product(row: Row) -> Product:
    return Product(sku=row["sku"], name=row["name"], category=row["category"], brand=row["brand"])


def store(row: Row) -> Store:
    return Store(id=row["id"], name=row["name"], city=row["city"])


def _identity(row: Row) -> Identity:
    return Identity(
        kind=IdentityKind(row["kind"]),
        value=row["value"],
        since=to_datetime(row["since"]),
        source=row["source"],
        confidence=float(row["confidence"]),
    )


# The map a cart row is read from, for a cart bound to `k`; :func:`cart` decodes it.
CART_MAP: LiteralString = """k {.id, .version, .status, updatedAt: toString(k.updatedAt),
  lines: COLLECT {
    MATCH (k)-[l:CONTAINS]->(p:Product)
    RETURN {sku: p.sku, name: p.name, category: p.category, brand: p.brand,
            qty: l.qty, addedAt: toString(l.addedAt), addedVia: l.addedVia} AS line
    ORDER BY l.addedAt, p.sku
  }}"""


def cart(row: Row) -> Cart:
    lines = tuple(
        CartLine(
            product=product(line),
            quantity=int(line["qty"]),
            added_at=to_datetime(line["addedAt"]),
            added_via=line["addedVia"],
        )
        for line in row["lines"]
    )
    return Cart(
        id=row["id"],
        version=int(row["version"]),
        status=row["status"],
        updated_at=to_datetime(row["updatedAt"]),
        lines=lines,
    )


def customer_profile(row: Row) -> CustomerProfile:
    carts = row["carts"]
    return CustomerProfile(
        id=row["id"],
        display_name=row["displayName"],
        created_at=to_datetime(row["createdAt"]),
        identities=tuple(_identity(item) for item in row["identities"]),
        devices=tuple(Device(id=d["id"], kind=d["kind"], os=d["os"]) for d in row["devices"]),
        cart=cart(carts[0]) if carts else None,
    )


def interaction(row: Row) -> Interaction:
    return Interaction(
        id=row["id"],
        at=to_datetime(row["at"]),
        type=row["type"],
        channel=row["channel"],
        product=product(row["product"]) if row.get("product") else None,
        store=store(row["store"]) if row.get("store") else None,
        device_id=row.get("deviceId"),
        event_id=row.get("eventId"),
    )
