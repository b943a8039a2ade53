"""Identity stitching: link an identifier to a customer, merging an anonymous profile into a known
one, and refusing what would be a false merge.

Rules (one write transaction; the identifier is write-locked, created if missing, before its holder
is read, so two concurrent links of it never both find it free, and one created only for the lock
goes again if nobody holds it in the end; then both customers are locked in id order, identifiers
before customers as in :mod:`graph.ingest`; a merge locks the merged profile's identifiers after
the customers, so a deadlock with a concurrent link of one of them is possible: Neo4j detects it
and the transaction function is retried):
- an identifier nobody holds is linked (within the per-kind limits);
- one the customer already holds is a no-op (so a replay changes nothing);
- one held by another customer: if exactly one of the two is anonymous (web or app ids, and only
  those: a profile holding no identifier at all counts as known), the anonymous profile merges
  into the known one, whoever asked; if both are anonymous, the other merges into this one; if
  both are known, nothing moves and an ``IdentityConflict`` is recorded;
- a link or merge that would exceed a per-kind limit is recorded as a conflict instead;
- a caller that may see only customers who granted some purposes (``required_consents``) is
  refused (:class:`HolderNotVisible`, nothing written) when another customer who did not grant
  them all holds the identifier: neither a conflict naming them nor a merge into or from them.
A merge moves identities, devices, interactions, journeys and the consents of purposes the survivor
has none for (re-keyed to the survivor; the others are deleted), makes two active journeys of one
intent one (the first started keeps every step), merges the active carts by the policy's rule
keeping the ``MAX_LINES`` most recently added lines (the others are listed on the ``Merge``
record; the merged profile's cart is closed as 'merged'), and hands over the rest of what the
merged profile held: all its carts (active, ordered, merged), its identity conflicts and its own
``Merge`` records, while the idempotency keys and audit entries naming it (``customerId``) and
other customers' conflicts naming it (``otherCustomerId``) are made to name the survivor. So the
survivor's export shows them and their erasure removes them. It deletes the merged profile and
leaves one ``Merge`` record saying what moved, so it can be audited and undone by hand. The
statements are in :mod:`graph._merge_statements`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, LiteralString

import neo4j

from graph._identity_locks import FORGET_UNHELD, LOCK_IDENTITIES
from graph._merge_statements import CART_LINES, JOIN_JOURNEYS, MOVE, RETIRE_MERGED, WRITE_CART
from graph.carts import MAX_LINES
from graph.co_purchases import WITHDRAW_ON_MERGE
from graph.database import GraphDatabase
from graph.identities import IdentityKind

ANONYMOUS_KINDS = frozenset({IdentityKind.WEB_ANONYMOUS_ID, IdentityKind.APP_INSTALL_ID})
DEFAULT_LIMITS: Mapping[IdentityKind, int] = {
    IdentityKind.EMAIL: 1,
    IdentityKind.PHONE: 3,
    IdentityKind.LOYALTY_CARD: 2,
    IdentityKind.WEB_ANONYMOUS_ID: 20,
    IdentityKind.APP_INSTALL_ID: 5,
    IdentityKind.POS_CUSTOMER_NUMBER: 3,
    IdentityKind.CONTACT_CENTRE_ID: 2,
}

_LOCK: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
SET c.stitchLock = coalesce(c.stitchLock, 0) + 1
RETURN c.id AS id,
       COLLECT { MATCH (c)-[:IDENTIFIED_BY]->(i:Identity) RETURN i.kind } AS kinds
"""
_OWNER: LiteralString = """
MATCH (:Identity {kind: $kind, value: $value})<-[:IDENTIFIED_BY]-(o:Customer)
RETURN o.id AS id ORDER BY id LIMIT 1
"""
_LINK: LiteralString = """
MATCH (c:Customer {id: $customerId})
MERGE (i:Identity {kind: $kind, value: $value})
MERGE (c)-[r:IDENTIFIED_BY]->(i)
  ON CREATE SET r.since = $now, r.source = $source, r.confidence = $confidence
"""
_UNLINK: LiteralString = """
MATCH (c:Customer {id: $customerId})-[r:IDENTIFIED_BY]->(i:Identity {kind: $kind, value: $value})
DELETE r
WITH i WHERE NOT EXISTS { (i)<-[:IDENTIFIED_BY]-() }
DELETE i
RETURN count(*) AS n
"""
_GRANTED: LiteralString = """
MATCH (:Customer {id: $customerId})-[:CONSENTED]->(k:Consent {granted: true})
RETURN collect(k.purpose) AS purposes
"""
_CONFLICT: LiteralString = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:HAS_CONFLICT]->(:IdentityConflict {id: $id, kind: $kind, value: $value,
  reason: $reason, otherCustomerId: $otherId, at: $now, source: $source})
"""


@dataclass(frozen=True)
class StitchPolicy:
    """Guard rails and the cart rule of merges (``union_max`` or ``anonymous_replaces``).

    Example:
        >>> StitchPolicy().limits[IdentityKind.APP_INSTALL_ID]
        5
    """

    limits: Mapping[IdentityKind, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    cart_rule: str = "union_max"


@dataclass(frozen=True)
class StitchOutcome:
    """What a link did: LINKED, ALREADY_LINKED, MERGED or CONFLICT (with the record's id).

    ``customer_id`` is the customer linked to (the survivor of a merge); ``merged_id`` the one
    a merge deleted.
    """

    outcome: str
    customer_id: str
    merge_id: str | None = None
    merged_id: str | None = None
    conflict_id: str | None = None
    reason: str | None = None


class StitchError(Exception):
    """The customer to link to does not exist, or the identifier is not theirs to unlink."""


class HolderNotVisible(Exception):
    """Another customer holds the identifier and has not granted every purpose the caller
    needs to see them: the caller may learn nothing of them, so nothing was done."""


def _is_anonymous(kinds: list[str]) -> bool:
    # A profile without any identifier is no sign of a guest: it is most often a known customer
    # changing their one email (unlink, then link), who must never be merged into its holder.
    return bool(kinds) and all(IdentityKind(kind) in ANONYMOUS_KINDS for kind in kinds)


@dataclass(frozen=True)
class LinkRequest:
    """Link the normalised identifier ``kind``/``value`` to ``customer_id``, seen via ``source``."""

    customer_id: str
    kind: IdentityKind
    value: str
    source: str
    policy: StitchPolicy
    # Purposes a holder other than ``customer_id`` must have granted (a restricted caller's).
    required_consents: frozenset[str] = frozenset()


async def link_identity(db: GraphDatabase, request: LinkRequest) -> StitchOutcome:
    """Link a normalised identifier to a customer by the rules of this module."""
    return await db.transaction(lambda tx: _link(tx, request))


async def stitch_identifiers(
    tx: neo4j.AsyncManagedTransaction,
    anchor: tuple[IdentityKind, str],
    others: Sequence[tuple[IdentityKind, str]],
    source: str,
    policy: StitchPolicy,
) -> list[StitchOutcome]:
    """Link ``others`` to whoever holds ``anchor`` now, one by one, inside the caller's transaction.

    This is how an event carrying two identifiers (a web id and an email at login, a loyalty card
    and a phone at the till) stitches them: each link follows the rules of this module, so an
    anonymous holder merges, two known customers give a conflict, and limits hold. The anchor's
    holder is read again before each link, since a merge may have moved the anchor.
    """
    outcomes: list[StitchOutcome] = []
    for kind, value in others:
        owner_rows = await _rows(tx, _OWNER, {"kind": anchor[0].value, "value": anchor[1]})
        if not owner_rows:
            break
        request = LinkRequest(owner_rows[0]["id"], kind, value, source, policy)
        outcomes.append(await _link(tx, request))
    return outcomes


async def unlink_identity(
    db: GraphDatabase, customer_id: str, kind: IdentityKind, value: str
) -> None:
    rows = await db.write(_UNLINK, {"customerId": customer_id, "kind": kind.value, "value": value})
    if not rows or int(rows[0]["n"]) == 0:
        raise StitchError(f"{customer_id!r} does not hold this {kind.value}")


async def _rows(
    tx: neo4j.AsyncManagedTransaction, query: LiteralString, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    result = await tx.run(query, dict(params))
    return [record.data() async for record in result]


async def _link(tx: neo4j.AsyncManagedTransaction, request: LinkRequest) -> StitchOutcome:
    now = datetime.now(UTC)
    customer_id, kind, limits = request.customer_id, request.kind, request.policy.limits
    key = {"kind": kind.value, "value": request.value}
    await (await tx.run(LOCK_IDENTITIES, {"identifiers": [key]})).consume()
    owner_rows = await _rows(tx, _OWNER, key)
    owner: str | None = owner_rows[0]["id"] if owner_rows else None
    ids = sorted({customer_id} | ({owner} if owner else set()))
    locked = {row["id"]: row["kinds"] for row in await _rows(tx, _LOCK, {"ids": ids})}
    if customer_id not in locked:
        raise StitchError(f"no customer with id {customer_id!r}")
    if owner == customer_id:
        return StitchOutcome("ALREADY_LINKED", customer_id)
    if owner is not None and request.required_consents:
        granted = (await _rows(tx, _GRANTED, {"customerId": owner}))[0]["purposes"]
        if not request.required_consents <= set(granted):
            raise HolderNotVisible(f"the {kind.value} is held by a customer not visible")
    if owner is None:
        if locked[customer_id].count(kind.value) + 1 > limits.get(kind, 1):
            await (await tx.run(FORGET_UNHELD, {"identifiers": [key]})).consume()
            return await _conflict(tx, request, "limit_exceeded", None, now)
        params = {
            **key,
            "customerId": customer_id,
            "now": now,
            "source": request.source,
            "confidence": 0.9 if kind in ANONYMOUS_KINDS else 1.0,
        }
        await (await tx.run(_LINK, params)).consume()
        return StitchOutcome("LINKED", customer_id)
    mine, theirs = _is_anonymous(locked[customer_id]), _is_anonymous(locked[owner])
    if not mine and not theirs:
        return await _conflict(tx, request, "held_by_another_customer", owner, now)
    survivor, merged = (owner, customer_id) if mine and not theirs else (customer_id, owner)
    combined = locked[survivor] + locked[merged]
    if any(combined.count(each.value) > limits.get(each, 1) for each in IdentityKind):
        return await _conflict(tx, request, "limit_exceeded", owner, now)
    merge_id = await _merge(tx, _Merge(survivor, merged, f"{kind.value} linked", request, now))
    return StitchOutcome("MERGED", survivor, merge_id=merge_id, merged_id=merged)


async def _conflict(
    tx: neo4j.AsyncManagedTransaction,
    request: LinkRequest,
    reason: str,
    other: str | None,
    now: datetime,
) -> StitchOutcome:
    conflict_id = f"conflict-{uuid.uuid4().hex}"
    params = {
        "customerId": request.customer_id,
        "id": conflict_id,
        "kind": request.kind.value,
        "value": request.value,
        "reason": reason,
        "otherId": other,
        "now": now,
        "source": request.source,
    }
    await (await tx.run(_CONFLICT, params)).consume()
    return StitchOutcome("CONFLICT", request.customer_id, conflict_id=conflict_id, reason=reason)


@dataclass(frozen=True)
class _Merge:
    survivor: str
    merged: str
    reason: str
    request: LinkRequest
    now: datetime


def merge_cart_lines(
    survivor: list[dict[str, Any]], merged: list[dict[str, Any]], rule: str
) -> list[dict[str, Any]]:
    """The surviving cart's lines: a union keeping the higher quantity per SKU (``union_max``),
    or the merged profile's cart when it has lines (``anonymous_replaces``)."""
    if rule == "anonymous_replaces":
        return list(merged) if merged else list(survivor)
    by_sku = {line["sku"]: line for line in survivor}
    for line in merged:
        kept = by_sku.get(line["sku"])
        if kept is None or line["qty"] > kept["qty"]:
            by_sku[line["sku"]] = {**line, "addedAt": (kept or line)["addedAt"]}
    return sorted(by_sku.values(), key=lambda line: (str(line["addedAt"]), line["sku"]))


def keep_newest_lines(
    lines: list[dict[str, Any]], cap: int = MAX_LINES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lines a merged cart keeps, the ``cap`` most recently added (the newest intent; ties by
    SKU), and those it drops, oldest first: a cart never holds more than a mutation may fill.

    Example:
        >>> lines = [{"sku": s, "addedAt": a} for s, a in (("B", "2"), ("A", "1"), ("C", "3"))]
        >>> [[line["sku"] for line in part] for part in keep_newest_lines(lines, cap=2)]
        [['B', 'C'], ['A']]
    """
    ordered = sorted(lines, key=lambda line: (str(line["addedAt"]), line["sku"]))
    cut = max(len(ordered) - cap, 0)
    return ordered[cut:], ordered[:cut]


async def _merge(tx: neo4j.AsyncManagedTransaction, merge: _Merge) -> str:
    """Merge ``merge.merged`` into ``merge.survivor`` (both locked); the ``Merge`` record's id."""
    carts: dict[str, list[dict[str, Any]]] = {}
    for customer in (merge.survivor, merge.merged):
        rows = await _rows(tx, CART_LINES, {"customerId": customer})
        carts[customer] = list(rows[0]["lines"]) if rows else []
    ids = {"mergedId": merge.merged, "survivorId": merge.survivor}
    await (await tx.run(WITHDRAW_ON_MERGE, ids)).consume()
    moved = (await _rows(tx, MOVE, ids))[0]
    joined: list[str] = []
    if moved["journeys"]:
        rows = await _rows(tx, JOIN_JOURNEYS, {**ids, "movedJourneys": moved["journeys"]})
        joined = [journey for row in rows for journey in row["joined"]]
    rule = merge.request.policy.cart_rule
    dropped: list[dict[str, Any]] = []
    if carts[merge.merged]:
        merged_lines = merge_cart_lines(carts[merge.survivor], carts[merge.merged], rule)
        lines, dropped = keep_newest_lines(merged_lines)
        params = {
            **ids,
            "lines": lines,
            "now": merge.now,
            "newCartId": f"cart-{merge.survivor}-{uuid.uuid4().hex[:8]}",
        }
        await (await tx.run(WRITE_CART, params)).consume()
    merge_id = f"merge-{uuid.uuid4().hex}"
    record = {
        **ids,
        "mergeId": merge_id,
        "now": merge.now,
        "reason": merge.reason,
        "source": merge.request.source,
        "cartRule": rule,
        "identities": moved["identities"],
        "devices": moved["devices"],
        "interactions": moved["interactions"],
        "journeys": moved["journeys"],
        "joinedJourneys": joined,
        "consents": [c for c in moved["consents"] if c is not None],
        "droppedSkus": [line["sku"] for line in dropped],
        "droppedQtys": [line["qty"] for line in dropped],
    }
    await (await tx.run(RETIRE_MERGED, record)).consume()
    return merge_id
