"""Journey analytics over a time window: sales, carts, journeys by channel path, forced contacts.

Three read statements answer the figures (sales and carts, journeys, forced contacts), one more
the incidents; each is a module-level constant with ``$parameters``. Aggregates that need the
order of a journey's steps (paths, switches, time to convert) are finished in Python from one row
per journey. This module returns the frozen dataclasses of ``graph.analytics_records`` (re-exported
here), never writes, and never imports the gateway, the resolvers, Strawberry or aiohttp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, LiteralString

import neo4j

from graph.analytics_records import (
    ASSISTED_CONTACT_TYPES,
    FAILED_OUTCOMES,
    SELF_SERVICE_CHANNELS,
    AnalyticsPolicy,
    Exposure,
    ForcedContact,
    ForcedContactsPage,
    JourneyRow,
    SalesFigures,
    SkuQuantity,
    StatementTimedOut,
    Touch,
)
from graph.database import GraphDatabase, Row

__all__ = [
    "ASSISTED_CONTACT_TYPES",
    "FAILED_OUTCOMES",
    "SELF_SERVICE_CHANNELS",
    "AnalyticsPolicy",
    "Exposure",
    "ForcedContact",
    "ForcedContactsPage",
    "JourneyRow",
    "SalesFigures",
    "SkuQuantity",
    "StatementTimedOut",
    "Touch",
    "exposure",
    "forced_contacts",
    "journeys_started",
    "latest_activity",
    "sales_figures",
]

SALES: LiteralString = """
CALL () {
  MATCH (c:Customer)-[:DID]->(i:Interaction)
  WHERE i.type = 'purchase' AND i.at >= $from AND i.at < $to
  RETURN sum(coalesce(i.amount, 0.0)) AS revenue,
         count(DISTINCT [c.id, i.at]) AS transactions, count(i) AS purchases
}
CALL () {
  MATCH (:Customer)-[:HAS_CART]->(k:Cart {status: 'active'})
  WHERE k.updatedAt >= $from AND k.updatedAt < $to AND EXISTS { (k)-[:CONTAINS]->() }
  RETURN count(k) AS activeCarts
}
CALL () {
  MATCH (:Customer)-[:HAS_CART]->(k:Cart {status: 'active'})-[l:CONTAINS]->(p:Product)
  WHERE k.updatedAt >= $from AND k.updatedAt < $to
  WITH p.sku AS sku, sum(l.qty) AS qty ORDER BY sku
  RETURN collect({sku: sku, qty: qty}) AS cartLines
}
RETURN revenue, transactions, purchases, activeCarts, cartLines
"""

JOURNEYS: LiteralString = """
MATCH (:Customer)-[:ON_JOURNEY]->(j:Journey)
WHERE j.startedAt >= $from AND j.startedAt < $to
CALL (j) {
  MATCH (j)-[s:STEP]->(i:Interaction)
  WITH i ORDER BY s.n
  RETURN collect(i.channel) AS channels,
         min(CASE WHEN i.type = 'purchase' THEN i.at END) AS purchasedAt
}
RETURN j.id AS id, j.status AS status, j.startedAt AS startedAt, channels, purchasedAt
ORDER BY startedAt, id
"""

# Each assisted contact in the window, paired with the customer's latest failed self-service
# attempt in the $windowS seconds before it (contacts without one are not forced). Newest first;
# the page is cut after the cursor (at, id), the total and per-channel counts are not.
FORCED_CONTACTS: LiteralString = """
MATCH (c:Customer)-[:DID]->(a:Interaction)
WHERE a.at >= $from AND a.at < $to AND a.type IN $contactTypes
CALL (c, a) {
  MATCH (c)-[:DID]->(f:Interaction)
  WHERE f.channel IN $selfService AND f.at < a.at
    AND f.at >= a.at - duration({seconds: $windowS})
    AND ((f.type = 'search' AND f.resultCount = 0) OR f.outcome IN $failedOutcomes)
  RETURN f ORDER BY f.at DESC, f.id DESC LIMIT 1
}
WITH c, a, f ORDER BY a.at DESC, a.id DESC
WITH collect({customerId: c.id, contact: a {.id, .at, .type, .channel},
              attempt: f {.id, .at, .type, .channel, .query, .resultCount, .outcome}}) AS found
RETURN size(found) AS total, [x IN found | x.contact.channel] AS channels,
       [x IN found WHERE $afterAt IS NULL OR x.contact.at < $afterAt
          OR (x.contact.at = $afterAt AND x.contact.id < $afterId)][0..$limit] AS page
"""

# Per system: customers with an active, non-empty cart updated in the window (when carts depend on
# it) or with an interaction in the window on one of its channels; and their active carts' lines.
EXPOSURE: LiteralString = """
UNWIND $systems AS sys
CALL (sys) {
  CALL (sys) {
    MATCH (c:Customer)-[:HAS_CART]->(k:Cart {status: 'active'})
    WHERE sys.carts AND k.updatedAt >= $from AND k.updatedAt < $to
      AND EXISTS { (k)-[:CONTAINS]->() }
    RETURN c
    UNION
    MATCH (c:Customer)-[:DID]->(i:Interaction)
    WHERE i.at >= $from AND i.at < $to AND i.channel IN sys.channels
    RETURN c
  }
  WITH collect(DISTINCT c) AS customers
  CALL (customers) {
    UNWIND customers AS c
    MATCH (c)-[:HAS_CART]->(:Cart {status: 'active'})-[l:CONTAINS]->(p:Product)
    WITH p.sku AS sku, sum(l.qty) AS qty ORDER BY sku
    RETURN collect({sku: sku, qty: qty}) AS lines
  }
  RETURN size(customers) AS customers, lines
}
RETURN sys.system AS system, customers, lines
"""


def _lines(rows: Sequence[Mapping[str, Any]]) -> tuple[SkuQuantity, ...]:
    return tuple(SkuQuantity(str(row["sku"]), int(row["qty"])) for row in rows)


# The newest interaction's instant, read backwards along the `interaction_at` range index.
LATEST_ACTIVITY: LiteralString = """
MATCH (i:Interaction) WHERE i.at IS NOT NULL
RETURN i.at AS at ORDER BY i.at DESC LIMIT 1
"""


def _window(start: datetime, end: datetime) -> dict[str, Any]:
    return {"from": start, "to": end}


# Neo4j's codes for a transaction stopped at its timeout (...TimedOut and
# ...TimedOutClientConfiguration, the one a statement's own timeout gives).
_TIMED_OUT = "Neo.ClientError.Transaction.TransactionTimedOut"


async def _read(
    db: GraphDatabase, figure: str, statement: LiteralString, params: Mapping[str, Any]
) -> list[Row]:
    """``db.read``, with a statement that ran past its time raised as :class:`StatementTimedOut`
    naming ``figure`` (the driver's error says neither which figure nor what to do)."""
    try:
        return await db.read(statement, params)
    except TimeoutError as exc:  # Neo4j left the statement unanswered past timeout + grace
        raise StatementTimedOut(figure, db.query_timeout_s) from exc
    except neo4j.exceptions.Neo4jError as exc:
        if (exc.code or "").startswith(_TIMED_OUT):
            raise StatementTimedOut(figure, db.query_timeout_s) from exc
        raise


async def sales_figures(db: GraphDatabase, start: datetime, end: datetime) -> SalesFigures:
    """Revenue, transactions (a customer's purchases at one instant: one checkout or receipt),
    and active carts updated in ``[start, end)``."""
    row = (await _read(db, "sales figures", SALES, _window(start, end)))[0]
    return SalesFigures(
        revenue=round(float(row["revenue"]), 2),
        transactions=int(row["transactions"]),
        purchases=int(row["purchases"]),
        active_carts=int(row["activeCarts"]),
        cart_lines=_lines(row["cartLines"]),
    )


async def latest_activity(db: GraphDatabase) -> datetime | None:
    """When the newest interaction happened; ``None`` in a graph without any."""
    rows = await _read(db, "newest activity", LATEST_ACTIVITY, {})
    if not rows:
        return None
    native: datetime = rows[0]["at"].to_native()
    return native


async def journeys_started(db: GraphDatabase, start: datetime, end: datetime) -> list[JourneyRow]:
    """Every journey started in ``[start, end)``, oldest first."""
    rows = await _read(db, "journey figures", JOURNEYS, _window(start, end))
    return [
        JourneyRow(
            id=str(row["id"]),
            status=str(row["status"]),
            started_at=row["startedAt"].to_native(),
            channels=tuple(str(c) for c in row["channels"]),
            converted_at=(
                row["purchasedAt"].to_native() if row["purchasedAt"] is not None else None
            ),
        )
        for row in rows
    ]


def _touch(row: Mapping[str, Any]) -> Touch:
    count = row.get("resultCount")
    return Touch(
        id=str(row["id"]),
        at=row["at"].to_native(),
        type=str(row["type"]),
        channel=str(row["channel"]),
        query=row.get("query"),
        result_count=int(count) if count is not None else None,
        outcome=row.get("outcome"),
    )


async def forced_contacts(
    db: GraphDatabase,
    start: datetime,
    end: datetime,
    policy: AnalyticsPolicy,
    *,
    first: int,
    after: tuple[datetime, str] | None = None,
) -> ForcedContactsPage:
    """Assisted contacts in ``[start, end)`` that followed a failed self-service attempt within
    ``policy.forced_window_s``, newest first, ``first`` after the cursor ``(at, id)``."""
    row = (
        await _read(
            db,
            "forced contacts",
            FORCED_CONTACTS,
            {
                **_window(start, end),
                "contactTypes": list(ASSISTED_CONTACT_TYPES),
                "selfService": list(SELF_SERVICE_CHANNELS),
                "failedOutcomes": list(FAILED_OUTCOMES),
                "windowS": policy.forced_window_s,
                "afterAt": after[0] if after else None,
                "afterId": after[1] if after else None,
                "limit": first + 1,
            },
        )
    )[0]
    by_channel: dict[str, int] = {}
    for channel in row["channels"]:
        by_channel[channel] = by_channel.get(channel, 0) + 1
    items = tuple(
        ForcedContact(
            customer_id=str(item["customerId"]),
            contact=_touch(item["contact"]),
            attempt=_touch(item["attempt"]),
        )
        for item in row["page"]
    )
    return ForcedContactsPage(
        total=int(row["total"]),
        by_channel=dict(sorted(by_channel.items())),
        items=items[:first],
        has_next_page=len(items) > first,
    )


async def exposure(
    db: GraphDatabase,
    systems: Sequence[str],
    start: datetime,
    end: datetime,
    policy: AnalyticsPolicy,
) -> list[Exposure]:
    """For each of ``systems`` (in that order): customers and cart lines depending on it."""
    if not systems:
        return []
    params = {
        **_window(start, end),
        "systems": [
            {
                "system": system,
                "carts": system in policy.cart_systems,
                "channels": list(policy.system_channels.get(system, ())),
            }
            for system in systems
        ],
    }
    rows = {str(row["system"]): row for row in await _read(db, "incidents", EXPOSURE, params)}
    return [
        Exposure(system, int(rows[system]["customers"]), _lines(rows[system]["lines"]))
        for system in systems
    ]
