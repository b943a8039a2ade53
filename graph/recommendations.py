"""Graph recommendations: what customers who touched the same products went on to buy.

The seeds are the ``SEED_PRODUCTS`` products this customer touched most recently, each weighted by
how strong the touch was and how recent it is relative to the customer's own latest activity (so
the ranking does not drift with the wall clock). For each seed we look at up to
``NEIGHBOURS_PER_PRODUCT`` other customers and count their purchases. The customer's own purchases
and cart lines are excluded; ties break by SKU, so the answer is deterministic. A customer who
refused the ``personalisation`` consent gets none, whoever asks (no consent recorded: not refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.models import Recommendation

NEIGHBOURS_PER_PRODUCT = 50
SEED_PRODUCTS = 20

_RECOMMEND: LiteralString = """
UNWIND $requests AS req
CALL (req) {
  MATCH (c:Customer {id: req.customerId})-[:DID]->(i:Interaction)-[:ABOUT]->(seed:Product)
  WHERE NOT EXISTS { (c)-[:CONSENTED]->(:Consent {purpose: 'personalisation', granted: false}) }
  WITH c, seed, max(i.at) AS seenAt,
       max(CASE i.type WHEN 'purchase' THEN 5.0 WHEN 'add_to_cart' THEN 3.0
                       WHEN 'return' THEN 0.5 ELSE 1.0 END) AS strength
  ORDER BY seenAt DESC, seed.sku LIMIT $seeds
  WITH c, collect({seed: seed, seenAt: seenAt, strength: strength}) AS seeds,
       max(seenAt) AS latest
  // What the customer already bought or holds, collected from the customer's side once: as
  // NOT EXISTS patterns per candidate the planner expanded from the (dense) popular products.
  WITH c, seeds, latest,
       COLLECT { MATCH (c)-[:DID]->(:Interaction {type: 'purchase'})-[:ABOUT]->(p:Product)
                 RETURN DISTINCT p } +
       COLLECT { MATCH (c)-[:HAS_CART]->(:Cart {status: 'active'})-[:CONTAINS]->(p:Product)
                 RETURN p } AS owned
  UNWIND seeds AS s
  WITH c, owned, s.seed AS seed,
       s.strength / (1.0 + duration.inDays(s.seenAt, latest).days / 30.0) AS seedWeight
  CALL (c, seed) {
    MATCH (seed)<-[:ABOUT]-(:Interaction)<-[:DID]-(other:Customer)
    WHERE other <> c
    WITH DISTINCT other ORDER BY other.id LIMIT $neighbours
    MATCH (other)-[:DID]->(:Interaction {type: 'purchase'})-[:ABOUT]->(rec:Product)
    WHERE rec <> seed
    RETURN rec, count(*) AS together
  }
  WITH owned, rec, seed, seedWeight * together AS part ORDER BY part DESC, seed.sku
  WITH owned, rec, sum(part) AS score, head(collect(seed.name)) AS because
  WHERE NOT rec IN owned
  WITH rec, score, because ORDER BY score DESC, rec.sku
  WITH collect({product: rec {.sku, .name, .category, .brand}, score: score,
                because: because}) AS ranked
  RETURN ranked[0..req.limit] AS recs
}
RETURN req.key AS key, recs
"""


@dataclass(frozen=True, slots=True)
class RecommendationRequest:
    customer_id: str
    first: int


async def recommend(
    db: GraphDatabase, requests: Sequence[RecommendationRequest]
) -> list[list[Recommendation]]:
    """Recommendations per request, best first, in request order."""
    params = [
        {"key": index, "customerId": request.customer_id, "limit": request.first}
        for index, request in enumerate(requests)
    ]
    rows = await db.read(
        _RECOMMEND,
        {"requests": params, "neighbours": NEIGHBOURS_PER_PRODUCT, "seeds": SEED_PRODUCTS},
    )
    by_key = {int(row["key"]): row["recs"] for row in rows}
    return [
        [
            Recommendation(
                product=_rows.product(item["product"]),
                score=round(item["score"], 6),
                reason=f"Bought by customers who also chose {item['because']}",
            )
            for item in by_key.get(index, [])
        ]
        for index in range(len(requests))
    ]
