"""GDPR in the graph: all held on one customer (export), and erasing it (right to be forgotten).

:func:`customer_dossier` reads, in one statement, every node the graph holds on a customer (profile,
identities, devices, carts with lines, interactions, journeys with steps, consents, merges and
identity conflicts, including conflicts of other customers that name this one, the idempotency
keys of writes about them with the answers they keep, and the audit log's entries of partners
reading their data) as plain JSON-ready values.
:func:`erase_customer` removes all of it in one write transaction and leaves an ``ErasureRecord``
holding no personal data: a salted hash of the customer id, the time, the counts removed and the
channel systems notified. Erasing twice returns the first record, unless a profile came back
under the id meanwhile (an anonymous id derives from its identifier): that one is erased anew.
The idempotency keys go too: their stored answers are copies of the customer's carts, orders
(with the email) and journeys.
The audit log's entries about them stay, with the id replaced by the record's salted hash.
Each order the customer's interactions or carts name leaves an ``ErasedOrder`` holding only a
salted hash of its id and the erasure's id, so a live view of the order, which may never have
learnt whose it was, can tell that its customer was erased. Each identity they held leaves an
``ErasedIdentity`` holding only a salted hash of its kind and value, the erasure's id and time,
so that ingest (:mod:`graph.ingest`) can drop a channel's late events about them instead of
creating the customer again.
This module must never build Cypher from input, nor write an identifier value into the audit record.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

import neo4j
from neo4j.time import Date, DateTime, Duration, Time

from graph import co_purchases
from graph.database import GraphDatabase

_HASH_SALT = "parcours-erasure:v1:"

_DOSSIER: LiteralString = """
MATCH (c:Customer {id: $id})
RETURN properties(c) AS profile,
  COLLECT {
    MATCH (c)-[r:IDENTIFIED_BY]->(i:Identity)
    RETURN i {.*, link: properties(r)} AS x ORDER BY i.kind, i.value
  } AS identities,
  COLLECT { MATCH (c)-[:USES]->(d:Device) RETURN properties(d) AS x ORDER BY d.id } AS devices,
  COLLECT {
    MATCH (c)-[:HAS_CART]->(k:Cart)
    RETURN k {.*, lines: COLLECT {
      MATCH (k)-[l:CONTAINS]->(p:Product) RETURN l {.*, sku: p.sku} AS y
      ORDER BY p.sku
    }} AS x ORDER BY k.id
  } AS carts,
  COLLECT {
    MATCH (c)-[:DID]->(i:Interaction)
    OPTIONAL MATCH (i)-[:ABOUT]->(p:Product)
    OPTIONAL MATCH (i)-[:AT]->(s:Store)
    OPTIONAL MATCH (i)-[:ON]->(d:Device)
    RETURN i {.*, sku: p.sku, storeId: s.id, deviceId: d.id} AS x
    ORDER BY i.at, i.id
  } AS interactions,
  COLLECT {
    MATCH (c)-[:ON_JOURNEY]->(j:Journey)
    RETURN j {.*, steps: COLLECT {
      MATCH (j)-[s:STEP]->(i:Interaction) RETURN {n: s.n, interactionId: i.id} AS y ORDER BY s.n
    }} AS x ORDER BY j.startedAt, j.id
  } AS journeys,
  COLLECT { MATCH (c)-[:CONSENTED]->(k:Consent) RETURN properties(k) AS x ORDER BY k.id }
    AS consents,
  COLLECT { MATCH (c)-[:MERGED]->(m:Merge) RETURN properties(m) AS x ORDER BY m.at, m.id }
    AS merges,
  COLLECT {
    MATCH (c)-[:HAS_CONFLICT]->(k:IdentityConflict) RETURN properties(k) AS x ORDER BY k.at, k.id
  } AS conflicts,
  COLLECT {
    MATCH (k:IdentityConflict {otherCustomerId: $id}) RETURN properties(k) AS x ORDER BY k.id
  } AS conflictsNamingThem,
  COLLECT {
    MATCH (k:IdempotencyKey {customerId: $id}) RETURN properties(k) AS x ORDER BY k.createdAt, k.key
  } AS idempotencyKeys,
  COLLECT {
    MATCH (a:AuditEntry {customerId: $id})
    RETURN a {.at, .partnerId, .action, .fields} AS x ORDER BY a.at, a.id
  } AS auditEntries
"""

_IDENTIFIERS: LiteralString = """
MATCH (:Customer {id: $id})-[:IDENTIFIED_BY]->(i:Identity)
RETURN i.kind AS kind, i.value AS value ORDER BY i.kind, i.value
"""

# Only while the id is still erased: an anonymous profile's id derives from its first identifier,
# so a sign-up of the same browser or app after an erasure brings a profile back under it (ingest
# drops its other events, graph/ingest.py), and that one must be erased anew, not answered with
# the first record. The latest record stands.
_RECORD: LiteralString = """
MATCH (e:ErasureRecord {customerIdHash: $hash})
WHERE NOT EXISTS { MATCH (:Customer {id: $id}) }
RETURN properties(e) AS record ORDER BY e.at DESC, e.id DESC LIMIT 1
"""

# Any record, even while a profile is back under the id: subscriptions compare the latest with the
# one they found when they started (migration 11 indexes customerIdHash).
_LATEST: LiteralString = """
MATCH (e:ErasureRecord {customerIdHash: $hash})
RETURN e.id AS id ORDER BY e.at DESC, e.id DESC LIMIT 1
"""

# Run first: write-locks the identities the customer holds, in ingest's and stitching's order
# (graph._identity_locks: sorted by kind and value, before any customer), so a batch naming one
# either holds it already and is waited for, or waits for the erasure; locking the customer first
# could make the two wait for each other (a deadlock Neo4j ends, and the driver retries).
_LOCK_IDENTITIES_HELD: LiteralString = """
MATCH (:Customer {id: $id})-[:IDENTIFIED_BY]->(i:Identity)
WITH i ORDER BY i.kind, i.value
SET i._lock = true
REMOVE i._lock
"""

# Run next, in the erasure's transaction: write-locks the customer (as _ERASE does, so nothing
# is added meanwhile) and names the orders it holds, whose ids are hashed here for _ERASE.
_ORDER_IDS: LiteralString = """
MATCH (c:Customer {id: $id})
SET c._lock = true
REMOVE c._lock
WITH c
CALL (c) {
  MATCH (c)-[:DID]->(i:Interaction) WHERE i.orderId IS NOT NULL RETURN i.orderId AS orderId
  UNION
  MATCH (c)-[:HAS_CART]->(k:Cart) WHERE k.orderId IS NOT NULL RETURN k.orderId AS orderId
}
RETURN orderId
"""

# What the erasure keeps of each identity held (migration 18 keys ErasedIdentity by the hash).
_IDENTITIES_HELD: LiteralString = """
MATCH (:Customer {id: $id})-[:IDENTIFIED_BY]->(i:Identity)
RETURN i.kind AS kind, i.value AS value
"""

# An order's latest erasure (migration 16 keys ErasedOrder by the hash).
_LATEST_FOR_ORDER: LiteralString = """
MATCH (o:ErasedOrder {orderIdHash: $hash}) RETURN o.erasureId AS id
"""

# Nodes first collected, then counted, then deleted: devices and journeys go only when no other
# customer still holds them (a merge shares journeys with the survivor). The customer is
# write-locked first: an audit entry about them being written meanwhile (graph/audit.py locks
# them too) is waited for, then pseudonymised with the rest.
_ERASE: LiteralString = """
MATCH (c:Customer {id: $id})
SET c._lock = true
REMOVE c._lock
WITH c
CALL (c) {
  OPTIONAL MATCH (c)-[:DID]->(i:Interaction)
  RETURN collect(DISTINCT i) AS interactions
}
CALL (c) {
  CALL (c) {
    MATCH (c)-[:USES]->(d:Device) RETURN d
    UNION
    MATCH (c)-[:DID]->(:Interaction)-[:ON]->(d:Device) RETURN d
  }
  WITH c, d
  WHERE NOT EXISTS { (d)<-[:USES]-(o:Customer) WHERE o <> c }
    AND NOT EXISTS { (d)<-[:ON]-(:Interaction)<-[:DID]-(o:Customer) WHERE o <> c }
  RETURN collect(d) AS devices
}
CALL (c) {
  OPTIONAL MATCH (c)-[:ON_JOURNEY]->(j:Journey)
  WHERE NOT EXISTS { (j)<-[:ON_JOURNEY]-(o:Customer) WHERE o <> c }
  RETURN collect(DISTINCT j) AS journeys
}
CALL (c) {
  OPTIONAL MATCH (c)-[:IDENTIFIED_BY]->(i:Identity) RETURN collect(DISTINCT i) AS identities
}
CALL (c) { OPTIONAL MATCH (c)-[:HAS_CART]->(k:Cart) RETURN collect(DISTINCT k) AS carts }
CALL (c) { OPTIONAL MATCH (c)-[:CONSENTED]->(k:Consent) RETURN collect(DISTINCT k) AS consents }
CALL (c) { OPTIONAL MATCH (c)-[:MERGED]->(m:Merge) RETURN collect(DISTINCT m) AS merges }
CALL (c) {
  OPTIONAL MATCH (c)-[:MERGED]->(:Merge)-[:JOINED_JOURNEY]->(j:JoinedJourney)
  RETURN collect(DISTINCT j) AS joinedJourneys
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_CONFLICT]->(k:IdentityConflict) RETURN collect(DISTINCT k) AS conflicts
}
CALL () {
  OPTIONAL MATCH (k:IdempotencyKey {customerId: $id}) RETURN collect(k) AS idempotencyKeys
}
CALL () {
  OPTIONAL MATCH (a:AuditEntry {customerId: $id})
  SET a.customerId = null, a.customerIdHash = $hash
  RETURN count(a) AS pseudonymised
}
CALL () {
  OPTIONAL MATCH (k:IdentityConflict {otherCustomerId: $id})
  SET k.value = '[erased]', k.otherCustomerId = null
  RETURN count(k) AS redacted
}
WITH c, interactions, devices, journeys, identities, carts, consents, merges, joinedJourneys,
     conflicts, idempotencyKeys, redacted, pseudonymised,
     {identities: size(identities), devices: size(devices), carts: size(carts),
      interactions: size(interactions), journeys: size(journeys), consents: size(consents),
      merges: size(merges), conflicts: size(conflicts), conflictsRedacted: redacted,
      idempotencyKeys: size(idempotencyKeys), auditEntriesPseudonymised: pseudonymised} AS removed
FOREACH (n IN interactions + devices + journeys + identities + carts + consents + merges
         + joinedJourneys + conflicts + idempotencyKeys | DETACH DELETE n)
DETACH DELETE c
CREATE (e:ErasureRecord {id: $erasureId, at: $at, customerIdHash: $hash,
                         channelsNotified: $notified, channelsUnavailable: $unavailable,
                         cacheKeysPurged: $purged})
SET e += removed
FOREACH (orderIdHash IN $orderIdHashes |
  MERGE (o:ErasedOrder {orderIdHash: orderIdHash})
  SET o.erasureId = $erasureId, o.at = $at)
FOREACH (identityHash IN $identityHashes |
  MERGE (x:ErasedIdentity {identityHash: identityHash})
  SET x.erasureId = $erasureId, x.at = $at)
RETURN properties(e) AS record
"""

REMOVED_KINDS = (
    "identities",
    "devices",
    "carts",
    "interactions",
    "journeys",
    "consents",
    "merges",
    "conflicts",
    "conflictsRedacted",
    "idempotencyKeys",
    "auditEntriesPseudonymised",
)


def customer_id_hash(customer_id: str) -> str:
    """The audit record's stand-in for a customer id: a salted SHA-256, never the id itself.

    Example:
        >>> len(customer_id_hash("cus_1")), customer_id_hash("cus_1") == customer_id_hash("cus_1")
        (64, True)
    """
    return hashlib.sha256((_HASH_SALT + customer_id).encode()).hexdigest()


def order_id_hash(order_id: str) -> str:
    """What an erasure keeps of an order of the customer: a salted SHA-256 of its id, apart
    from customer id hashes.

    Example:
        >>> order_id_hash("ORD-1") == customer_id_hash("ORD-1")
        False
    """
    return hashlib.sha256((_HASH_SALT + "order:" + order_id).encode()).hexdigest()


def identity_hash(kind: str, value: str) -> str:
    """What an erasure keeps of an identity the customer held: a salted SHA-256 of its kind and
    (normalised) value, apart from customer and order id hashes. Ingest recognises a late event
    about the erased customer by it; like any hash of a guessable value, it tells whoever holds
    the graph and a candidate email whether that email was erased, and nothing else.

    Example:
        >>> identity_hash("email", "a@example.test") == order_id_hash("email:a@example.test")
        False
    """
    return hashlib.sha256(f"{_HASH_SALT}identity:{kind}:{value}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ErasureRecord:
    """What an erasure did, as kept in the graph (no personal data)."""

    id: str
    at: datetime
    customer_id_hash: str
    removed: dict[str, int]
    channels_notified: tuple[str, ...]
    channels_unavailable: tuple[str, ...]
    cache_keys_purged: int


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What the gateway did outside the graph before erasing it: channels told, keys purged."""

    channels_notified: Sequence[str]
    channels_unavailable: Sequence[str]
    cache_keys_purged: int


def plain(value: Any) -> Any:
    """``value`` with Neo4j temporals as ISO strings, ready for JSON.

    Example:
        >>> plain({"at": DateTime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "n": [1]})
        {'at': '2026-01-02T03:04:05.000000000+00:00', 'n': [1]}
    """
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, DateTime | Date | Time):
        return value.iso_format()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def customer_dossier(db: GraphDatabase, customer_id: str) -> dict[str, Any] | None:
    """Everything the graph holds on ``customer_id``, JSON-ready; ``None`` for an unknown id."""
    rows = await db.read(_DOSSIER, {"id": customer_id})
    if not rows:
        return None
    row = rows[0]
    return {key: plain(row[key]) for key in row}


async def customer_identifiers(db: GraphDatabase, customer_id: str) -> list[tuple[str, str]]:
    """The (kind, value) pairs linked to ``customer_id``, to notify systems and purge caches."""
    rows = await db.read(_IDENTIFIERS, {"id": customer_id})
    return [(str(row["kind"]), str(row["value"])) for row in rows]


async def erasure_record(db: GraphDatabase, customer_id: str) -> ErasureRecord | None:
    """The record of the latest erasure of ``customer_id`` while it is still erased; ``None``
    when it never was, or when a profile came back under its id since (erase that one anew)."""
    rows = await db.read(_RECORD, {"hash": customer_id_hash(customer_id), "id": customer_id})
    return _record(rows[0]["record"]) if rows else None


async def latest_erasure_id(db: GraphDatabase, customer_id: str) -> str | None:
    """The id of the latest erasure of ``customer_id`` ever recorded; ``None`` when never erased."""
    rows = await db.read(_LATEST, {"hash": customer_id_hash(customer_id)})
    return str(rows[0]["id"]) if rows else None


async def latest_order_erasure_id(db: GraphDatabase, order_id: str) -> str | None:
    """The id of the latest erasure of the customer who held ``order_id`` (by its status rows
    or their ordered cart); ``None`` when no erasure named the order."""
    rows = await db.read(_LATEST_FOR_ORDER, {"hash": order_id_hash(order_id)})
    return str(rows[0]["id"]) if rows else None


async def erase_customer(
    db: GraphDatabase, customer_id: str, report: ErasureReport
) -> ErasureRecord | None:
    """Remove ``customer_id`` and all it holds in one transaction; ``None`` when it is unknown.

    A concurrent second erasure finds no customer and returns ``None``: callers look for the
    record first (:func:`erasure_record`).
    """
    erasure_id, at = f"era_{uuid.uuid4().hex}", datetime.now(UTC)

    async def work(tx: neo4j.AsyncManagedTransaction) -> ErasureRecord | None:
        return await erase_in(tx, customer_id, report, erasure_id, at)

    return await db.transaction(work)


async def erase_in(
    tx: neo4j.AsyncManagedTransaction,
    customer_id: str,
    report: ErasureReport,
    erasure_id: str,
    at: datetime,
) -> ErasureRecord | None:
    """The statements of :func:`erase_customer`, in the caller's transaction (a test holds one
    open to show what a concurrent ingest waits for)."""
    params = {
        "id": customer_id,
        "hash": customer_id_hash(customer_id),
        "erasureId": erasure_id,
        "at": at,
        "notified": list(report.channels_notified),
        "unavailable": list(report.channels_unavailable),
        "purged": report.cache_keys_purged,
    }
    await (await tx.run(_LOCK_IDENTITIES_HELD, {"id": customer_id})).consume()
    # Their purchases leave the co-purchase counts now, not at the table's next rebuild.
    withdraw = co_purchases.withdraw_params(customer_id)
    await (await tx.run(co_purchases.WITHDRAW, withdraw)).consume()
    orders = await (await tx.run(_ORDER_IDS, {"id": customer_id})).data()
    hashes = sorted({order_id_hash(str(row["orderId"])) for row in orders})
    held = await (await tx.run(_IDENTITIES_HELD, {"id": customer_id})).data()
    identities = sorted({identity_hash(str(r["kind"]), str(r["value"])) for r in held})
    result = await tx.run(_ERASE, {**params, "orderIdHashes": hashes, "identityHashes": identities})
    row = await result.single()
    return _record(row["record"]) if row else None


def _record(props: dict[str, Any]) -> ErasureRecord:
    at = props["at"]
    return ErasureRecord(
        id=str(props["id"]),
        at=at.to_native() if isinstance(at, DateTime) else at,
        customer_id_hash=str(props["customerIdHash"]),
        removed={kind: int(props.get(kind, 0)) for kind in REMOVED_KINDS},
        channels_notified=tuple(props.get("channelsNotified") or ()),
        channels_unavailable=tuple(props.get("channelsUnavailable") or ()),
        cache_keys_purged=int(props.get("cacheKeysPurged", 0)),
    )
