"""The audit trail of identity stitching: conflicts left for a person, merges done (batched)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, LiteralString, TypeVar

from graph import _rows
from graph.database import GraphDatabase
from graph.identities import IdentityKind
from graph.models import HistoryCursor

R = TypeVar("R")

# One page per request (``req``: customerId, limit, afterAt, afterId; row ``n`` answers the n-th),
# newest first then by id; ``limit`` is one more than asked, so the caller knows whether a next page
# exists (LIMIT cannot read ``req``, so the page is a slice). An unknown customer has an empty page.
_CONFLICTS: LiteralString = """
UNWIND range(0, size($requests) - 1) AS n
WITH n, $requests[n] AS req
OPTIONAL MATCH (c:Customer {id: req.customerId})
RETURN n, COLLECT {
  MATCH (c)-[:HAS_CONFLICT]->(k:IdentityConflict)
  WHERE req.afterAt IS NULL OR k.at < req.afterAt OR (k.at = req.afterAt AND k.id > req.afterId)
  RETURN k {.id, .kind, .value, .reason, .otherCustomerId, .at, .source} AS conflict
  ORDER BY k.at DESC, k.id
}[..req.limit] AS items
"""
_MERGES: LiteralString = """
UNWIND range(0, size($requests) - 1) AS n
WITH n, $requests[n] AS req
OPTIONAL MATCH (c:Customer {id: req.customerId})
RETURN n, COLLECT {
  MATCH (c)-[:MERGED]->(m:Merge)
  WHERE req.afterAt IS NULL OR m.at < req.afterAt OR (m.at = req.afterAt AND m.id > req.afterId)
  RETURN m {.id, .at, .reason, .source, .mergedId, .identities, .interactions, .cartRule,
            .droppedCartSkus, .droppedCartQtys} AS merge
  ORDER BY m.at DESC, m.id
}[..req.limit] AS items
"""


@dataclass(frozen=True, slots=True)
class RecordPage(Generic[R]):
    """A page of one customer's records, newest first, and whether more follow."""

    items: tuple[R, ...]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class PageRequest:
    """``first`` records of ``customer_id`` after the one at ``after`` (time and id), if any."""

    customer_id: str
    first: int
    after: HistoryCursor | None = None

    def as_params(self) -> dict[str, object]:
        return {
            "customerId": self.customer_id,
            "limit": self.first + 1,
            "afterAt": self.after.at if self.after else None,
            "afterId": self.after.id if self.after else None,
        }


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    id: str
    kind: IdentityKind
    value: str
    reason: str
    other_customer_id: str | None
    at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class MergeRecord:
    id: str
    at: datetime
    reason: str
    source: str
    merged_id: str
    identities: tuple[str, ...]
    interactions: int
    cart_rule: str
    # (sku, quantity) of the lines the merged cart left out past its cap, oldest added first.
    dropped_cart_lines: tuple[tuple[str, int], ...] = ()


async def _pages(
    db: GraphDatabase,
    query: LiteralString,
    requests: Sequence[PageRequest],
    parse: Callable[[dict[str, Any]], R],
) -> list[RecordPage[R]]:
    unique = list(dict.fromkeys(requests))
    rows = await db.read(query, {"requests": [request.as_params() for request in unique]})
    items = {int(row["n"]): row["items"] for row in rows}
    found = {
        request: RecordPage(
            tuple(parse(item) for item in items[n][: request.first]),
            len(items[n]) > request.first,
        )
        for n, request in enumerate(unique)
    }
    return [found[request] for request in requests]


async def conflicts_by_customers(
    db: GraphDatabase, requests: Sequence[PageRequest]
) -> list[RecordPage[IdentityConflict]]:
    """A page of each customer's identity conflicts (one statement for the batch)."""
    return await _pages(db, _CONFLICTS, requests, _conflict)


async def merges_by_customers(
    db: GraphDatabase, requests: Sequence[PageRequest]
) -> list[RecordPage[MergeRecord]]:
    """A page of each customer's merge records (one statement for the batch)."""
    return await _pages(db, _MERGES, requests, _merge)


def _conflict(c: dict[str, Any]) -> IdentityConflict:
    return IdentityConflict(
        id=c["id"],
        kind=IdentityKind(c["kind"]),
        value=c["value"],
        reason=c["reason"],
        other_customer_id=c.get("otherCustomerId"),
        at=_rows.to_datetime(c["at"]),
        source=c["source"],
    )


def _merge(m: dict[str, Any]) -> MergeRecord:
    return MergeRecord(
        id=m["id"],
        at=_rows.to_datetime(m["at"]),
        reason=m["reason"],
        source=m["source"],
        merged_id=m["mergedId"],
        identities=tuple(m["identities"] or ()),
        interactions=len(m["interactions"] or ()),
        cart_rule=m["cartRule"],
        dropped_cart_lines=tuple(
            zip(m.get("droppedCartSkus") or (), m.get("droppedCartQtys") or (), strict=True)
        ),
    )
