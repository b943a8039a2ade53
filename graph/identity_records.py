"""The audit trail of identity stitching: conflicts left for a person, merges done (batched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.identities import IdentityKind

_CONFLICTS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN id, COLLECT {
  MATCH (c)-[:HAS_CONFLICT]->(k:IdentityConflict)
  RETURN k {.id, .kind, .value, .reason, .otherCustomerId, .at, .source} AS conflict
  ORDER BY k.at DESC, k.id
} AS conflicts
"""
_MERGES: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN id, COLLECT {
  MATCH (c)-[:MERGED]->(m:Merge)
  RETURN m {.id, .at, .reason, .source, .mergedId, .identities, .interactions, .cartRule}
    AS merge
  ORDER BY m.at DESC, m.id
} AS merges
"""


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


async def conflicts_by_customers(
    db: GraphDatabase, ids: Sequence[str]
) -> list[list[IdentityConflict]]:
    rows = await db.read(_CONFLICTS, {"ids": list(dict.fromkeys(ids))})
    found = {
        row["id"]: [
            IdentityConflict(
                id=c["id"],
                kind=IdentityKind(c["kind"]),
                value=c["value"],
                reason=c["reason"],
                other_customer_id=c.get("otherCustomerId"),
                at=_rows.to_datetime(c["at"]),
                source=c["source"],
            )
            for c in row["conflicts"]
        ]
        for row in rows
    }
    return [found.get(customer_id, []) for customer_id in ids]


async def merges_by_customers(db: GraphDatabase, ids: Sequence[str]) -> list[list[MergeRecord]]:
    rows = await db.read(_MERGES, {"ids": list(dict.fromkeys(ids))})
    found = {
        row["id"]: [
            MergeRecord(
                id=m["id"],
                at=_rows.to_datetime(m["at"]),
                reason=m["reason"],
                source=m["source"],
                merged_id=m["mergedId"],
                identities=tuple(m["identities"] or ()),
                interactions=len(m["interactions"] or ()),
                cart_rule=m["cartRule"],
            )
            for m in row["merges"]
        ]
        for row in rows
    }
    return [found.get(customer_id, []) for customer_id in ids]
