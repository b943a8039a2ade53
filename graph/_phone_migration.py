"""Migration 8's data step: phone identities stored before phones were read as E.164 get that form.

Until then a phone was stored with its separators stripped only, so ``0612345678``,
``0033612345678`` and ``+33612345678`` could be three ``Identity`` nodes of one number. Values are
read a page at a time (outside any transaction), normalised in Python by
:func:`graph.identities.normalise_identity`, and each page's changes are written in one
transaction that reads the nodes again before it decides, so a page is done whole or not at all
and running the step twice (or on two instances at once) changes nothing more. Per value:
- the E.164 value is free: the node takes it;
- a node already holds it, and the holders (customers ``IDENTIFIED_BY`` it) of one node are among
  those of the other (the same customer, or nobody on one side): the old node's links move onto
  that node (a customer holding both keeps the link it had to it) and the old node is deleted. A
  plain ``DELETE``: should it carry any other relationship, the page fails rather than lose it;
- otherwise merging would give a customer's phone to another: both nodes stay as they are and each
  holder of the old node only gets an ``IdentityConflict`` (reason ``held_by_another_customer``,
  source ``migration:8``, the E.164 value, the other holder's id), with an id derived from the
  customer and the old value, so a second run records no second one;
- a value libphonenumber cannot read as a possible number is left as it is, and counted.
It never builds Cypher from values: every statement takes them as parameters.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, LiteralString

import neo4j

from graph.database import GraphDatabase
from graph.identities import IdentityKind, InvalidIdentity, normalise_identity

PAGE_SIZE = 1000
PROGRESS_EVERY = 50  # pages
SOURCE = "migration:8"
_CONFLICT_IDS = uuid.UUID("5b0c4e1e-8d4a-4b8e-9f3a-2f0f6c1d7a08")

_PAGE: LiteralString = """
MATCH (i:Identity {kind: 'phone'}) WHERE i.value > $after
RETURN i.value AS value ORDER BY value LIMIT $limit
"""
_HOLDERS: LiteralString = """
UNWIND $values AS value
MATCH (i:Identity {kind: 'phone', value: value})
RETURN value, COLLECT { MATCH (i)<-[:IDENTIFIED_BY]-(c:Customer) RETURN c.id } AS holders
"""
_RENAME: LiteralString = """
UNWIND $changes AS change
MATCH (i:Identity {kind: 'phone', value: change.old})
SET i.value = change.new
"""
_MERGE: LiteralString = """
UNWIND $changes AS change
MATCH (old:Identity {kind: 'phone', value: change.old}),
      (kept:Identity {kind: 'phone', value: change.new})
CALL (old, kept) {
  OPTIONAL MATCH (holder)-[r:IDENTIFIED_BY]->(old)
  FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END |
    MERGE (holder)-[n:IDENTIFIED_BY]->(kept) ON CREATE SET n = properties(r))
  DELETE r
}
DELETE old
"""
_CONFLICT: LiteralString = """
UNWIND $conflicts AS k
MATCH (c:Customer {id: k.customerId})
MERGE (c)-[:HAS_CONFLICT]->(x:IdentityConflict {id: k.id})
  ON CREATE SET x.kind = 'phone', x.value = k.value, x.reason = 'held_by_another_customer',
    x.otherCustomerId = k.otherId, x.at = $now, x.source = $source
"""


@dataclass
class PhoneRenormalisation:
    """What the step did, by outcome (``left_apart`` counts values, not their conflicts)."""

    renamed: int = 0
    merged: int = 0
    left_apart: int = 0
    unreadable: int = 0

    def summary(self) -> str:
        return (
            f"renamed {self.renamed}, merged {self.merged}, left apart (conflict recorded) "
            f"{self.left_apart}, unreadable left as they are {self.unreadable}"
        )


@dataclass
class PagePlan:
    """The writes of one page, in the order they run: renames, merges, conflicts."""

    renames: list[dict[str, str]] = field(default_factory=list)
    merges: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    left_apart: int = 0


def plan_page(changes: Mapping[str, str], holders: Mapping[str, Sequence[str]]) -> PagePlan:
    """What to write for ``changes`` (old value to E.164 value), given the holders of every node
    that exists now (a value absent from ``holders`` has no node). Two old values of one number
    are planned in turn: the second meets the first's result."""
    nodes = {value: frozenset(ids) for value, ids in holders.items()}
    plan = PagePlan()
    for old, new in sorted(changes.items()):
        mine, theirs = nodes.get(old), nodes.get(new)
        if mine is None:  # gone since the page was read
            continue
        if theirs is None or mine <= theirs or theirs <= mine:
            (plan.renames if theirs is None else plan.merges).append({"old": old, "new": new})
            nodes[new] = mine | (theirs or frozenset())
            del nodes[old]
            continue
        plan.left_apart += 1
        plan.conflicts.extend(
            {
                "customerId": customer,
                "id": f"conflict-{uuid.uuid5(_CONFLICT_IDS, f'{customer}|{old}').hex}",
                "value": new,
                "otherId": min(theirs - mine),
            }
            for customer in sorted(mine - theirs)
        )
    return plan


async def renormalise_phones(
    db: GraphDatabase,
    phone_region: str,
    progress: Callable[[str], None] | None = None,
    page_size: int = PAGE_SIZE,
    report_every: int = PROGRESS_EVERY,
) -> PhoneRenormalisation:
    """Give every phone identity its E.164 value, by the rules of this module; ``progress``
    hears how far it got every ``report_every`` pages."""
    report = PhoneRenormalisation()
    after, pages, read = "", 0, 0
    while rows := await db.read(_PAGE, {"after": after, "limit": page_size}):
        after = str(rows[-1]["value"])
        await _renormalise_page(db, [str(row["value"]) for row in rows], phone_region, report)
        pages, read = pages + 1, read + len(rows)
        if progress is not None and pages % report_every == 0:
            progress(f"phone identities: {read:,} read; {report.summary()}")
    return report


async def _renormalise_page(
    db: GraphDatabase, values: list[str], phone_region: str, report: PhoneRenormalisation
) -> None:
    changes: dict[str, str] = {}
    for value in values:
        try:
            normalised = normalise_identity(IdentityKind.PHONE, value, phone_region=phone_region)
        except InvalidIdentity:
            report.unreadable += 1
            continue
        if normalised != value:
            changes[value] = normalised
    if not changes:
        return
    plan = await db.transaction(lambda tx: _write_page(tx, changes))
    report.renamed += len(plan.renames)
    report.merged += len(plan.merges)
    report.left_apart += plan.left_apart


async def _write_page(tx: neo4j.AsyncManagedTransaction, changes: dict[str, str]) -> PagePlan:
    """Read the nodes again, inside the transaction, and write what they call for."""
    values = sorted(set(changes) | set(changes.values()))
    result = await tx.run(_HOLDERS, {"values": values})
    holders = {record["value"]: record["holders"] async for record in result}
    plan = plan_page(changes, holders)
    if plan.renames:
        await _run(tx, _RENAME, {"changes": plan.renames})
    if plan.merges:
        await _run(tx, _MERGE, {"changes": plan.merges})
    if plan.conflicts:
        params = {"conflicts": plan.conflicts, "now": datetime.now(UTC), "source": SOURCE}
        await _run(tx, _CONFLICT, params)
    return plan


async def _run(
    tx: neo4j.AsyncManagedTransaction, statement: LiteralString, params: dict[str, Any]
) -> None:
    await (await tx.run(statement, params)).consume()
