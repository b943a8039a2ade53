"""The audit log: who read which personal data, and every admin action, as graph nodes.

``(:AuditEntry {id, at, partnerId, action, customerId, fields})``; a request's entries are written
together in one statement. Entries are never updated, but for two things: a merge
(``graph/_merge_statements.py``) makes the merged profile's entries name the survivor, and erasing
the customer (``graph/erasure.py``) replaces ``customerId`` with ``customerIdHash``, the salted hash
the erasure record keeps, so the log still says which partner read what, without the id (the
entry of the erasing request itself is written with the hash only). An entry written once its
customer is erased (by a request that read them while the erasure ran) gets the hash at once.
This module never imports the gateway or the resolvers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from graph import _rows
from graph.database import GraphDatabase
from graph.erasure import customer_id_hash
from graph.models import HistoryCursor


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What to write: the caller, the action, the customer concerned and the fields read."""

    partner_id: str
    action: str
    customer_id: str | None
    fields: tuple[str, ...]
    # An action on a customer erased in the same request (the erasure itself): their id's hash.
    customer_id_hash: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: str
    at: datetime
    partner_id: str
    action: str
    customer_id: str | None
    fields: tuple[str, ...]
    customer_id_hash: str | None = None  # in place of ``customer_id`` once they were erased


# An entry about an erased id (a record under its hash and no profile back under it) is written
# with the hash: a request that read the customer while they were being erased ends after the
# erasure pseudonymised their entries, and must not write the id back in clear. The customer is
# write-locked first, as the erasure locks it before it pseudonymises: one erasing meanwhile is
# waited for (its record is then seen), or waits for this entry (and then pseudonymises it).
_WRITE: LiteralString = """
UNWIND $rows AS row
OPTIONAL MATCH (c:Customer {id: row.customerId})
SET c._lock = true
REMOVE c._lock
WITH row, row.erasedHash IS NOT NULL
  AND EXISTS { MATCH (:ErasureRecord {customerIdHash: row.erasedHash}) }
  AND NOT EXISTS { MATCH (:Customer {id: row.customerId}) } AS erased
CREATE (:AuditEntry {id: row.id, at: datetime(), partnerId: row.partnerId, action: row.action,
                     customerId: CASE WHEN erased THEN null ELSE row.customerId END,
                     customerIdHash: CASE WHEN erased THEN row.erasedHash
                                          ELSE row.customerIdHash END,
                     fields: row.fields})
"""
_PAGE: LiteralString = """
MATCH (e:AuditEntry)
WHERE $afterAt IS NULL OR e.at < datetime($afterAt)
   OR (e.at = datetime($afterAt) AND e.id < $afterId)
RETURN e {.id, .at, .partnerId, .action, .customerId, .customerIdHash, .fields} AS entry
ORDER BY e.at DESC, e.id DESC LIMIT $n
"""


async def write_entries(db: GraphDatabase, records: Sequence[AuditRecord]) -> None:
    """Write ``records`` in one statement (nothing when empty); one about a customer erased by
    then is written with their id's hash in place of the id."""
    if not records:
        return
    rows = [
        {
            "id": uuid.uuid4().hex,
            "partnerId": r.partner_id,
            "action": r.action,
            "customerId": r.customer_id,
            "customerIdHash": r.customer_id_hash,
            "erasedHash": (
                customer_id_hash(r.customer_id)
                if r.customer_id is not None and r.customer_id_hash is None
                else None
            ),
            "fields": list(r.fields),
        }
        # Locked in one order, so two requests' entries never wait for each other in a cycle.
        for r in sorted(records, key=lambda r: r.customer_id or "")
    ]
    await db.write(_WRITE, {"rows": rows})


async def entries_page(
    db: GraphDatabase, first: int, after: HistoryCursor | None
) -> tuple[list[AuditEntry], bool]:
    """Up to ``first`` entries, newest first, after ``after``; and whether more follow."""
    rows = await db.read(
        _PAGE,
        {
            "n": first + 1,
            "afterAt": after.at.isoformat() if after else None,
            "afterId": after.id if after else None,
        },
    )
    entries = [
        AuditEntry(
            id=row["entry"]["id"],
            at=_rows.to_datetime(row["entry"]["at"]),
            partner_id=row["entry"]["partnerId"],
            action=row["entry"]["action"],
            customer_id=row["entry"]["customerId"],
            fields=tuple(row["entry"]["fields"] or ()),
            customer_id_hash=row["entry"]["customerIdHash"],
        )
        for row in rows
    ]
    return entries[:first], len(entries) > first
