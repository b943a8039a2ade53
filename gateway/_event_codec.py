"""Events as bytes on the Redis stream, and back: one JSON object per event, ``type`` first.

An entry this code does not understand (a newer instance's event type during a rolling upgrade)
decodes to ``None`` and is skipped; subscribers still converge at their next resync.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from graph.codec import cart_from_row, cart_row
from resolvers.realtime.events import (
    ActivityKind,
    CartChanged,
    CustomerActivity,
    Event,
    OrderStatusChanged,
)


def encode_event(event: Event) -> bytes:
    """``event`` as JSON bytes.

    Example:
        >>> decode_event(encode_event(CartChanged("cus_1")))
        CartChanged(customer_id='cus_1', cart=None)
    """
    body: dict[str, Any]
    if isinstance(event, CartChanged):
        body = {
            "type": "cart",
            "customerId": event.customer_id,
            "cart": cart_row(event.cart) if event.cart else None,
        }
    elif isinstance(event, CustomerActivity):
        body = {
            "type": "activity",
            "customerId": event.customer_id,
            "kind": event.kind.value,
            "at": event.at.isoformat(),
            "ids": list(event.ids),
            "channel": event.channel,
        }
    else:
        body = {
            "type": "order",
            "orderId": event.order_id,
            "status": event.status,
            "at": event.at.isoformat(),
            "customerId": event.customer_id,
        }
    return orjson.dumps(body)


def decode_event(raw: bytes) -> Event | None:
    """The event ``raw`` encodes, or ``None`` for a shape this version does not know."""
    try:
        body = orjson.loads(raw)
        kind = body["type"]
        if kind == "cart":
            row = body["cart"]
            return CartChanged(body["customerId"], cart_from_row(row) if row else None)
        if kind == "activity":
            return CustomerActivity(
                customer_id=body["customerId"],
                kind=ActivityKind(body["kind"]),
                at=datetime.fromisoformat(body["at"]),
                ids=tuple(body["ids"]),
                channel=body["channel"],
            )
        if kind == "order":
            return OrderStatusChanged(
                order_id=body["orderId"],
                status=body["status"],
                at=datetime.fromisoformat(body["at"]),
                customer_id=body["customerId"],
            )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return None
