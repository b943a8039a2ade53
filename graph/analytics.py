"""Journey analytics over a time window: sales, carts, journeys by channel path, forced contacts.

Three read statements answer the figures (sales and carts, journeys, forced contacts), one more
the incidents; each is a module-level constant with ``$parameters``. Aggregates that need the
order of a journey's steps (paths, switches, time to convert) are finished in Python from one row
per journey. This module returns frozen dataclasses, never writes, and never imports the gateway,
the resolvers, Strawberry or aiohttp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, LiteralString

from graph.database import GraphDatabase

# Contacts where a person helps; self-service channels where a failure can push a customer there.
ASSISTED_CONTACT_TYPES = ("call", "chat")
SELF_SERVICE_CHANNELS = ("web", "app")
FAILED_OUTCOMES = ("error", "abandoned")


@dataclass(frozen=True)
class AnalyticsPolicy:
    """The knobs of the analytics: forced-contact window, systems' channels and owning teams.

    ``system_channels``: the channels whose recent activity depends on a system (its customers are
    affected when it degrades); ``cart_systems``: systems every cart line depends on (prices,
    availability, checkout); ``teams``: who owns each system.

    Example:
        >>> AnalyticsPolicy().teams["oms"]
        'order-management'
    """

    forced_window_s: int = 30 * 60
    system_channels: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "webshop": ("web",),
            "stores": ("store",),
            "oms": (),
            "contact": ("call_centre", "chat"),
            "mobile": ("app",),
        }
    )
    cart_systems: tuple[str, ...] = ("webshop", "oms")
    teams: Mapping[str, str] = field(
        default_factory=lambda: {
            "webshop": "e-commerce",
            "stores": "retail-stores",
            "oms": "order-management",
            "contact": "customer-service",
            "mobile": "mobile-app",
        }
    )


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class SalesFigures:
    """Purchases in the window (revenue from their ``amount``) and carts active in it."""

    revenue: float
    transactions: int
    purchases: int
    active_carts: int
    cart_lines: tuple[SkuQuantity, ...]


@dataclass(frozen=True, slots=True)
class JourneyRow:
    """One journey started in the window: its steps' channels in order and when it converted."""

    id: str
    status: str
    started_at: datetime
    channels: tuple[str, ...]
    converted_at: datetime | None

    @property
    def path(self) -> tuple[str, ...]:
        """The channels in order, a channel repeated in a row counted once (web, web, store →
        web, store)."""
        path: list[str] = []
        for channel in self.channels:
            if not path or path[-1] != channel:
                path.append(channel)
        return tuple(path)

    @property
    def converted(self) -> bool:
        return self.status == "completed"


@dataclass(frozen=True, slots=True)
class Touch:
    id: str
    at: datetime
    type: str
    channel: str
    query: str | None = None
    result_count: int | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class ForcedContact:
    """An assisted contact and the failed self-service attempt just before it."""

    customer_id: str
    contact: Touch
    attempt: Touch

    @property
    def delay_s(self) -> float:
        return (self.contact.at - self.attempt.at).total_seconds()


@dataclass(frozen=True, slots=True)
class ForcedContactsPage:
    total: int
    by_channel: Mapping[str, int]
    items: tuple[ForcedContact, ...]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class Exposure:
    """What depends on one system in the window: customers and their active carts' lines."""

    system: str
    customers: int
    cart_lines: tuple[SkuQuantity, ...]


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


def _window(start: datetime, end: datetime) -> dict[str, Any]:
    return {"from": start, "to": end}


async def sales_figures(db: GraphDatabase, start: datetime, end: datetime) -> SalesFigures:
    """Revenue, transactions (a customer's purchases at one instant: one checkout or receipt),
    and active carts updated in ``[start, end)``."""
    row = (await db.read(SALES, _window(start, end)))[0]
    return SalesFigures(
        revenue=round(float(row["revenue"]), 2),
        transactions=int(row["transactions"]),
        purchases=int(row["purchases"]),
        active_carts=int(row["activeCarts"]),
        cart_lines=_lines(row["cartLines"]),
    )


async def journeys_started(db: GraphDatabase, start: datetime, end: datetime) -> list[JourneyRow]:
    """Every journey started in ``[start, end)``, oldest first."""
    rows = await db.read(JOURNEYS, _window(start, end))
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
    first: int,
    *,
    after: tuple[datetime, str] | None = None,
) -> ForcedContactsPage:
    """Assisted contacts in ``[start, end)`` that followed a failed self-service attempt within
    ``policy.forced_window_s``, newest first, ``first`` after the cursor ``(at, id)``."""
    row = (
        await db.read(
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
    rows = {str(row["system"]): row for row in await db.read(EXPOSURE, params)}
    return [
        Exposure(system, int(rows[system]["customers"]), _lines(rows[system]["lines"]))
        for system in systems
    ]
