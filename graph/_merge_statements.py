"""The statements of a merge (see :mod:`graph.stitching`), run in order in its transaction.

:data:`CART_LINES` reads each active cart; :data:`MOVE` hands the merged profile's identities,
devices, interactions, journeys and missing consents to the survivor; :data:`JOIN_JOURNEYS` makes
two active journeys of one intent one; :data:`WRITE_CART` writes the survivor's merged cart;
:data:`RETIRE_MERGED` marks the merged profile's active cart 'merged', hands over all its carts,
its identity conflicts and its merge records, makes the idempotency keys, the audit entries and the
other customers' conflicts that name it name the survivor, records the merge and deletes the merged
profile. Whatever the merged profile held is then the survivor's, so the survivor's export shows it
and their erasure removes it (:mod:`graph.erasure` finds these by the relationships, and keys and
conflicts by the ids they name).
"""

from __future__ import annotations

from typing import LiteralString

CART_LINES: LiteralString = """
MATCH (c:Customer {id: $customerId})-[:HAS_CART]->(k:Cart {status: 'active'})
RETURN k.id AS cartId, COLLECT { MATCH (k)-[l:CONTAINS]->(p:Product)
  RETURN {sku: p.sku, qty: l.qty, addedAt: l.addedAt, addedVia: l.addedVia} } AS lines
"""
MOVE: LiteralString = """
MATCH (a:Customer {id: $mergedId}), (c:Customer {id: $survivorId})
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:IDENTIFIED_BY]->(i:Identity)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END |
    MERGE (c)-[n:IDENTIFIED_BY]->(i) ON CREATE SET n = properties(r))
  DELETE r
  RETURN collect(i.kind + ':' + i.value) AS identities
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:USES]->(d:Device)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (c)-[:USES]->(d))
  DELETE r
  RETURN collect(d.id) AS devices
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:DID]->(i:Interaction)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (c)-[:DID]->(i))
  DELETE r
  RETURN collect(i.id) AS interactions
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:ON_JOURNEY]->(j:Journey)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (c)-[:ON_JOURNEY]->(j))
  DELETE r
  RETURN collect(j.id) AS journeys
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:CONSENTED]->(k:Consent)
  WITH c, r, k, EXISTS { (c)-[:CONSENTED]->(:Consent {purpose: k.purpose}) } AS known
  // A consent the survivor lacked becomes its own (its id, so its next decision replaces it);
  // one it has is dropped: the survivor's own decision stands.
  FOREACH (_ IN CASE WHEN r IS NULL OR known THEN [] ELSE [1] END |
    MERGE (c)-[:CONSENTED]->(k)
    SET k.id = c.id + ':' + k.purpose)
  DELETE r
  FOREACH (_ IN CASE WHEN known THEN [1] ELSE [] END | DETACH DELETE k)
  RETURN collect(CASE WHEN known THEN null ELSE k.purpose END) AS consents
}
RETURN identities, devices, interactions, journeys, consents
"""
# After MOVE, when journeys moved: two active journeys of one intent (the guest's and the
# survivor's: one person, one goal) become the one started first, with every step renumbered in
# time order; the others are deleted and their ids returned for the merge record.
JOIN_JOURNEYS: LiteralString = """
MATCH (c:Customer {id: $survivorId})-[:ON_JOURNEY]->(j:Journey {status: 'active'})
WITH j ORDER BY j.startedAt, j.id
WITH j.intent AS intent, collect(j) AS journeys
WHERE size(journeys) > 1 AND any(j IN journeys WHERE j.id IN $movedJourneys)
WITH head(journeys) AS kept, tail(journeys) AS others
CALL (kept, others) {
  UNWIND others AS other
  MATCH (other)-[s:STEP]->(x:Interaction)
  MERGE (kept)-[:STEP]->(x)
  DELETE s
}
CALL (kept) {
  MATCH (kept)-[s:STEP]->(x:Interaction)
  WITH s, x ORDER BY x.at, x.id
  WITH collect(s) AS steps, last(collect(x)) AS latest
  SET kept.lastChannel = latest.channel
  WITH steps
  UNWIND range(0, size(steps) - 1) AS k
  WITH steps[k] AS s, k
  SET s.n = k + 1
}
SET kept.nextStep = coalesce(last(others).nextStep, kept.nextStep)
WITH others, [other IN others | other.id] AS joined
FOREACH (other IN others | DETACH DELETE other)
RETURN joined
"""
WRITE_CART: LiteralString = """
MATCH (c:Customer {id: $survivorId})
OPTIONAL MATCH (c)-[:HAS_CART]->(existing:Cart {status: 'active'})
WITH c, existing
CALL (c, existing) {
  WITH c, existing WHERE existing IS NULL
  // Going on from the survivor's last cart, as graph.carts does: versions never repeat.
  WITH c, head(COLLECT { MATCH (c)-[:HAS_CART]->(old:Cart)
                         RETURN old.version ORDER BY old.version DESC LIMIT 1 }) AS lastVersion
  CREATE (c)-[:HAS_CART]->(k:Cart {
    id: $newCartId, version: coalesce(lastVersion, 0), status: 'active'})
  RETURN k
  UNION
  WITH existing WHERE existing IS NOT NULL
  RETURN existing AS k
}
OPTIONAL MATCH (k)-[old:CONTAINS]->()
DELETE old
WITH DISTINCT k
UNWIND $lines AS line
MATCH (p:Product {sku: line.sku})
CREATE (k)-[:CONTAINS {qty: line.qty, addedAt: line.addedAt, addedVia: line.addedVia}]->(p)
WITH DISTINCT k
SET k.version = k.version + 1, k.updatedAt = $now
"""
# After WRITE_CART, so the survivor keeps one active cart: the merged profile's is closed first.
# Then all its carts, identity conflicts and merge records go to the survivor, with the keys and
# other customers' conflicts naming it; the record lists what moved, and the profile is deleted.
RETIRE_MERGED: LiteralString = """
MATCH (a:Customer {id: $mergedId}), (c:Customer {id: $survivorId})
CALL (a) {
  OPTIONAL MATCH (a)-[:HAS_CART]->(k:Cart {status: 'active'})
  SET k.status = 'merged'
  RETURN head(collect(k.id)) AS mergedCartId
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:HAS_CART]->(k:Cart)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (c)-[:HAS_CART]->(k))
  DELETE r
  RETURN collect(k.id) AS carts
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:HAS_CONFLICT]->(k:IdentityConflict)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (c)-[:HAS_CONFLICT]->(k))
  DELETE r
  RETURN collect(k.id) AS conflicts
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[r:MERGED]->(m:Merge)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (c)-[:MERGED]->(m))
  DELETE r
  RETURN collect(m.id) AS merges
}
CALL () {
  OPTIONAL MATCH (k:IdempotencyKey {customerId: $mergedId})
  SET k.customerId = $survivorId
  RETURN collect(k.key) AS idempotencyKeys
}
CALL () {
  OPTIONAL MATCH (k:IdentityConflict {otherCustomerId: $mergedId})
  SET k.otherCustomerId = $survivorId
  RETURN collect(k.id) AS conflictsNamingMerged
}
CALL () {
  // What was read of the merged profile was read of the survivor: its erasure must reach it.
  OPTIONAL MATCH (e:AuditEntry {customerId: $mergedId})
  SET e.customerId = $survivorId
  RETURN count(e) AS auditEntries
}
CREATE (c)-[:MERGED]->(m:Merge {id: $mergeId, at: $now, reason: $reason, source: $source,
  survivorId: $survivorId, mergedId: $mergedId, mergedDisplayName: a.displayName,
  identities: $identities, devices: $devices, interactions: $interactions,
  journeys: $journeys, joinedJourneys: $joinedJourneys, consents: $consents,
  cartRule: $cartRule, mergedCartId: mergedCartId,
  droppedCartSkus: $droppedSkus, droppedCartQtys: $droppedQtys,
  carts: carts, conflicts: conflicts, merges: merges, idempotencyKeys: idempotencyKeys,
  auditEntries: auditEntries,
  conflictsNamingMerged: conflictsNamingMerged})
// Each journey joined away, as a node of its own: a list cannot be looked up by an index, and a
// retry about the journey's id must find its record (graph/merged_ids.py, migration 17).
FOREACH (joined IN $joinedJourneys | CREATE (m)-[:JOINED_JOURNEY]->(:JoinedJourney {id: joined}))
DETACH DELETE a
"""
