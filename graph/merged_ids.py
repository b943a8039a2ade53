"""Where the id of a profile merged away now lives: the customer holding its latest Merge record.

A merge deletes the merged customer and records ``(:Customer)-[:MERGED]->(:Merge {mergedId})``
on the survivor (handed on if the survivor is merged in turn), so a live view of the merged id
can tell its client whom to follow. Read-only; one statement on the ``Merge.mergedId`` index of
migration 15. A journey a merge joined into another (deleted, its id on the record's
``joinedJourneys``) is found the same way, through ``(:Merge)-[:JOINED_JOURNEY]->(:JoinedJourney
{id})`` (indexed, migration 17): :data:`JOURNEY_SURVIVOR`. Never imports the gateway or the
resolvers.
"""

from __future__ import annotations

from typing import LiteralString

from graph.database import GraphDatabase

# With ``merged`` (an id merged away) in scope: ``survivor``, the customer holding its latest
# Merge record (the survivor, or whoever that one was merged into since, as merges hand their
# records on). Shared by every statement that follows a merged id (graph/consents.py too).
LATEST_SURVIVOR: LiteralString = """
MATCH (survivor:Customer)-[:MERGED]->(m:Merge {mergedId: merged})
WITH survivor ORDER BY m.at DESC LIMIT 1"""
# With ``joined`` (the id of a journey a merge joined into another) in scope: ``survivor``, the
# customer holding the latest Merge record that joined it (graph/consents.py).
JOURNEY_SURVIVOR: LiteralString = """
MATCH (survivor:Customer)-[:MERGED]->(m:Merge)-[:JOINED_JOURNEY]->(:JoinedJourney {id: joined})
WITH survivor ORDER BY m.at DESC LIMIT 1"""
_MERGED_INTO: LiteralString = (
    """
OPTIONAL MATCH (known:Customer {id: $customerId})
WITH known WHERE known IS NULL
WITH $customerId AS merged"""
    + LATEST_SURVIVOR
    + """
RETURN survivor.id AS id
"""
)


async def merged_into(db: GraphDatabase, customer_id: str) -> str | None:
    """The customer ``customer_id`` was merged into (the latest survivor), or ``None`` while
    that customer exists (or for an id never known)."""
    rows = await db.read(_MERGED_INTO, {"customerId": customer_id}, maps_only=True)
    return str(rows[0]["id"]) if rows else None
