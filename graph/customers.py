"""Customer look-ups for the context query: by id and by identity, batched, one statement each.

One statement returns the customer with identities, devices and the active cart (with products), so
the whole profile costs a single round trip however many customers a request asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.identities import IdentityKind
from graph.models import CustomerProfile

# The devices a profile shows: the LIMIT of PROFILE_COLUMNS' devices (a statement holds no
# parameter of its own there, it is shared by every profile read).
MAX_DEVICES = 50
PROFILE_COLUMNS: LiteralString = (
    """
  c.id AS id, c.displayName AS displayName, toString(c.createdAt) AS createdAt,
  COLLECT {
    MATCH (c)-[r:IDENTIFIED_BY]->(i:Identity)
    RETURN {kind: i.kind, value: i.value, since: toString(r.since), source: r.source,
            confidence: r.confidence} AS identity
    ORDER BY i.kind, i.value
  } AS identities,
  COLLECT {
    MATCH (c)-[:USES]->(d:Device) RETURN d {.id, .kind, .os} AS device ORDER BY d.id LIMIT 50
  } AS devices,
  COLLECT {
    MATCH (c)-[:HAS_CART]->(k:Cart {status: 'active'})
    RETURN """
    + _rows.CART_MAP
    + """ AS cart
    ORDER BY k.updatedAt DESC LIMIT 1
  } AS carts
"""
)

_BY_IDS: LiteralString = (
    "UNWIND $ids AS wanted MATCH (c:Customer {id: wanted}) RETURN " + PROFILE_COLUMNS
)

_BY_IDENTITIES: LiteralString = (
    "UNWIND $keys AS key "
    "MATCH (:Identity {kind: key.kind, value: key.value})<-[:IDENTIFIED_BY]-(c:Customer) "
    "WITH key, c ORDER BY c.id "
    "WITH key, head(collect(c)) AS c "
    "RETURN key.kind AS keyKind, key.value AS keyValue, " + PROFILE_COLUMNS
)

_COUNT: LiteralString = "MATCH (c:Customer) RETURN count(c) AS n"
# The profile statements return maps, lists and scalars only (PROFILE_COLUMNS): `maps_only` reads.


async def profiles_by_ids(db: GraphDatabase, ids: Sequence[str]) -> list[CustomerProfile | None]:
    """Profiles in the order of ``ids``; ``None`` where no customer has that id."""
    rows = await db.read(_BY_IDS, {"ids": list(dict.fromkeys(ids))}, maps_only=True)
    found = {row["id"]: _rows.customer_profile(row) for row in rows}
    return [found.get(customer_id) for customer_id in ids]


async def profiles_by_identities(
    db: GraphDatabase, keys: Sequence[tuple[IdentityKind, str]]
) -> list[CustomerProfile | None]:
    """Profiles of the customers holding each (kind, normalised value), in the order given."""
    params = [{"kind": kind.value, "value": value} for kind, value in dict.fromkeys(keys)]
    rows = await db.read(_BY_IDENTITIES, {"keys": params}, maps_only=True)
    found = {(row["keyKind"], row["keyValue"]): _rows.customer_profile(row) for row in rows}
    return [found.get((kind.value, value)) for kind, value in keys]


async def count_customers(db: GraphDatabase) -> int:
    rows = await db.read(_COUNT)
    return int(rows[0]["n"])


_SAMPLE: LiteralString = """
MATCH (c:Customer)-[:HAS_CART]->(:Cart {status: 'active'})
WHERE COUNT { (c)-[:DID]->() } >= 5
WITH c ORDER BY c.id LIMIT 1
OPTIONAL MATCH (c)-[:IDENTIFIED_BY]->(e:Identity {kind: 'email'})
RETURN c.id AS id, min(e.value) AS email
"""


async def sample_customer(db: GraphDatabase) -> tuple[str, str | None] | None:
    """A customer with a cart and some history (id, email), for the demo's printed examples."""
    rows = await db.read(_SAMPLE)
    return (str(rows[0]["id"]), rows[0]["email"]) if rows else None
