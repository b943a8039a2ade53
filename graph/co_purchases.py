"""The co-purchase table recommendations read: "customers who touched this product bought those".

For every product ``s``, ``(s)-[:ALSO_BOUGHT {purchases}]->(r)`` holds, for the ``PER_PRODUCT``
products ``r`` bought most often by the customers who touched ``s`` (viewed, added, bought or
returned it), how many purchases of ``r`` those customers made. Computing it at query time meant
walking every interaction of a popular product for each recommendation (≈ 200 ms of Neo4j time per
home screen at 100k customers); a recommendation now reads ≤ ``PER_PRODUCT`` relationships per
seed product.

The table is derived data: :func:`refresh` counts every list in one pass over customers, then
replaces the lists a few products per transaction (so a reader always sees a complete list for
each product), after seeding and then periodically (see ``gateway.co_purchase_refresh``).
Between refreshes new purchases do not move the counts yet; what a customer bought or holds in the
cart is still excluded from their recommendations at once.

A customer who refused the ``personalisation`` consent is not counted, and neither is an erased
one; neither waits for the next rebuild: the refusal's statement (:mod:`graph.consents`), the
erasure's transaction (:mod:`graph.erasure`) and a merge whose survivor ends up refusing
(:mod:`graph.stitching`, :data:`WITHDRAW_ON_MERGE`) take the customer's purchases off the counts
they fed (:data:`WITHDRAW_SUBQUERY`), once (``coPurchasesWithdrawn`` on the customer). A count
that falls to 0 is deleted; a product the refusal let into a list's top comes in at the next
rebuild. A later grant puts them back at once, once (:data:`COUNT_IN_SUBQUERY`, in the grant's
statement: only a withdrawn customer is added, and the flag is cleared); a whole rebuild sets the
flag by the decisions it counted by, so a grant after it by a customer it counted adds nothing.
A decision made while a rebuild runs is settled at its end: the lists of what the customer
touched are counted again, after the decision committed (see :func:`refresh`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import LiteralString

from graph.database import GraphDatabase

PER_PRODUCT = 30
PRODUCTS_PER_TRANSACTION = 50
# The counting pass reads every customer's interactions: minutes at a million customers.
COUNT_TIMEOUT_S = 3600.0

# A rebuild counts again the lists of customers who decided about personalisation since it began
# (less this margin: a decision is stamped when its statement starts, and commits after), checking
# for new decisions at most this many times.
DECISION_MARGIN_S = 300.0
SETTLE_PASSES = 3

RefreshProgress = Callable[[int, int], None]
log = logging.getLogger("parcours.co_purchases")

_PRESENT: LiteralString = "RETURN EXISTS { ()-[:ALSO_BOUGHT]->() } AS present"
_SKUS: LiteralString = "MATCH (p:Product) RETURN p.sku AS sku ORDER BY sku"

# One pass over customers: each pairs the products they touched (distinct) with each purchase they
# made (with repeats); the pairs are counted per (touched, bought) and the top of each list kept.
_REFUSED: LiteralString = (
    "EXISTS { (c)-[:CONSENTED]->(:Consent {purpose: 'personalisation', granted: false}) }"
)
_COUNT: LiteralString = (
    """
MATCH (c:Customer) WHERE NOT """
    + _REFUSED
    + """
CALL (c) {
  MATCH (c)-[:DID]->(i:Interaction)-[:ABOUT]->(p:Product)
  RETURN collect(DISTINCT p) AS touched,
         collect(CASE WHEN i.type = 'purchase' THEN p END) AS bought
}
WITH touched, bought WHERE size(bought) > 0
UNWIND touched AS s
WITH s, bought WHERE $skus IS NULL OR s.sku IN $skus
UNWIND bought AS r
WITH s, r WHERE r <> s
WITH s, r, count(*) AS purchases ORDER BY purchases DESC, r.sku
WITH s, collect({sku: r.sku, purchases: purchases})[0..$perProduct] AS top
RETURN s.sku AS sku, top
"""
)
# The same lists as ``_COUNT``, for a few products (``$skus``), from their side: a rebuild's
# settling pass counts again the lists of products a few customers touched.
_COUNT_FEW: LiteralString = (
    """
UNWIND $skus AS sku
MATCH (s:Product {sku: sku})
CALL (s) {
  MATCH (s)<-[:ABOUT]-(:Interaction)<-[:DID]-(c:Customer)
  WITH DISTINCT c WHERE NOT """
    + _REFUSED
    + """
  MATCH (c)-[:DID]->(:Interaction {type: 'purchase'})-[:ABOUT]->(r:Product)
  WHERE r <> s
  WITH r, count(*) AS purchases ORDER BY purchases DESC, r.sku
  RETURN collect({sku: r.sku, purchases: purchases})[0..$perProduct] AS top
}
RETURN s.sku AS sku, top
"""
)
_NOW: LiteralString = "RETURN toString(datetime()) AS now"
# Customers whose personalisation decision is as recent as ``$since``: a rebuild's counting read
# may have seen them either way, and their statement's withdrawal (or count-in) may have gone to
# lists the rebuild then replaced. Each with the decision's time and the products they touched.
_DECIDED_SINCE: LiteralString = """
MATCH (c:Customer)-[:CONSENTED]->(k:Consent {purpose: 'personalisation'})
WHERE k.at >= datetime($since)
RETURN c.id AS id, toString(k.at) AS at,
       COLLECT { MATCH (c)-[:DID]->(:Interaction)-[:ABOUT]->(p:Product) RETURN DISTINCT p.sku }
         AS touched
"""
# After a whole rebuild, for the customers who decided nothing since ``$since``: the flag says
# whether the table counts them, i.e. whether they refuse (a refusal recorded by the seed, which
# withdrew nothing, included: a grant then counts them in at once).
_SETTLE_UNCHANGED: LiteralString = (
    """
MATCH (c:Customer)
WHERE NOT EXISTS { (c)-[:CONSENTED]->(k:Consent {purpose: 'personalisation'})
                   WHERE k.at >= datetime($since) }
WITH c, """
    + _REFUSED
    + """ AS refused
WHERE refused <> (c.coPurchasesWithdrawn IS NOT NULL)
SET c.coPurchasesWithdrawn = CASE WHEN refused THEN true END
"""
)
# After their lists were counted again: the same for the customers of ``$ids``.
_SETTLE_DECIDED: LiteralString = (
    """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
WITH c, """
    + _REFUSED
    + """ AS refused
SET c.coPurchasesWithdrawn = CASE WHEN refused THEN true END
"""
)
# Customer ``c``'s pairs, as ``s, r, purchases``: each product ``c`` touched (``s``) with each
# purchase ``c`` made of another product (``r``), counted; the pairs ``_COUNT`` counts for them.
_CUSTOMER_PAIRS: LiteralString = """
  WITH COLLECT { MATCH (c)-[:DID]->(:Interaction)-[:ABOUT]->(p:Product) RETURN DISTINCT p }
         AS touched,
       COLLECT { MATCH (c)-[:DID]->(:Interaction {type: 'purchase'})-[:ABOUT]->(p:Product)
                 RETURN p } AS bought
  UNWIND touched AS s
  UNWIND bought AS r
  WITH s, r WHERE r <> s
  WITH s, r, count(*) AS purchases
"""
# Take customer ``c``'s purchases off the counts they fed, when ``withdraw`` (a boolean in scope)
# and not done before (a unit subquery: the caller's rows go on unchanged). The same pairs as
# ``_COUNT``: each product ``c`` touched with each purchase ``c`` made of another product.
WITHDRAW_SUBQUERY: LiteralString = (
    """
CALL (c, withdraw) {
  WITH c WHERE withdraw AND c.coPurchasesWithdrawn IS NULL
  SET c.coPurchasesWithdrawn = true
"""
    + _CUSTOMER_PAIRS
    + """  MATCH (s)-[also:ALSO_BOUGHT]->(r)
  SET also.purchases = also.purchases - purchases
  WITH also WHERE also.purchases <= 0
  DELETE also
}
"""
)
# Add customer ``c``'s purchases to the counts, when ``countIn`` (a boolean in scope) and they
# were withdrawn (a unit subquery, like ``WITHDRAW_SUBQUERY``, of which it is the mirror: a grant
# after a refusal counts at once, once). A pair the table has no relationship for gets one, then
# the seed's list is cut back to its ``$perProduct`` best: ``c``'s count is a floor of the pair's,
# so a pair it lifts above a list's last belongs there.
COUNT_IN_SUBQUERY: LiteralString = (
    """
CALL (c, countIn) {
  WITH c WHERE countIn AND c.coPurchasesWithdrawn IS NOT NULL
  REMOVE c.coPurchasesWithdrawn
"""
    + _CUSTOMER_PAIRS
    + """  MERGE (s)-[also:ALSO_BOUGHT]->(r)
    ON CREATE SET also.purchases = purchases
    ON MATCH SET also.purchases = also.purchases + purchases
  WITH DISTINCT s
  MATCH (s)-[also:ALSO_BOUGHT]->(r:Product)
  WITH s, also ORDER BY also.purchases DESC, r.sku
  WITH s, collect(also) AS list
  UNWIND list[$perProduct..] AS dropped
  DELETE dropped
}
"""
)
WITHDRAW: LiteralString = (
    "MATCH (c:Customer {id: $customerId}) WITH c, true AS withdraw"
    + WITHDRAW_SUBQUERY
    + "RETURN count(c) AS customers"
)
# Before a merge moves anything: when the survivor's personalisation decision after it is a
# refusal (theirs, or the merged profile's where they had none; graph._merge_statements.MOVE),
# each of the two still counted is withdrawn, each from their own history (pairs across the two
# profiles were never counted).
WITHDRAW_ON_MERGE: LiteralString = (
    """
WITH coalesce(
  head(COLLECT { MATCH (:Customer {id: $survivorId})-[:CONSENTED]->(k:Consent)
                 WHERE k.purpose = 'personalisation' RETURN k.granted }),
  head(COLLECT { MATCH (:Customer {id: $mergedId})-[:CONSENTED]->(k:Consent)
                 WHERE k.purpose = 'personalisation' RETURN k.granted }),
  true) = false AS withdraw
UNWIND [$survivorId, $mergedId] AS id
MATCH (c:Customer {id: id})"""
    + WITHDRAW_SUBQUERY
    + "RETURN count(c) AS customers"
)

_REPLACE: LiteralString = """
UNWIND $lists AS list
MATCH (s:Product {sku: list.sku})
CALL (s) {
  OPTIONAL MATCH (s)-[old:ALSO_BOUGHT]->()
  DELETE old
}
CALL (s, list) {
  UNWIND list.top AS item
  MATCH (r:Product {sku: item.sku})
  CREATE (s)-[:ALSO_BOUGHT {purchases: item.purchases}]->(r)
  RETURN count(*) AS written
}
RETURN sum(written) AS written
"""


def count_in_params() -> dict[str, object]:
    """The parameters :data:`COUNT_IN_SUBQUERY` needs besides ``c`` and ``countIn``."""
    return {"perProduct": PER_PRODUCT}


def withdraw_params(customer_id: str) -> dict[str, object]:
    """The parameters of :data:`WITHDRAW` for ``customer_id``."""
    return {"customerId": customer_id}


async def refresh(
    db: GraphDatabase,
    progress: RefreshProgress | None = None,
    skus: Sequence[str] | None = None,
    keep_going: Callable[[], Awaitable[bool]] | None = None,
) -> int:
    """Rebuild the table (or only the lists of ``skus``); returns the relationships written.

    One read counts every list; then each product's list is replaced, ``PRODUCTS_PER_TRANSACTION``
    products per write. ``progress(done, total)`` is called after each write, in products.
    ``keep_going()`` is asked before each write: False stops the rebuild there (every list
    replaced so far is whole; the others keep their previous counts).

    Then the customers who decided about personalisation while it ran (or shortly before:
    ``DECISION_MARGIN_S``) have the lists of every product they touched counted again, now that
    their decision is committed, until a check finds no new decision (at most
    ``SETTLE_PASSES`` times): a refusal made while the rebuild was reading was otherwise counted
    until the next rebuild, and its statement's withdrawal overwritten by the rebuild's lists.
    """
    since = (await _neo4j_now(db)) - timedelta(seconds=DECISION_MARGIN_S)
    written, whole = await _replace_lists(db, _COUNT, skus, progress, keep_going)
    if not whole:
        return written
    if skus is None:
        await db.write(_SETTLE_UNCHANGED, {"since": since.isoformat()})
    settled: set[tuple[str, str]] = set()
    for _ in range(SETTLE_PASSES):
        decided = [
            row
            for row in await db.read(_DECIDED_SINCE, {"since": since.isoformat()})
            if (str(row["id"]), str(row["at"])) not in settled
        ]
        if not decided:
            break
        touched = sorted({str(sku) for row in decided for sku in row["touched"]})
        counted, whole = await _replace_lists(db, _COUNT_FEW, touched, None, keep_going)
        written += counted
        if not whole:
            break
        await db.write(_SETTLE_DECIDED, {"ids": [str(row["id"]) for row in decided]})
        settled |= {(str(row["id"]), str(row["at"])) for row in decided}
    else:
        log.warning("co-purchase rebuild: decisions kept coming; the next rebuild settles them")
    return written


async def _neo4j_now(db: GraphDatabase) -> datetime:
    # Neo4j's clock, the one decisions are stamped with.
    return datetime.fromisoformat(str((await db.read(_NOW))[0]["now"]))


async def _replace_lists(
    db: GraphDatabase,
    count: LiteralString,
    skus: Sequence[str] | None,
    progress: RefreshProgress | None,
    keep_going: Callable[[], Awaitable[bool]] | None,
) -> tuple[int, bool]:
    """Count the lists of ``skus`` (None: every product) and replace them; the relationships
    written, and whether every list was replaced (``keep_going`` may stop it)."""
    wanted = list(skus) if skus is not None else None
    counted = await db.read(
        count,
        {"skus": wanted, "perProduct": PER_PRODUCT},
        timeout_s=COUNT_TIMEOUT_S,
    )
    tops = {str(row["sku"]): row["top"] for row in counted}
    every = wanted if wanted is not None else [str(row["sku"]) for row in await db.read(_SKUS)]
    lists = [{"sku": sku, "top": tops.get(sku, [])} for sku in every]
    written = 0
    for start in range(0, len(lists), PRODUCTS_PER_TRANSACTION):
        if keep_going is not None and not await keep_going():
            return written, False
        chunk = lists[start : start + PRODUCTS_PER_TRANSACTION]
        rows = await db.write(_REPLACE, {"lists": chunk})
        written += int(rows[0]["written"]) if rows else 0
        if progress is not None:
            progress(start + len(chunk), len(lists))
    return written, True


async def present(db: GraphDatabase) -> bool:
    """Whether any co-purchase is recorded (a graph loaded before the table existed has none)."""
    rows = await db.read(_PRESENT)
    return bool(rows[0]["present"])
