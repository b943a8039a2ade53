"""Channel events into the customer graph: one batch, one write transaction, idempotent.

For each event the customer is resolved by the first of its identifiers that a customer owns; when
none is owned, an anonymous customer is created from the first identifier. The event becomes an
``Interaction`` keyed by ``<channel>:<event id>`` (``eventKey``): a replayed event is counted as a
duplicate and changes nothing, while two systems may use the same id. Its ``id`` is the event id,
unless another channel's event holds it (then ``<event id>@<channel>``); a node without an
``eventKey`` (a checkout's purchase, one ingested before migration 13) keeps its id in every
channel, so the order system's echo of a checkout stays a duplicate. Then, in the same
transaction and in batch order, each new event:
- stitches its other identifiers to its customer by the rules of :mod:`graph.stitching` (links
  within the per-kind limits, anonymous profiles merged into known ones, conflicts recorded);
- opens or extends a journey by the rules of :mod:`graph.journey_rules`.

An event naming an identifier of an erased customer (an ``ErasedIdentity`` of its hash, or for
erasures before migration 18 an erased guest whose id derives from it) is dropped, counted and
listed in the result, never recorded, whole (its other identifiers are not linked nor kept
either: they would be linked to the erased person's again): dated at or before that erasure,
always (the history the customer asked us to forget, even if the identifier is held again
since); dated after it, unless
a customer holds the identifier again or the event is a ``sign_up`` (a new account, which makes
a new customer the later events then go to). Every identity the batch names is write-locked
before anything is read: an erasure deleting it meanwhile is waited for and then seen, and one
that starts later waits for this batch and erases what it wrote. An identity created to be locked
that nobody holds at the end (named only by events not recorded) is deleted again.

Events arrive validated and normalised (the gateway checks shapes and identifiers); this module
checks only what needs the graph, that products and stores exist: an event naming one that does
not is rejected alone (``UNKNOWN_SKU``, ``UNKNOWN_STORE``, listed in the result with its index),
and the batch's other events are recorded. It never writes part of an event, never builds Cypher
from input, and never imports the gateway, aiohttp or Strawberry.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, LiteralString

import neo4j

from graph._identity_locks import FORGET_UNHELD, LOCK_IDENTITIES
from graph._rows import to_datetime
from graph.database import GraphDatabase, unavailable
from graph.erasure import customer_id_hash, identity_hash
from graph.identities import IdentityKind
from graph.journey_rules import JourneyCounts, JourneyPolicy, follow_event
from graph.names import fold_name
from graph.stitching import StitchPolicy, stitch_identifiers

# Channels whose systems push events (partners write through the API, not by webhook).
INGEST_CHANNELS: tuple[str, ...] = ("web", "app", "store", "call_centre", "chat", "email")
ANONYMOUS_DISPLAY_NAME = "Visiteur anonyme"
_ANONYMOUS_SEARCH_NAME = fold_name(ANONYMOUS_DISPLAY_NAME)
# A browser or an app install can be shared, so linking one says a little less than an email.
_SHARED_DEVICE_KINDS = frozenset({IdentityKind.WEB_ANONYMOUS_ID, IdentityKind.APP_INSTALL_ID})


class EventType(StrEnum):
    """What a channel event records; the value is the ``Interaction.type`` stored."""

    VIEW = "view"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"
    CALL = "call"
    CHAT = "chat"
    EMAIL_OPEN = "email_open"
    STORE_VISIT = "store_visit"
    RETURN = "return"
    # The order system moved an order on (orderId, status); history, not a customer's step.
    ORDER_STATUS = "order_status"
    # A new account opened with these identifiers: the one event that makes a customer again
    # out of identifiers of an erased one (dated after the erasure).
    SIGN_UP = "sign_up"


@dataclass(frozen=True, slots=True)
class ChannelEvent:
    """One validated event from a channel system, identifiers already normalised.

    Example:
        >>> from datetime import UTC
        >>> event = ChannelEvent(
        ...     id="evt-pos-1",
        ...     type=EventType.PURCHASE,
        ...     at=datetime(2026, 10, 1, 15, 30, tzinfo=UTC),
        ...     identifiers=((IdentityKind.POS_CUSTOMER_NUMBER, "POS-ST001-0000001"),),
        ...     sku="SKU-00001",
        ...     store_id="ST001",
        ... )
    """

    id: str
    type: EventType
    at: datetime
    identifiers: tuple[tuple[IdentityKind, str], ...]
    sku: str | None = None
    store_id: str | None = None
    device_id: str | None = None
    query: str | None = None
    notes: str | None = None
    order_id: str | None = None
    status: str | None = None
    # Analytics (issue 8): how many results a search found, a self-service outcome ("error",
    # "abandoned": a failed attempt), what a purchase cost in EUR.
    result_count: int | None = None
    outcome: str | None = None
    amount: float | None = None


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order status a batch recorded for the first time, and whose order it is."""

    order_id: str
    status: str
    at: datetime
    customer_id: str


# The codes of events not recorded: naming an identifier of an erased customer (dropped for
# good), naming a product or a store the graph does not hold.
CUSTOMER_ERASED = "CUSTOMER_ERASED"
UNKNOWN_SKU = "UNKNOWN_SKU"
UNKNOWN_STORE = "UNKNOWN_STORE"


@dataclass(frozen=True, slots=True)
class RejectedEvent:
    """An event of the batch that was not recorded: its position, its id, why (a code), a
    message that names no identifier value, and the field at fault when one is.

    Example:
        >>> RejectedEvent(3, "evt-9", CUSTOMER_ERASED, "...").code
        'CUSTOMER_ERASED'
    """

    index: int
    event_id: str | None
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What a batch did: events new and already held, stitching and journey outcomes.

    ``customer_ids`` are the customers whose data changed (after merges), for whoever must hear;
    ``merged_ids`` the customers merged away (their live views must learn where they went).
    ``erased`` counts the events dropped as naming an erased customer, each also in ``rejected``.
    """

    accepted: int
    duplicates: int
    erased: int = 0
    rejected: tuple[RejectedEvent, ...] = ()
    merged: int = 0
    conflicts: int = 0
    journeys_opened: int = 0
    journeys_extended: int = 0
    customer_ids: tuple[str, ...] = ()
    order_updates: tuple[OrderUpdate, ...] = ()
    merged_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestPolicy:
    """How ingested events stitch identities and follow journeys, and how long a batch's
    transaction is tried again past failures that may pass (Neo4j unreachable, a deadlock):
    no new attempt starts ``max_retry_time_s`` after the first failure, so a sender hears
    "send it again" within seconds rather than after the driver's default 30 s. Each attempt
    waits at most ``connection_timeout_s`` for a connection, opening one included: a Neo4j that
    accepts connections and never answers held each attempt for the driver's 10 s; and the
    batch fails as unavailable if no attempt has begun its transaction ``max_retry_time_s +
    connection_timeout_s`` after the call (3 s), whatever the driver's back-off."""

    stitch: StitchPolicy = field(default_factory=StitchPolicy)
    journeys: JourneyPolicy = field(default_factory=JourneyPolicy)
    max_retry_time_s: float = 2.0
    connection_timeout_s: float = 1.0


class IngestUnavailable(Exception):
    """The graph could not record the batch now (unreachable, busy past the driver's retries, or
    a concurrent batch took a new event's id); nothing was written, and sending it again may
    succeed."""


def _passing(exc: BaseException) -> bool:
    """A failure a later attempt may get past: Neo4j unavailable (``graph.database``'s rule, as
    for queries and mutations), or a concurrent batch that took a new event's id first. Anything
    else (a bug) propagates as it is."""
    return unavailable(exc) or isinstance(exc, neo4j.exceptions.ConstraintError)


def anonymous_customer_id(kind: IdentityKind, value: str) -> str:
    """The id of the anonymous customer first seen with this identifier (stable across replays).

    Example:
        >>> anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, "web-x")[:9]
        'cus_anon_'
    """
    digest = hashlib.sha256(f"{kind.value}:{value}".encode()).hexdigest()
    return f"cus_anon_{digest[:16]}"


def event_key(channel: str, event_id: str) -> str:
    """What an ingested event is known by: its id within its channel's own namespace.

    Example:
        >>> event_key("store", "evt-1")
        'store:evt-1'
    """
    return f"{channel}:{event_id}"


def _node_id(channel: str, event_id: str, taken: set[str]) -> str:
    """The ``Interaction.id`` of a new event: its own id, unless another channel's event holds
    it; then ``<id>@<channel>``, or (only if an event was given that very id) a digest of both."""
    for candidate in (event_id, f"{event_id}@{channel}"):
        if candidate not in taken:
            return candidate
    digest = hashlib.sha256(event_key(channel, event_id).encode()).hexdigest()
    return f"evt-{digest[:32]}"


# Which of the ``event`` rows in scope (``{id, key}``, key from :func:`event_key`) the graph holds,
# as ``known`` (their ids): the channel's own event (its eventKey), or a node that keeps the id in
# every channel (no eventKey: ingested before migration 13, or a checkout's purchase). What
# ingest counts as a duplicate, and what history counts as a receipt already in the graph.
HELD_EVENTS: LiteralString = """
  OPTIONAL MATCH (keyed:Interaction {eventKey: event.key})
  OPTIONAL MATCH (plain:Interaction {id: event.id})
  WITH event WHERE keyed IS NOT NULL OR (plain IS NOT NULL AND plain.eventKey IS NULL)
  RETURN collect(event.id) AS known"""
_BATCH_STATE: LiteralString = (
    """
CALL () {
  UNWIND $skus AS sku
  OPTIONAL MATCH (p:Product {sku: sku})
  WITH sku, p WHERE p IS NULL
  RETURN collect(sku) AS missingSkus
}
CALL () {
  UNWIND $storeIds AS storeId
  OPTIONAL MATCH (s:Store {id: storeId})
  WITH storeId, s WHERE s IS NULL
  RETURN collect(storeId) AS missingStores
}
CALL () {
  UNWIND $identifiers AS key
  MATCH (:Identity {kind: key.kind, value: key.value})<-[:IDENTIFIED_BY]-(c:Customer)
  WITH key, c ORDER BY c.id
  // Write-lock the holders (in id order) before the events are read: a checkout holding one of
  // them is about to write the event its order system echoes here, so this batch waits for it and
  // then finds the event known, instead of creating it and deadlocking with the checkout.
  SET c._ingestLock = true
  REMOVE c._ingestLock
  WITH key, head(collect(c.id)) AS owner
  RETURN collect({kind: key.kind, value: key.value, owner: owner}) AS owners
}
CALL () {
  UNWIND $erasureKeys AS key
  CALL (key) {
    MATCH (x:ErasedIdentity {identityHash: key.identityHash}) RETURN x.at AS at
    UNION
    MATCH (r:ErasureRecord {customerIdHash: key.guestHash}) RETURN r.at AS at
  }
  RETURN collect({kind: key.kind, value: key.value, at: at}) AS erased
}
CALL () {
  UNWIND $events AS event
"""
    + HELD_EVENTS
    + """
}
CALL () {
  UNWIND $candidateIds AS candidate
  MATCH (i:Interaction {id: candidate})
  RETURN collect(candidate) AS taken
}
RETURN missingSkus, missingStores, known, taken, owners, erased
"""
)
_WRITE: LiteralString = """
CALL () {
  UNWIND $customers AS row
  MERGE (c:Customer {id: row.id})
  ON CREATE SET c.displayName = $anonymousName, c.searchName = $anonymousSearchName,
    c.createdAt = row.createdAt
}
CALL () {
  UNWIND $links AS row
  MATCH (c:Customer {id: row.customerId}), (i:Identity {kind: row.kind, value: row.value})
  MERGE (c)-[r:IDENTIFIED_BY]->(i)
  ON CREATE SET r.since = row.since, r.source = $channel, r.confidence = row.confidence
}
CALL () {
  UNWIND $interactions AS row
  MATCH (c:Customer {id: row.customerId})
  MERGE (ch:Channel {code: $channel})
  // By the event's key: a concurrent batch that took the same node id fails on the id's
  // constraint (and its sender retries) instead of joining this event's node.
  MERGE (i:Interaction {eventKey: row.eventKey})
  ON CREATE SET i.id = row.id, i.at = row.at, i.type = row.type, i.channel = $channel,
                i.query = row.query, i.notes = row.notes, i.resultCount = row.resultCount,
                i.outcome = row.outcome, i.amount = row.amount,
                i.orderId = row.orderId, i.orderStatus = row.orderStatus
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
    MERGE (d:Device {id: row.deviceId}) MERGE (i)-[:ON]->(d)
  }
}
"""


@dataclass(frozen=True)
class _BatchState:
    """What the graph holds of a batch: event ids this channel already sent (or that a node
    keeps in every channel), Interaction ids in use, each identifier's owner, and when the
    latest erasure of a customer holding it happened."""

    known: frozenset[str]
    taken: frozenset[str]
    owners: dict[tuple[str, str], str]
    erased: dict[tuple[str, str], datetime] = field(default_factory=dict)
    missing_skus: frozenset[str] = frozenset()
    missing_stores: frozenset[str] = frozenset()


@dataclass
class _Plan:
    """What the write statement must do, decided event by event in batch order."""

    customers: list[dict[str, Any]]
    links: list[dict[str, Any]]
    interactions: list[dict[str, Any]]
    # Per new event with several identifiers: the one that resolved its customer, and the others.
    stitches: list[tuple[tuple[IdentityKind, str], list[tuple[IdentityKind, str]]]] = field(
        default_factory=list
    )
    duplicates: int = 0
    rejected: list[RejectedEvent] = field(default_factory=list)


# The whole event goes, its other identifiers with it: recording it would link them to the erased
# person's identifier again (or make a new customer of the same person).
_ERASED_MESSAGE = (
    "names an identifier of an erased customer: the whole event is not recorded (nor are its"
    " other identifiers), and not to be sent again (after the erasure, only a sign_up makes a"
    " customer of it again)"
)


def _of_erased_customer(
    event: ChannelEvent,
    keys: list[tuple[str, str]],
    erased: dict[tuple[str, str], datetime],
    owner: dict[tuple[str, str], str],
) -> bool:
    """Whether ``event`` is about a customer we were asked to forget (see the module's rule)."""
    for key in keys:
        erased_at = erased.get(key)
        if erased_at is None:
            continue
        if event.at <= erased_at:
            return True
        if key not in owner and event.type is not EventType.SIGN_UP:
            return True
    return False


def _unknown_reference(index: int, event: ChannelEvent, state: _BatchState) -> RejectedEvent | None:
    if event.sku is not None and event.sku in state.missing_skus:
        return RejectedEvent(index, event.id, UNKNOWN_SKU, f"unknown sku {event.sku!r}", "sku")
    if event.store_id is not None and event.store_id in state.missing_stores:
        message = f"unknown store {event.store_id!r}"
        return RejectedEvent(index, event.id, UNKNOWN_STORE, message, "storeId")
    return None


def _plan(channel: str, events: Sequence[ChannelEvent], state: _BatchState) -> _Plan:
    owner = dict(state.owners)  # grows with the batch's identifiers: later events see earlier ones
    seen = set(state.known)
    taken = set(state.taken)
    plan = _Plan(customers=[], links=[], interactions=[])
    for index, event in enumerate(events):
        if event.id in seen:
            plan.duplicates += 1
            continue
        keys = [(kind.value, value) for kind, value in event.identifiers]
        if _of_erased_customer(event, keys, state.erased, owner):
            plan.rejected.append(RejectedEvent(index, event.id, CUSTOMER_ERASED, _ERASED_MESSAGE))
            continue
        unknown = _unknown_reference(index, event, state)
        if unknown is not None:
            plan.rejected.append(unknown)
            continue
        seen.add(event.id)
        node_id = _node_id(channel, event.id, taken)
        taken.add(node_id)
        anchor = next((i for i, key in enumerate(keys) if key in owner), None)
        if anchor is None:
            anchor = 0
            kind, value = event.identifiers[0]
            customer_id = anonymous_customer_id(kind, value)
            plan.customers.append({"id": customer_id, "createdAt": event.at})
            owner[keys[0]] = customer_id
            plan.links.append(
                {
                    "customerId": customer_id,
                    "kind": kind.value,
                    "value": value,
                    "since": event.at,
                    "confidence": 0.9 if kind in _SHARED_DEVICE_KINDS else 1.0,
                }
            )
        customer_id = owner[keys[anchor]]
        others = [
            identifier
            for identifier, key in zip(event.identifiers, keys, strict=True)
            if owner.get(key) != customer_id
        ]
        if others:
            plan.stitches.append((event.identifiers[anchor], others))
        for key in keys:
            # Later events of the batch carrying only this identifier belong to the same customer
            # (the stitch links it, unless a limit stops it; they stay with that customer then).
            owner.setdefault(key, customer_id)
        plan.interactions.append(
            {
                "id": node_id,
                "eventKey": event_key(channel, event.id),
                "customerId": customer_id,
                "at": event.at,
                "type": event.type.value,
                "query": event.query,
                "notes": event.notes,
                "resultCount": event.result_count,
                "outcome": event.outcome,
                "amount": event.amount,
                "sku": event.sku,
                "storeId": event.store_id,
                "deviceId": event.device_id,
                "orderId": event.order_id,
                "orderStatus": event.status,
            }
        )
    return plan


def _erasure_times(rows: list[dict[str, Any]]) -> dict[tuple[str, str], datetime]:
    """The latest erasure of a holder of each identifier that had one."""
    latest: dict[tuple[str, str], datetime] = {}
    for item in rows:
        key, at = (item["kind"], item["value"]), to_datetime(item["at"])
        latest[key] = max(at, latest.get(key, at))
    return latest


def _order_update(interaction: dict[str, Any]) -> OrderUpdate:
    # A customer merged away later in the batch still names the order's owner at ingest time;
    # subscribers of the order hear the status whoever owns it now.
    return OrderUpdate(
        order_id=str(interaction["orderId"]),
        status=str(interaction["orderStatus"]),
        at=interaction["at"],
        customer_id=str(interaction["customerId"]),
    )


async def record_batch(
    tx: neo4j.AsyncManagedTransaction,
    channel: str,
    events: Sequence[ChannelEvent],
    rules: IngestPolicy,
) -> IngestResult:
    """The statements of :func:`ingest_events`, in the caller's transaction (a test holds one
    open to show what a concurrent erasure waits for)."""
    identifiers = sorted(
        {(kind.value, value) for event in events for kind, value in event.identifiers}
    )
    keys = [{"kind": kind, "value": value} for kind, value in identifiers]
    erasure_keys = [
        {
            "kind": kind,
            "value": value,
            "identityHash": identity_hash(kind, value),
            "guestHash": customer_id_hash(anonymous_customer_id(IdentityKind(kind), value)),
        }
        for kind, value in identifiers
    ]
    event_ids = sorted({e.id for e in events})
    state_params = {
        "skus": sorted({e.sku for e in events if e.sku is not None}),
        "storeIds": sorted({e.store_id for e in events if e.store_id is not None}),
        "events": [{"id": i, "key": event_key(channel, i)} for i in event_ids],
        "candidateIds": sorted({c for i in event_ids for c in (i, f"{i}@{channel}")}),
        "identifiers": keys,
        "erasureKeys": erasure_keys,
    }

    # Every identifier of the batch, before owners are read: no identifier gets two owners.
    await (await tx.run(LOCK_IDENTITIES, {"identifiers": keys})).consume()
    row = await (await tx.run(_BATCH_STATE, state_params)).single(strict=True)
    state = _BatchState(
        known=frozenset(row["known"]),
        taken=frozenset(row["taken"]),
        owners={(item["kind"], item["value"]): item["owner"] for item in row["owners"]},
        erased=_erasure_times(row["erased"]),
        missing_skus=frozenset(row["missingSkus"]),
        missing_stores=frozenset(row["missingStores"]),
    )
    plan = _plan(channel, events, state)
    if plan.interactions:
        params = {
            "channel": channel,
            "anonymousName": ANONYMOUS_DISPLAY_NAME,
            "anonymousSearchName": _ANONYMOUS_SEARCH_NAME,
            "customers": plan.customers,
            "links": plan.links,
            "interactions": plan.interactions,
        }
        await (await tx.run(_WRITE, params)).consume()
    outcomes = []
    for anchor, others in plan.stitches:
        outcomes += await stitch_identifiers(tx, anchor, others, channel, rules.stitch)
    if plan.stitches or plan.rejected or plan.duplicates:
        # The identities locked above that nobody holds in the end go again: one a conflict left
        # with nobody (no trace of it but the conflict record), and one named only by events not
        # recorded (an erased customer's email must not come back in clear beside its hash) or
        # only by a duplicate. A batch of new events without stitches linked all of its own.
        await (await tx.run(FORGET_UNHELD, {"identifiers": keys})).consume()
    journeys = JourneyCounts()
    customers: dict[str, None] = {}
    updates: list[OrderUpdate] = []
    for interaction in plan.interactions:
        if interaction["type"] == EventType.ORDER_STATUS:
            # The order system's doing, not a step the customer took: no journey moves.
            customers[interaction["customerId"]] = None
            updates.append(_order_update(interaction))
            continue
        customer = await follow_event(tx, interaction["id"], rules.journeys, journeys)
        if customer is not None:
            customers[customer] = None
    return IngestResult(
        accepted=len(plan.interactions),
        duplicates=plan.duplicates,
        erased=sum(r.code == CUSTOMER_ERASED for r in plan.rejected),
        rejected=tuple(plan.rejected),
        merged=sum(outcome.outcome == "MERGED" for outcome in outcomes),
        conflicts=sum(outcome.outcome == "CONFLICT" for outcome in outcomes),
        journeys_opened=journeys.opened,
        journeys_extended=journeys.extended,
        customer_ids=tuple(customers),
        order_updates=tuple(updates),
        merged_ids=tuple(o.merged_id for o in outcomes if o.merged_id is not None),
    )


async def ingest_events(
    db: GraphDatabase,
    channel: str,
    events: Sequence[ChannelEvent],
    policy: IngestPolicy | None = None,
) -> IngestResult:
    """Record ``events`` from ``channel`` in one write transaction: every event it takes, or
    (on a failure) none.

    An event naming a product or store the graph does not hold, or an identifier of an erased
    customer, is not recorded and is listed in the result's ``rejected``. Raises
    :class:`IngestUnavailable` (nothing written) when the graph could not
    take the batch now. The transaction function is retried on transient errors (deadlocks
    between concurrent batches included), which is safe because it decides from what it reads,
    for at most ``policy.max_retry_time_s`` after the first failure.
    """
    if channel not in INGEST_CHANNELS:
        raise ValueError(f"channel {channel!r} does not ingest events")
    rules = policy or IngestPolicy()
    # Until Neo4j is reached (a transaction begun), the batch has max_retry_time_s plus one
    # attempt's wait for a connection: the driver's own retries could start a third attempt
    # after its back-off and hold the sender past its 5 s. Once reached, a batch takes its time.
    reaching = asyncio.timeout(rules.max_retry_time_s + rules.connection_timeout_s)

    async def work(tx: neo4j.AsyncManagedTransaction) -> IngestResult:
        reaching.reschedule(None)
        return await record_batch(tx, channel, events, rules)

    try:
        async with reaching:
            return await db.transaction(
                work,
                max_retry_time_s=rules.max_retry_time_s,
                acquisition_timeout_s=rules.connection_timeout_s,
            )
    except Exception as exc:
        if not _passing(exc):
            raise
        raise IngestUnavailable(f"the graph could not record the batch: {exc!r}") from exc
