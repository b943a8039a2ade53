"""Journeys: a customer's goals across channels, read page by page and resumed on another channel.

Reads answer several page requests (customers, status filters) with one statement, each journey
with its steps, their products and stores. :func:`resume_journey` is one write transaction: it
locks the journey, replays the stored answer of a used idempotency key (even once a merge has
joined the journey into another and deleted it), refuses a completed journey, records the
resumption as a ``resume`` Interaction that is the journey's next step, and returns the hand-off
context (stored under the key). It must never leave a half-recorded resumption: any refusal
raises inside the transaction, which rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import LiteralString

import neo4j
import orjson
from neo4j.time import DateTime as Neo4jDateTime

from graph import _idempotency, _rows, _tx
from graph.database import GraphDatabase
from graph.models import Journey, JourneyCursor, JourneyHandOff, JourneyPage, JourneyStep, Product

MAX_STEPS = 100  # the most recent steps shown per journey; a journey rarely has more than a dozen
MAX_PRODUCTS = 50  # per hand-off list
VIEW_WINDOW_DAYS = 14

_JOURNEY: LiteralString = """
j {.id, .intent, .status, .startedAt, .lastChannel, .nextStep, customerId: c.id,
  steps: COLLECT {
    MATCH (j)-[s:STEP]->(i:Interaction)
    OPTIONAL MATCH (i)-[:ABOUT]->(p:Product)
    OPTIONAL MATCH (i)-[:AT]->(st:Store)
    RETURN {n: s.n, id: i.id, at: i.at, type: i.type, channel: i.channel,
            product: p {.sku, .name, .category, .brand}, store: st {.id, .name, .city}} AS step
    ORDER BY s.n DESC LIMIT $maxSteps
  }}
"""

_PAGES: LiteralString = (
    """
UNWIND $requests AS req
CALL (req) {
  MATCH (c:Customer {id: req.customerId})-[:ON_JOURNEY]->(j:Journey)
  WHERE (req.status IS NULL OR j.status = req.status)
    AND (req.afterAt IS NULL OR j.startedAt < req.afterAt
         OR (j.startedAt = req.afterAt AND j.id < req.afterId))
  WITH c, j ORDER BY j.startedAt DESC, j.id DESC
  WITH c, collect(j) AS newest
  UNWIND newest[0..req.limit] AS j
  RETURN collect("""
    + _JOURNEY
    + """) AS items
}
RETURN req.key AS key, items
"""
)

_LOCK_JOURNEY: LiteralString = """
MATCH (j:Journey {id: $journeyId})
SET j.resumeLock = coalesce(j.resumeLock, 0) + 1
WITH j
MATCH (c:Customer)-[:ON_JOURNEY]->(j)
RETURN c.id AS customerId, j.status AS status ORDER BY customerId LIMIT 1
"""

_RECORD_RESUME: LiteralString = """
MATCH (c:Customer {id: $customerId})-[:ON_JOURNEY]->(j:Journey {id: $journeyId})
CALL (j) { OPTIONAL MATCH (j)-[s:STEP]->() RETURN coalesce(max(s.n), 0) AS last }
MERGE (ch:Channel {code: $channel})
CREATE (i:Interaction {id: $interactionId, type: 'resume', channel: $channel, at: $now})
CREATE (c)-[:DID]->(i)
CREATE (i)-[:VIA]->(ch)
CREATE (j)-[:STEP {n: last + 1}]->(i)
SET j.lastChannel = $channel,
    j.status = CASE j.status WHEN 'abandoned' THEN 'active' ELSE j.status END
"""

_HAND_OFF: LiteralString = (
    """
MATCH (c:Customer {id: $customerId})-[:ON_JOURNEY]->(j:Journey {id: $journeyId})
CALL (j) {
  OPTIONAL MATCH (j)-[:STEP]->(i:Interaction) WHERE i.type <> 'resume'
  RETURN max(i.at) AS lastSeen
}
RETURN """
    + _JOURNEY
    + """ AS journey,
  // Each product once, at its latest touch, and only the $maxProducts the hand-off shows: the
  // row is also the answer kept under the idempotency key.
  COLLECT {
    CALL (c, j, lastSeen) {
      MATCH (j)-[:STEP]->(i:Interaction)-[:ABOUT]->(p:Product)
      WHERE i.type IN ['view', 'add_to_cart']
      RETURN i, p
      UNION
      MATCH (c)-[:DID]->(i:Interaction {type: 'view'})-[:ABOUT]->(p:Product)
      WHERE lastSeen IS NOT NULL
        AND lastSeen - duration({days: $windowDays}) <= i.at <= lastSeen
      RETURN i, p
    }
    WITH p, max(i.at) AS at
    RETURN {at: at, product: p {.sku, .name, .category, .brand}} AS touch
    ORDER BY at DESC, p.sku LIMIT $maxProducts
  } AS viewed,
  COLLECT {
    MATCH (j)-[s:STEP]->(i:Interaction {channel: 'store'})-[:ABOUT]->(p:Product)
    WITH p, min(s.n) AS n
    RETURN {n: n, product: p {.sku, .name, .category, .brand}} AS tried
    ORDER BY n LIMIT $maxProducts
  } AS tried
"""
)


@dataclass(frozen=True, slots=True)
class JourneyRequest:
    """One page of one customer's journeys, newest first, optionally of one status."""

    customer_id: str
    first: int
    after: JourneyCursor | None = None
    status: str | None = None


async def journey_pages(db: GraphDatabase, requests: Sequence[JourneyRequest]) -> list[JourneyPage]:
    """One page per request, in request order (``first + 1`` rows read to know if more follow)."""
    params = [
        {
            "key": index,
            "customerId": request.customer_id,
            "status": request.status,
            "limit": request.first + 1,
            "afterAt": request.after.started_at if request.after else None,
            "afterId": request.after.id if request.after else None,
        }
        for index, request in enumerate(requests)
    ]
    rows = await db.read(_PAGES, {"requests": params, "maxSteps": MAX_STEPS})
    by_key = {int(row["key"]): row["items"] for row in rows}
    pages: list[JourneyPage] = []
    for index, request in enumerate(requests):
        items = sorted(
            (_journey(item) for item in by_key.get(index, [])),
            key=lambda journey: (journey.started_at, journey.id),
            reverse=True,
        )
        pages.append(
            JourneyPage(
                items=tuple(items[: request.first]), has_next_page=len(items) > request.first
            )
        )
    return pages


class JourneyError(Exception):
    """A resumption refused for a reason the caller can act on."""


class JourneyMissing(JourneyError):
    pass


class JourneyCompleted(JourneyError):
    pass


class KeyReused(JourneyError):
    """The idempotency key was used before with other arguments."""


@dataclass(frozen=True)
class Resumption:
    """A request to pick ``journey_id`` up on ``channel``, once per idempotency key.

    Example:
        >>> resumption = Resumption("jrn-1", "web", "key-00001")
        >>> resumption.scoped_key, resumption.interaction_id.startswith("resume-")
        ('anonymous:key-00001', True)
    """

    journey_id: str
    channel: str
    idempotency_key: str
    caller: str = _idempotency.ANONYMOUS  # the partner's id: each partner has its own keys
    interaction_id: str = field(default_factory=lambda: f"resume-{uuid.uuid4()}")

    @property
    def scoped_key(self) -> str:
        return f"{self.caller}:{self.idempotency_key}"

    def fingerprint(self) -> str:
        return _idempotency.fingerprint(
            {"operation": "resume_journey", "journeyId": self.journey_id, "channel": self.channel}
        )


@dataclass(frozen=True)
class ResumeResult:
    hand_off: JourneyHandOff
    replayed: bool


async def resume_journey(db: GraphDatabase, resumption: Resumption) -> ResumeResult:
    """Record ``resumption`` once and return the hand-off; a replay returns the first answer."""
    return await _idempotency.commit_once(
        db,
        lambda tx: _resume(tx, resumption),
        JourneyError("the idempotency key is being used concurrently; retry"),
    )


async def _resume(tx: neo4j.AsyncManagedTransaction, resumption: Resumption) -> ResumeResult:
    now = datetime.now(UTC)
    locked = await _tx.one_row(tx, _LOCK_JOURNEY, {"journeyId": resumption.journey_id})
    # The key before the journey: a journey a merge joined into another since (deleted, its
    # id on the ``Merge`` record's ``joinedJourneys``) still replays the answer it gave.
    stored = await _idempotency.stored_answer(tx, resumption.scoped_key, now, resumption.caller)
    if stored is not None:
        if stored.fingerprint != resumption.fingerprint():
            raise KeyReused("this idempotency key was used with other arguments")
        return ResumeResult(hand_off=_hand_off(orjson.loads(stored.response)), replayed=True)
    if locked is None:
        raise JourneyMissing(f"no journey with id {resumption.journey_id!r}")
    if locked["status"] == "completed":
        raise JourneyCompleted(f"journey {resumption.journey_id!r} is already completed")
    params = {
        "customerId": locked["customerId"],
        "journeyId": resumption.journey_id,
        "interactionId": resumption.interaction_id,
        "channel": resumption.channel,
        "now": now,
    }
    await (await tx.run(_RECORD_RESUME, params)).consume()
    row = await _tx.one_row(
        tx,
        _HAND_OFF,
        {
            **params,
            "maxSteps": MAX_STEPS,
            "maxProducts": MAX_PRODUCTS,
            "windowDays": VIEW_WINDOW_DAYS,
        },
    )
    assert row is not None  # noqa: S101 - the journey was locked in this transaction
    response = orjson.dumps(row, default=_temporal).decode()
    await _idempotency.store_answer(
        tx,
        resumption.scoped_key,
        resumption.fingerprint(),
        response,
        now,
        customer_id=str(locked["customerId"]),
    )
    return ResumeResult(hand_off=_hand_off(row), replayed=False)


def _temporal(value: object) -> str:
    """JSON for the driver's date-times (orjson knows only native ones)."""
    if isinstance(value, Neo4jDateTime):
        return _rows.to_datetime(value).isoformat()
    raise TypeError(f"cannot store a {type(value).__name__} in an idempotent answer")


def _step(row: _rows.Row) -> JourneyStep:
    return JourneyStep(
        n=int(row["n"]),
        interaction_id=row["id"],
        at=_rows.to_datetime(row["at"]),
        type=row["type"],
        channel=row["channel"],
        product=_rows.product(row["product"]) if row.get("product") else None,
        store=_rows.store(row["store"]) if row.get("store") else None,
    )


def _journey(row: _rows.Row) -> Journey:
    return Journey(
        id=row["id"],
        customer_id=row["customerId"],
        intent=row["intent"],
        status=row["status"],
        started_at=_rows.to_datetime(row["startedAt"]),
        last_channel=row.get("lastChannel"),
        next_step=row.get("nextStep"),
        steps=tuple(sorted((_step(step) for step in row["steps"]), key=lambda step: step.n)),
    )


def _distinct(products: Sequence[_rows.Row]) -> tuple[Product, ...]:
    by_sku = {row["sku"]: _rows.product(row) for row in products}
    return tuple(by_sku.values())[:MAX_PRODUCTS]


def _hand_off(row: _rows.Row) -> JourneyHandOff:
    # Viewed: most recent touch first (ties by SKU); tried: in the order of the journey's steps.
    touches = sorted(
        row["viewed"],
        key=lambda t: (-_rows.to_datetime(t["at"]).timestamp(), t["product"]["sku"]),
    )
    latest_first = [touch["product"] for touch in touches]
    return JourneyHandOff(
        journey=_journey(row["journey"]),
        products_viewed=_distinct(latest_first),
        products_tried_in_store=_distinct([item["product"] for item in row["tried"]]),
    )
