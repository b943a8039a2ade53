"""The identifier locks that ingest and identity stitching share, so both take them alike.

Identifiers are write-locked (created when missing) before their holders are read and before any
customer is locked: a concurrent writer carrying one of them waits, so no identifier ever gets two
holders, and ingest and stitching lock in the same order. One created only to be locked that
nobody holds in the end goes again.
"""

from __future__ import annotations

from typing import LiteralString

# ``$identifiers``: ``[{kind, value}]``, sorted by the caller so concurrent batches lock in order.
LOCK_IDENTITIES: LiteralString = """
UNWIND $identifiers AS key
MERGE (i:Identity {kind: key.kind, value: key.value})
SET i._lock = true
REMOVE i._lock
"""
FORGET_UNHELD: LiteralString = """
UNWIND $identifiers AS key
MATCH (i:Identity {kind: key.kind, value: key.value})
WHERE NOT EXISTS { (i)--() }
DELETE i
"""
