"""Graph recommendations: what customers who touched the same products went on to buy.

The seeds are the ``SEED_PRODUCTS`` products this customer touched most recently, each weighted by
how strong the touch was and how recent it is relative to the customer's own latest activity (so
the ranking does not drift with the wall clock). Each seed contributes its ``ALSO_BOUGHT`` list
(the products bought most by the customers who touched it, precomputed by
:mod:`graph.co_purchases`), weighted by purchase count. The customer's own purchases and cart
lines are excluded at query time; ties break by SKU, so the answer is deterministic. A customer who
refused the ``personalisation`` consent gets none, whoever asks (no consent recorded: not refused).
Stock is the OMS's, not the graph's: a request for ``first`` ranks ``CANDIDATES_PER_PLACE`` times
as many, so the resolver can drop what the OMS lists as sold out and still fill the places; when
more than that many are sold out, it asks for the next ones (``skip``: a rank to start from) with
:func:`next_candidates`, a statement of its own only in that rare case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.models import Recommendation

SEED_PRODUCTS = 20
# Candidates ranked per place asked for: spares for the sold-out ones the resolver drops. 50
# places (the API's cap) are then 100 candidates, what one OMS availability call takes.
CANDIDATES_PER_PLACE = 2
# Candidates ranked per follow-up statement (when too many of the first were sold out): one OMS
# availability call's worth.
CANDIDATES_PER_FOLLOW_UP = 100

# One request's ranked recommendations as ``recs`` (``req`` in scope: customerId, limit); shared
# by the statement below and the whole-context statement of ``graph.context``.
RECOMMEND_SUBQUERY: LiteralString = """
  MATCH (c:Customer {id: req.customerId})-[:DID]->(i:Interaction)-[:ABOUT]->(seed:Product)
  WHERE NOT EXISTS { (c)-[:CONSENTED]->(:Consent {purpose: 'personalisation', granted: false}) }
  WITH c, seed, max(i.at) AS seenAt,
       max(CASE i.type WHEN 'purchase' THEN 5.0 WHEN 'add_to_cart' THEN 3.0
                       WHEN 'return' THEN 0.5 ELSE 1.0 END) AS strength
  ORDER BY seenAt DESC, seed.sku LIMIT $seeds
  WITH c, collect({seed: seed, seenAt: seenAt, strength: strength}) AS seeds,
       max(seenAt) AS latest
  // What the customer already bought or holds, collected from the customer's side once.
  WITH seeds, latest,
       COLLECT { MATCH (c)-[:DID]->(:Interaction {type: 'purchase'})-[:ABOUT]->(p:Product)
                 RETURN DISTINCT p } +
       COLLECT { MATCH (c)-[:HAS_CART]->(:Cart {status: 'active'})-[:CONTAINS]->(p:Product)
                 RETURN p } AS owned
  UNWIND seeds AS s
  WITH owned, s.seed AS seed,
       s.strength / (1.0 + duration.inDays(s.seenAt, latest).days / 30.0) AS seedWeight
  MATCH (seed)-[also:ALSO_BOUGHT]->(rec:Product)
  WHERE NOT rec IN owned
  WITH rec, seed, seedWeight * also.purchases AS part ORDER BY part DESC, seed.sku
  WITH rec, sum(part) AS score, head(collect(seed.name)) AS because
  ORDER BY score DESC, rec.sku
  WITH collect({product: rec {.sku, .name, .category, .brand}, score: score,
                because: because}) AS ranked
  RETURN ranked[req.skip..req.limit] AS recs
"""

_RECOMMEND: LiteralString = (
    "UNWIND $requests AS req CALL (req) {" + RECOMMEND_SUBQUERY + "} RETURN req.key AS key, recs"
)


@dataclass(frozen=True, slots=True)
class RecommendationRequest:
    """``first`` places for the customer: the ``first * CANDIDATES_PER_PLACE`` candidates ranked
    from ``skip`` on (0: the best)."""

    customer_id: str
    first: int
    skip: int = 0

    def candidates(self) -> int:
        """How many candidates the request ranks."""
        return self.first * CANDIDATES_PER_PLACE


def next_candidates(request: RecommendationRequest, ranked: int) -> RecommendationRequest:
    """The ``CANDIDATES_PER_FOLLOW_UP`` candidates after the first ``ranked`` of the customer's."""
    places = CANDIDATES_PER_FOLLOW_UP // CANDIDATES_PER_PLACE
    return RecommendationRequest(request.customer_id, places, skip=ranked)


def recommendation_params(request: RecommendationRequest, key: int) -> dict[str, object]:
    limit = request.skip + request.candidates()
    return {"key": key, "customerId": request.customer_id, "skip": request.skip, "limit": limit}


def recommendations_from(rows: Sequence[dict[str, Any]]) -> list[Recommendation]:
    """Recommendations from the ``recs`` list ``RECOMMEND_SUBQUERY`` returned."""
    return [
        Recommendation(
            product=_rows.product(item["product"]),
            score=round(item["score"], 6),
            reason=f"Bought by customers who also chose {item['because']}",
        )
        for item in rows
    ]


async def recommend(
    db: GraphDatabase, requests: Sequence[RecommendationRequest]
) -> list[list[Recommendation]]:
    """Recommendations per request, best first, in request order."""
    params = [recommendation_params(request, index) for index, request in enumerate(requests)]
    rows = await db.read(_RECOMMEND, {"requests": params, "seeds": SEED_PRODUCTS})
    by_key = {int(row["key"]): row["recs"] for row in rows}
    return [recommendations_from(by_key.get(index) or []) for index in range(len(requests))]
