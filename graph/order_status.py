"""Where an order stands now, for live views that must show the truth after a gap.

The order system's statuses are ingested as ``order_status`` interactions (``orderId``,
``orderStatus``, ``at``); the latest of an order is its status. Read-only; one statement, on
the ``Interaction.orderId`` index (migration 14).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.ingest import EventType

_LATEST_STATUS: LiteralString = """
MATCH (i:Interaction {orderId: $orderId})
WHERE i.type = $type
OPTIONAL MATCH (c:Customer)-[:DID]->(i)
RETURN i.orderStatus AS status, i.at AS at, c.id AS customerId
ORDER BY i.at DESC LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """An order's status from ``at``; ``customer_id`` is its owner now (None once erased)."""

    order_id: str
    status: str
    at: datetime
    customer_id: str | None


async def latest_order_status(db: GraphDatabase, order_id: str) -> OrderStatus | None:
    """The latest status ingested for ``order_id``, or ``None`` when none was."""
    params = {"orderId": order_id, "type": EventType.ORDER_STATUS.value}
    rows = await db.read(_LATEST_STATUS, params)
    if not rows:
        return None
    row = rows[0]
    return OrderStatus(
        order_id=order_id,
        status=str(row["status"]),
        at=_rows.to_datetime(row["at"]),
        customer_id=row["customerId"],
    )
