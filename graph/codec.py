"""JSON-ready forms of the graph's records, so they can travel on the event bus and sit in a cache.

The encoded form is the row shape the repositories read from Neo4j, so decoding reuses the very
functions that build records from rows: a record that went through Redis is the record the graph
returned. This module is pure: no Cypher, no I/O.
"""

from __future__ import annotations

from typing import Any

from graph import _rows
from graph.models import Cart, CustomerProfile

Row = dict[str, Any]


def cart_row(cart: Cart) -> Row:
    """``cart`` as a JSON-ready row; :func:`cart_from_row` gives it back.

    Example:
        >>> from datetime import UTC, datetime
        >>> cart = Cart("k1", 3, "active", datetime(2026, 1, 1, tzinfo=UTC), ())
        >>> cart_from_row(cart_row(cart)) == cart
        True
    """
    return {
        "id": cart.id,
        "version": cart.version,
        "status": cart.status,
        "updatedAt": cart.updated_at.isoformat(),
        "lines": [
            {
                "sku": line.product.sku,
                "name": line.product.name,
                "category": line.product.category,
                "brand": line.product.brand,
                "qty": line.quantity,
                "addedAt": line.added_at.isoformat(),
                "addedVia": line.added_via,
            }
            for line in cart.lines
        ],
    }


def cart_from_row(row: Row) -> Cart:
    return _rows.cart(row)


def profile_row(profile: CustomerProfile) -> Row:
    """``profile`` as a JSON-ready row; :func:`profile_from_row` gives it back."""
    return {
        "id": profile.id,
        "displayName": profile.display_name,
        "createdAt": profile.created_at.isoformat(),
        "identities": [
            {
                "kind": identity.kind.value,
                "value": identity.value,
                "since": identity.since.isoformat(),
                "source": identity.source,
                "confidence": identity.confidence,
            }
            for identity in profile.identities
        ],
        "devices": [{"id": d.id, "kind": d.kind, "os": d.os} for d in profile.devices],
        "carts": [cart_row(profile.cart)] if profile.cart else [],
    }


def profile_from_row(row: Row) -> CustomerProfile:
    return _rows.customer_profile(row)
