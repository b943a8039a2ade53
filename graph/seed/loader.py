"""Write the demo dataset into Neo4j with batched ``UNWIND ... MERGE`` statements.

Every statement merges on the unique keys the migrations declare, so loading the same batch twice
changes nothing. Progress is reported through a callback; this module draws nothing on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import LiteralString

from graph.database import GraphDatabase
from graph.names import fold_name
from graph.seed.generator import CustomerBatch, ReferenceData, Row

ProgressCallback = Callable[[int], None]

_CHANNELS: LiteralString = "UNWIND $rows AS row MERGE (:Channel {code: row.code})"
_STORES: LiteralString = (
    "UNWIND $rows AS row MERGE (s:Store {id: row.id}) SET s.name = row.name, s.city = row.city"
)
_PRODUCTS: LiteralString = (
    "UNWIND $rows AS row MERGE (p:Product {sku: row.sku}) "
    "SET p.name = row.name, p.category = row.category, p.brand = row.brand"
)
_CUSTOMERS: LiteralString = (
    "UNWIND $rows AS row MERGE (c:Customer {id: row.id}) "
    "SET c.displayName = row.displayName, c.searchName = row.searchName, "
    "c.createdAt = row.createdAt"
)
_IDENTITIES: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customerId})
MERGE (i:Identity {kind: row.kind, value: row.value})
MERGE (c)-[r:IDENTIFIED_BY]->(i)
SET r.since = row.since, r.source = row.source, r.confidence = row.confidence
"""
_DEVICES: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customerId})
MERGE (d:Device {id: row.id}) SET d.kind = row.kind, d.os = row.os
MERGE (c)-[:USES]->(d)
"""
_CARTS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customerId})
MERGE (k:Cart {id: row.id})
SET k.version = row.version, k.updatedAt = row.updatedAt, k.status = row.status
MERGE (c)-[:HAS_CART]->(k)
"""
_CART_LINES: LiteralString = """
UNWIND $rows AS row
MATCH (k:Cart {id: row.cartId}), (p:Product {sku: row.sku})
MERGE (k)-[l:CONTAINS]->(p)
SET l.qty = row.qty, l.addedAt = row.addedAt, l.addedVia = row.addedVia
"""
_INTERACTIONS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customerId}), (ch:Channel {code: row.channel})
MERGE (i:Interaction {id: row.id})
SET i.at = row.at, i.type = row.type, i.channel = row.channel, i.amount = row.amount
MERGE (c)-[:DID]->(i)
MERGE (i)-[:VIA]->(ch)
WITH row, i
CALL (row, i) {
  WITH row, i WHERE row.sku IS NOT NULL
  MATCH (p:Product {sku: row.sku}) MERGE (i)-[:ABOUT]->(p)
}
CALL (row, i) {
  WITH row, i WHERE row.storeId IS NOT NULL
  MATCH (s:Store {id: row.storeId}) MERGE (i)-[:AT]->(s)
}
CALL (row, i) {
  WITH row, i WHERE row.deviceId IS NOT NULL
  MATCH (d:Device {id: row.deviceId}) MERGE (i)-[:ON]->(d)
}
"""
_JOURNEYS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customerId})
MERGE (j:Journey {id: row.id})
SET j.intent = row.intent, j.status = row.status, j.startedAt = row.startedAt,
    j.lastChannel = row.lastChannel, j.nextStep = row.nextStep
MERGE (c)-[:ON_JOURNEY]->(j)
"""
_JOURNEY_STEPS: LiteralString = """
UNWIND $rows AS row
MATCH (j:Journey {id: row.journeyId}), (i:Interaction {id: row.interactionId})
MERGE (j)-[s:STEP]->(i) SET s.n = row.n
"""
_CONSENTS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customerId})
MERGE (k:Consent {id: row.id})
SET k.purpose = row.purpose, k.granted = row.granted, k.at = row.at, k.source = row.source
MERGE (c)-[:CONSENTED]->(k)
"""


async def _write_rows(
    db: GraphDatabase, statement: LiteralString, rows: list[Row], chunk: int = 2_000
) -> None:
    for start in range(0, len(rows), chunk):
        await db.write(statement, {"rows": rows[start : start + chunk]})


async def load_reference(db: GraphDatabase, reference: ReferenceData) -> None:
    await _write_rows(db, _CHANNELS, reference.channels)
    await _write_rows(db, _STORES, reference.stores)
    await _write_rows(db, _PRODUCTS, reference.products)


async def load_customer_batch(
    db: GraphDatabase, batch: CustomerBatch, progress: ProgressCallback | None = None
) -> None:
    """Write one batch, parents before children; ``progress`` gets the customers written."""
    customers = [{**row, "searchName": fold_name(row["displayName"])} for row in batch.customers]
    await _write_rows(db, _CUSTOMERS, customers)
    await _write_rows(db, _IDENTITIES, batch.identities)
    await _write_rows(db, _DEVICES, batch.devices)
    await _write_rows(db, _CARTS, batch.carts)
    await _write_rows(db, _CART_LINES, batch.cart_lines)
    await _write_rows(db, _INTERACTIONS, batch.interactions)
    await _write_rows(db, _JOURNEYS, batch.journeys)
    await _write_rows(db, _JOURNEY_STEPS, batch.journey_steps)
    await _write_rows(db, _CONSENTS, batch.consents)
    if progress is not None:
        progress(len(batch.customers))
