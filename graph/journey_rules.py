"""Journeys from channel events: which events pursue which intent, and how they open or extend one.

Run by :mod:`graph.ingest` in the transaction that recorded the events, one new event at a time in
batch order. For an event, the first rule that applies names an intent (``{category}`` stands for
the event's product category):

1. the customer has an active journey with that intent → the event is its next step;
2. otherwise, when ``min_events`` events of the rule's type (same category when the intent names
   one) fall within ``window_days`` up to this one, a journey opens with them as its steps — a
   ``completes`` rule never opens one;
3. otherwise (no rule, or too few events), the event continues the customer's active journey whose
   last step was on the same channel less than ``session_minutes`` before (the items an assistant
   shows after a store visit, the pages after a search).
A step taken by a ``completes`` rule ends the journey. Events may arrive late (a retried webhook,
a system catching up): one older than an active journey of its intent's start is left out of it
(it neither joins, completes nor opens that intent again), and one older than the journey's last
step takes its place in time (the steps are numbered again in time order; the journey's last
channel and next step stay the newest step's). The customer's node is write-locked first, so two
batches for one customer never open the same journey twice or number two steps alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, LiteralString

import neo4j

from graph import _rows, _tx

MAX_OPENING_STEPS = 20


@dataclass(frozen=True)
class IntentRule:
    """Events of ``event_type`` pursue ``intent`` and suggest ``next_step``.

    Example:
        >>> rule = IntentRule("view", "choose {category}", "compare in store", min_events=3)
        >>> rule.intent_for("sofas"), rule.intent_for(None)
        ('choose sofas', None)
    """

    event_type: str
    intent: str
    next_step: str
    min_events: int = 1
    window_days: int = 14
    needs_notes: bool = False
    completes: bool = False

    def __post_init__(self) -> None:
        if self.min_events < 1 or self.window_days < 1:
            raise ValueError("min_events and window_days must be at least 1")

    @property
    def per_category(self) -> bool:
        return "{category}" in self.intent

    def intent_for(self, category: str | None) -> str | None:
        """The intent of an event about ``category``; ``None`` if the rule needs one, lacking it."""
        if not self.per_category:
            return self.intent
        return self.intent.replace("{category}", category) if category else None

    def applies(self, event_type: str, has_notes: bool, category: str | None) -> bool:
        if event_type != self.event_type or (self.needs_notes and not has_notes):
            return False
        return self.intent_for(category) is not None


DEFAULT_RULES: tuple[IntentRule, ...] = (
    IntentRule("view", "choose {category}", "compare in store", min_events=3),
    IntentRule("add_to_cart", "choose {category}", "finish checkout online"),
    IntentRule(
        "store_visit",
        "follow up a store visit",
        "resume online with the assistant's notes",
        needs_notes=True,
    ),
    IntentRule("return", "return an item", "confirm the return parcel"),
    IntentRule("purchase", "choose {category}", "rate the purchase", completes=True),
)


@dataclass(frozen=True)
class JourneyPolicy:
    """The intent rules, in order, and how long a channel session continues a journey.

    Example:
        >>> JourneyPolicy().session_minutes
        120
    """

    rules: tuple[IntentRule, ...] = field(default_factory=lambda: DEFAULT_RULES)
    session_minutes: int = 120

    def rule_for(self, event_type: str, has_notes: bool, category: str | None) -> IntentRule | None:
        return next((r for r in self.rules if r.applies(event_type, has_notes, category)), None)


@dataclass
class JourneyCounts:
    """What the events of a batch did to journeys."""

    opened: int = 0
    extended: int = 0
    completed: int = 0


_LOCK_CUSTOMER: LiteralString = """
MATCH (c:Customer)-[:DID]->(:Interaction {id: $interactionId})
SET c.journeyLock = coalesce(c.journeyLock, 0) + 1
RETURN c.id AS customerId
"""
_EVENT_STATE: LiteralString = """
MATCH (c:Customer {id: $customerId})-[:DID]->(i:Interaction {id: $interactionId})
OPTIONAL MATCH (i)-[:ABOUT]->(p:Product)
RETURN i.at AS at, i.type AS type, i.channel AS channel, i.notes AS notes,
       p.category AS category,
       COLLECT {
         MATCH (c)-[:ON_JOURNEY]->(j:Journey {status: 'active'})
         OPTIONAL MATCH (j)-[:STEP]->(x:Interaction)
         WITH j, max(x.at) AS lastAt
         RETURN {id: j.id, intent: j.intent, lastChannel: j.lastChannel, lastAt: lastAt,
                 startedAt: j.startedAt}
       } AS active
"""
_SIMILAR_EVENTS: LiteralString = """
MATCH (c:Customer {id: $customerId})-[:DID]->(x:Interaction {type: $type})
WHERE $from <= x.at <= $at
  AND ($category IS NULL OR EXISTS { (x)-[:ABOUT]->(:Product {category: $category}) })
RETURN x.id AS id, x.at AS at ORDER BY x.at DESC, x.id DESC LIMIT $limit
"""
_OPEN: LiteralString = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:ON_JOURNEY]->(j:Journey {id: $journeyId, intent: $intent, status: 'active',
  startedAt: $startedAt, lastChannel: $channel, nextStep: $nextStep})
WITH j
UNWIND range(0, size($steps) - 1) AS k
MATCH (x:Interaction {id: $steps[k]})
CREATE (j)-[:STEP {n: k + 1}]->(x)
"""
_EXTEND: LiteralString = """
MATCH (j:Journey {id: $journeyId}), (x:Interaction {id: $interactionId})
CALL (j) { OPTIONAL MATCH (j)-[s:STEP]->() RETURN coalesce(max(s.n), 0) AS last }
CREATE (j)-[:STEP {n: last + 1}]->(x)
SET j.lastChannel = CASE WHEN $latest THEN $channel ELSE j.lastChannel END,
    j.nextStep = CASE WHEN $latest THEN coalesce($nextStep, j.nextStep) ELSE j.nextStep END,
    j.status = CASE WHEN $completes THEN 'completed' ELSE j.status END
WITH j WHERE NOT $latest
// An event that arrived late takes its place in time: the steps are numbered again in time order.
MATCH (j)-[s:STEP]->(y:Interaction)
WITH s ORDER BY y.at, y.id
WITH collect(s) AS steps
UNWIND range(0, size(steps) - 1) AS k
WITH steps[k] AS s, k
SET s.n = k + 1
"""


def _started_by(journey: Mapping[str, Any], at: datetime) -> bool:
    """Whether the journey had begun by ``at`` (one without a start date always has)."""
    started = journey.get("startedAt")
    return started is None or _rows.to_datetime(started) <= at


def _session_journey(
    active: Sequence[Mapping[str, Any]], channel: str, at: datetime, minutes: int
) -> str | None:
    recent = [
        (_rows.to_datetime(j["lastAt"]), j["id"])
        for j in active
        if j["lastAt"] is not None and j["lastChannel"] == channel
    ]
    recent = [(last, jid) for last, jid in recent if at - timedelta(minutes=minutes) <= last <= at]
    return max(recent)[1] if recent else None


async def follow_event(
    tx: neo4j.AsyncManagedTransaction,
    interaction_id: str,
    policy: JourneyPolicy,
    counts: JourneyCounts,
) -> str | None:
    """Open or extend a journey with the recorded interaction; returns its customer's id
    (``None`` only when the interaction is not in the graph)."""
    locked = await _tx.one_row(tx, _LOCK_CUSTOMER, {"interactionId": interaction_id})
    if locked is None:
        return None
    customer_id: str = locked["customerId"]
    ids = {"customerId": customer_id, "interactionId": interaction_id}
    state = await _tx.one_row(tx, _EVENT_STATE, ids)
    if state is None:
        return None
    at, channel = _rows.to_datetime(state["at"]), str(state["channel"])
    rule = policy.rule_for(state["type"], bool(state["notes"]), state["category"])
    intent = rule.intent_for(state["category"]) if rule else None
    active: list[dict[str, Any]] = state["active"]
    of_intent = [j for j in active if j["intent"] == intent and j["lastAt"] is not None]
    same_intent = sorted(
        (j for j in of_intent if _started_by(j, at)), key=lambda j: _rows.to_datetime(j["lastAt"])
    )
    if of_intent and not same_intent:
        # Older than every journey it would pursue (it arrived late): history, not a step; and
        # it neither opens that intent twice nor completes a journey begun after it.
        return customer_id
    journey_id = same_intent[-1]["id"] if same_intent else None
    if journey_id is None and rule is not None and intent is not None and not rule.completes:
        similar = await tx.run(
            _SIMILAR_EVENTS,
            {
                "customerId": customer_id,
                "type": rule.event_type,
                "category": state["category"] if rule.per_category else None,
                "from": at - timedelta(days=rule.window_days),
                "at": at,
                "limit": MAX_OPENING_STEPS,
            },
        )
        newest_first = [(str(record["id"]), record["at"]) async for record in similar]
        steps = [step_id for step_id, _ in reversed(newest_first)]
        if interaction_id in steps and len(steps) >= rule.min_events:
            params = {
                "customerId": customer_id,
                "journeyId": f"jrn-{uuid.uuid4().hex}",
                "intent": intent,
                "startedAt": newest_first[-1][1],
                "channel": channel,
                "nextStep": rule.next_step,
                "steps": steps,
            }
            await (await tx.run(_OPEN, params)).consume()
            counts.opened += 1
            return customer_id
    next_step = rule.next_step if rule is not None and journey_id is not None else None
    if journey_id is None:
        # The session's journey keeps its own next step; a completing event still ends it.
        journey_id = _session_journey(active, channel, at, policy.session_minutes)
    if journey_id is None:
        return customer_id
    completes = rule is not None and rule.completes
    last_at = next((j["lastAt"] for j in active if j["id"] == journey_id), None)
    params = {
        "journeyId": journey_id,
        "interactionId": interaction_id,
        "channel": channel,
        "nextStep": next_step,
        "completes": completes,
        # A late event older than the journey's last step changes neither its channel nor its
        # next step, which are the newest step's.
        "latest": last_at is None or at >= _rows.to_datetime(last_at),
    }
    await (await tx.run(_EXTEND, params)).consume()
    counts.extended += 1
    counts.completed += int(completes)
    return customer_id
