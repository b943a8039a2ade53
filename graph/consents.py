"""Consent per purpose: read a customer's consents (batched) and record a new decision.

A ``(:Consent {id: '<customerId>:<purpose>', purpose, granted, at, source})`` hangs off its
customer through ``CONSENTED``, as the seed writes them; a new decision replaces the old one.
The id of a profile merged away reads the consents of the customer it was merged into (the same
person; a merge moves the consents by the rules of :mod:`graph.stitching`), so a caller's retry
about the merged id is judged by the decisions that hold now; so is one about a journey the merge
joined into another (:func:`journey_owner`). This module never imports the gateway or the
resolvers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from graph import _rows
from graph.co_purchases import COUNT_IN_SUBQUERY, WITHDRAW_SUBQUERY, count_in_params
from graph.database import GraphDatabase
from graph.merged_ids import JOURNEY_SURVIVOR, LATEST_SURVIVOR

PERSONALISATION = "personalisation"
PURPOSES: tuple[str, ...] = (PERSONALISATION, "marketing", "partner_sharing")


@dataclass(frozen=True, slots=True)
class Consent:
    purpose: str
    granted: bool
    at: datetime
    source: str


_BY_CUSTOMERS: LiteralString = (
    """
UNWIND $ids AS wanted
OPTIONAL MATCH (known:Customer {id: wanted})
OPTIONAL CALL (wanted, known) {
  // An id merged away: its survivor (graph/merged_ids.py).
  WITH wanted AS merged, known WHERE known IS NULL"""
    + LATEST_SURVIVOR
    + """
  RETURN survivor
}
WITH wanted, coalesce(known, survivor) AS c
OPTIONAL MATCH (c)-[:CONSENTED]->(k:Consent)
WITH wanted, k ORDER BY k.purpose
RETURN wanted AS id, collect(k {.purpose, .granted, .at, .source}) AS consents
"""
)
_SET: LiteralString = (
    """
MATCH (c:Customer {id: $customerId})
WITH c, $withdrawCoPurchases AS withdraw, $countCoPurchases AS countIn"""
    # A refusal of personalisation takes the customer's purchases off the co-purchase counts
    # other customers' recommendations read, at once; a grant after it puts them back.
    + WITHDRAW_SUBQUERY
    + COUNT_IN_SUBQUERY
    + """
CALL (c) {
  // Another record of this purpose (a profile merged before merges re-keyed consents) is
  // replaced too: one decision per purpose, the newest.
  OPTIONAL MATCH (c)-[:CONSENTED]->(old:Consent {purpose: $purpose})
  WHERE old.id <> $customerId + ':' + $purpose
  DETACH DELETE old
}
MERGE (k:Consent {id: $customerId + ':' + $purpose})
SET k.purpose = $purpose, k.granted = $granted, k.at = datetime(), k.source = $source
MERGE (c)-[:CONSENTED]->(k)
RETURN k {.purpose, .granted, .at, .source} AS consent
"""
)

_CART_OWNER: LiteralString = (
    "MATCH (c:Customer)-[:HAS_CART]->(:Cart {id: $id}) RETURN c.id AS id ORDER BY id LIMIT 1"
)
_JOURNEY_OWNER: LiteralString = (
    """
OPTIONAL MATCH (owner:Customer)-[:ON_JOURNEY]->(:Journey {id: $id})
WITH min(owner.id) AS owner
OPTIONAL CALL (owner) {
  // A journey a merge joined into another: whoever holds that merge's record now.
  WITH $id AS joined, owner WHERE owner IS NULL"""
    + JOURNEY_SURVIVOR
    + """
  RETURN survivor
}
WITH coalesce(owner, survivor.id) AS id WHERE id IS NOT NULL
RETURN id
"""
)


def _consent(row: dict[str, object]) -> Consent:
    return Consent(
        purpose=str(row["purpose"]),
        granted=bool(row["granted"]),
        at=_rows.to_datetime(row["at"]),
        source=str(row.get("source") or ""),
    )


async def consents_of(db: GraphDatabase, ids: Sequence[str]) -> list[tuple[Consent, ...]]:
    """Each customer's consents (by purpose), in the order of ``ids``; empty when none. An id
    merged away answers its survivor's consents."""
    rows = await db.read(_BY_CUSTOMERS, {"ids": list(dict.fromkeys(ids))})
    found = {row["id"]: tuple(_consent(k) for k in row["consents"]) for row in rows}
    return [found.get(customer_id, ()) for customer_id in ids]


async def set_consent(
    db: GraphDatabase, customer_id: str, purpose: str, granted: bool, source: str
) -> Consent | None:
    """Record the customer's decision for ``purpose``; None when the customer is unknown."""
    rows = await db.write(
        _SET,
        {
            "customerId": customer_id,
            "purpose": purpose,
            "granted": granted,
            "source": source,
            "withdrawCoPurchases": purpose == PERSONALISATION and not granted,
            "countCoPurchases": purpose == PERSONALISATION and granted,
            **count_in_params(),
        },
    )
    return _consent(rows[0]["consent"]) if rows else None


async def cart_owner(db: GraphDatabase, cart_id: str) -> str | None:
    """The customer whose cart ``cart_id`` is (None for an unknown or anonymous cart)."""
    rows = await db.read(_CART_OWNER, {"id": cart_id})
    return str(rows[0]["id"]) if rows else None


async def journey_owner(db: GraphDatabase, journey_id: str) -> str | None:
    """The customer pursuing journey ``journey_id`` (None when unknown); for a journey a merge
    joined into another, the customer holding that merge's record (the same person)."""
    rows = await db.read(_JOURNEY_OWNER, {"id": journey_id})
    return str(rows[0]["id"]) if rows else None
