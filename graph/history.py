"""A customer's cross-channel history, newest first, in keyset-paginated pages.

Pages are cut by ``(at, event id, channel)`` (``HistoryPosition``) rather than by offset, so an
interaction recorded while a client pages through never makes it see an item twice or skip one.
Several page requests (one per customer, or per filter) are answered by a single statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.ingest import HELD_EVENTS, event_key
from graph.models import HistoryPage, HistoryPosition, Store

# One request's page as ``items`` (``req`` in scope: customerId, limit, channels, types, afterAt,
# afterId, afterChannel); always one row. Shared with the whole-context statement of
# ``graph.context``. Ordered as ``HistoryPosition``: by time, event id (a node's eventKey less its
# channel, or its id when it has none) and channel, so that a receipt ingested as ``<id>@store``
# keeps the place it had before.
HISTORY_SUBQUERY: LiteralString = """
  MATCH (c:Customer {id: req.customerId})-[:DID]->(i:Interaction)
  WHERE (req.channels IS NULL OR i.channel IN req.channels)
    AND (req.types IS NULL OR i.type IN req.types)
  WITH i, CASE WHEN i.eventKey STARTS WITH i.channel + ':'
               THEN substring(i.eventKey, size(i.channel) + 1) ELSE i.id END AS eventId
  WHERE req.afterAt IS NULL OR i.at < req.afterAt
     OR (i.at = req.afterAt AND (eventId < req.afterId
         OR (eventId = req.afterId AND i.channel < req.afterChannel)))
  WITH i, eventId ORDER BY i.at DESC, eventId DESC, i.channel DESC
  WITH collect({i: i, eventId: eventId}) AS newest
  UNWIND newest[0..req.limit] AS row
  WITH row.i AS i, row.eventId AS eventId
  OPTIONAL MATCH (i)-[:ABOUT]->(p:Product)
  OPTIONAL MATCH (i)-[:AT]->(s:Store)
  OPTIONAL MATCH (i)-[:ON]->(d:Device)
  RETURN collect({id: i.id, eventId: eventId, at: toString(i.at), type: i.type,
                  channel: i.channel, product: p {.sku, .name, .category, .brand},
                  store: s {.id, .name, .city}, deviceId: d.id}) AS items
"""

_PAGES: LiteralString = (
    "UNWIND $requests AS req CALL (req) {" + HISTORY_SUBQUERY + "} RETURN req.key AS key, items"
)


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """One page of one customer's history: filters, size and where the previous page ended."""

    customer_id: str
    first: int
    after: HistoryPosition | None = None
    channels: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None


def history_params(request: HistoryRequest, key: int) -> dict[str, object]:
    """The statement parameters of one page request (``first + 1`` rows, to know if more follow)."""
    return {
        "key": key,
        "customerId": request.customer_id,
        "limit": request.first + 1,
        "channels": list(request.channels) if request.channels is not None else None,
        "types": list(request.types) if request.types is not None else None,
        "afterAt": request.after.at if request.after else None,
        "afterId": request.after.event_id if request.after else None,
        "afterChannel": request.after.channel if request.after else None,
    }


def history_page(request: HistoryRequest, rows: Sequence[dict[str, Any]]) -> HistoryPage:
    """The page ``request`` asked for, from the items ``HISTORY_SUBQUERY`` returned."""
    items = sorted(
        (_rows.interaction(item) for item in rows), key=lambda item: item.position, reverse=True
    )
    return HistoryPage(
        items=tuple(items[: request.first]), has_next_page=len(items) > request.first
    )


async def history_pages(db: GraphDatabase, requests: Sequence[HistoryRequest]) -> list[HistoryPage]:
    """One page per request, in request order."""
    params = [history_params(request, index) for index, request in enumerate(requests)]
    rows = await db.read(_PAGES, {"requests": params})
    by_key = {int(row["key"]): row["items"] for row in rows}
    return [history_page(request, by_key.get(index, [])) for index, request in enumerate(requests)]


# A receipt is held when its store event is (its eventKey), or when a node keeps the receipt's id
# in every channel (no eventKey): what ingest counts as a duplicate of it. Not by node id: a
# store event whose id another channel held is stored as ``<id>@store``, and the other channel's
# node under ``<id>`` is not the receipt.
_RECEIPT_CONTEXT: LiteralString = (
    """
CALL () {
  UNWIND $receipts AS event
"""
    + HELD_EVENTS
    + """
}
CALL () {
  UNWIND $storeIds AS storeId MATCH (s:Store {id: storeId})
  RETURN collect(s {.id, .name, .city}) AS stores
}
RETURN known, stores
"""
)


async def receipt_context(
    db: GraphDatabase, event_ids: Sequence[str], store_ids: Sequence[str]
) -> tuple[set[str], dict[str, Store]]:
    """Which of these store receipts (by their event ids) the graph already holds, whatever the
    id of their node, and these stores: one round trip."""
    receipts = [{"id": i, "key": event_key("store", i)} for i in sorted(set(event_ids))]
    rows = await db.read(
        _RECEIPT_CONTEXT, {"receipts": receipts, "storeIds": sorted(set(store_ids))}
    )
    row = rows[0]
    stores = {item["id"]: _rows.store(item) for item in row["stores"]}
    return set(row["known"]), stores
