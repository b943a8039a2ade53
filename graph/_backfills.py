"""Data steps of migrations: derived properties that only Python can compute, for nodes written
before the code that writes them.

Each step runs in batches, one write transaction per batch, walking its nodes by their unique key
(keyset), so a graph of millions is read once and a failed step leaves whole batches behind it:
run again, it resumes where it failed. Each step fills only what is missing, so running it twice
changes nothing. It never builds Cypher from input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import LiteralString

import neo4j

from graph.database import GraphDatabase
from graph.names import fold_name

SEARCH_NAME_BATCH = 1_000
PROGRESS_EVERY = 50  # batches
SearchNameBatch = Callable[[neo4j.AsyncManagedTransaction], Awaitable[tuple[int, str | None]]]

_UNFOLDED_NAMES: LiteralString = """
MATCH (c:Customer)
WHERE c.id > $after AND c.searchName IS NULL AND c.displayName IS :: STRING NOT NULL
RETURN c.id AS id, c.displayName AS name ORDER BY c.id LIMIT $limit
"""
_WRITE_SEARCH_NAMES: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.id})
WHERE c.searchName IS NULL AND c.displayName = row.name
SET c.searchName = row.searchName
RETURN count(c) AS filled
"""


async def backfill_search_names(
    db: GraphDatabase,
    batch_size: int = SEARCH_NAME_BATCH,
    progress: Callable[[str], None] | None = None,
    report_every: int = PROGRESS_EVERY,
) -> int:
    """Give every customer with a name but no ``searchName`` its folded name; return how many
    got one. ``progress`` hears how far it got every ``report_every`` batches.

    Customers without a ``displayName`` (or with one that is not a string) are left as they are:
    search finds no name for them, as before.
    """
    after: str | None = ""
    filled = batches = 0
    while after is not None:
        done, after = await db.transaction(_search_name_batch(after, batch_size))
        filled, batches = filled + done, batches + 1
        if progress is not None and after is not None and batches % report_every == 0:
            progress(f"search names: {filled:,} written, up to customer {after}")
    return filled


def _search_name_batch(after: str, limit: int) -> SearchNameBatch:
    """The batch of customers after ``after`` as a transaction function (retried whole): read,
    fold, write; it answers how many it filled and where the next batch starts (``None``: no
    batch left)."""

    async def search_name_batch(tx: neo4j.AsyncManagedTransaction) -> tuple[int, str | None]:
        result = await tx.run(_UNFOLDED_NAMES, {"after": after, "limit": limit})
        found = [(str(row["id"]), str(row["name"])) async for row in result]
        if not found:
            return 0, None
        rows = [{"id": cid, "name": name, "searchName": fold_name(name)} for cid, name in found]
        written = await (await tx.run(_WRITE_SEARCH_NAMES, {"rows": rows})).single(strict=True)
        return int(written["filled"]), found[-1][0]

    return search_name_batch


JOINED_JOURNEY_BATCH = 1_000

# Merge records written before joined journeys were recorded as nodes (migration 17): each id on
# their list gets its node. A record with its nodes is skipped, so a batch done is never redone.
_JOIN_JOURNEY_NODES: LiteralString = """
MATCH (m:Merge)
WHERE size(coalesce(m.joinedJourneys, [])) > 0
  AND NOT EXISTS { (m)-[:JOINED_JOURNEY]->(:JoinedJourney) }
WITH m LIMIT $limit
FOREACH (joined IN m.joinedJourneys | CREATE (m)-[:JOINED_JOURNEY]->(:JoinedJourney {id: joined}))
RETURN count(m) AS filled
"""


async def backfill_joined_journeys(
    db: GraphDatabase, batch_size: int = JOINED_JOURNEY_BATCH
) -> int:
    """Give every Merge record's joined journeys a ``JoinedJourney`` node each (records written
    before they were); return how many records got them."""
    filled = 0
    while True:
        rows = await db.write(_JOIN_JOURNEY_NODES, {"limit": batch_size})
        done = int(rows[0]["filled"]) if rows else 0
        filled += done
        if done < batch_size:
            return filled
