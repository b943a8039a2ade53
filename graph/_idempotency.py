"""Idempotency keys of writes, kept in the graph next to what they protect.

A write transaction looks its key up first (:func:`stored_answer`): a live key with the same
fingerprint means "replay the stored answer", another fingerprint means the caller reused a key
for different arguments; an expired key is dropped so the write proceeds. The write ends by
storing the key with its answer (:func:`store_answer`) in the same transaction, under a
uniqueness constraint, so two racing requests with one key commit once. Each key names the
customer its answer is about (``customerId``), so erasing them removes it; expired keys are
deleted in batches (:func:`delete_expired`, run by the gateway's sweep). This module must never
decide what a refusal means to a caller: the repositories raise their own errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, LiteralString, TypeVar

import neo4j
import orjson
from neo4j.exceptions import ConstraintError

from graph.database import GraphDatabase

T = TypeVar("T")
# Races on one key: the loser's next attempt replays the winner's stored answer.
_ATTEMPTS = 3

KEY_TTL = timedelta(hours=24)
# The scope of the keys of a caller that is no partner (a dev gateway's anonymous caller).
ANONYMOUS = "anonymous"

# A key kept before keys were scoped by partner is under the anonymous scope, without a
# customerId (both came with migration 5); a partner's retry of such a write still finds it.
_KEY: LiteralString = """
OPTIONAL MATCH (scoped:IdempotencyKey {key: $key})
OPTIONAL MATCH (legacy:IdempotencyKey {key: $legacyKey}) WHERE legacy.customerId IS NULL
WITH coalesce(scoped, legacy) AS k
WHERE k IS NOT NULL
RETURN k.key AS key, k.fingerprint AS fingerprint, k.response AS response,
       k.expiresAt < $now AS expired
"""
_DROP_KEY: LiteralString = "MATCH (k:IdempotencyKey {key: $key}) DETACH DELETE k"
_STORE_KEY: LiteralString = """
CREATE (:IdempotencyKey {key: $key, customerId: $customerId, fingerprint: $fingerprint,
                         response: $response, createdAt: $now, expiresAt: $expiresAt})
"""
# Expired keys, oldest first through the expiry index, a bounded batch per transaction.
_DELETE_EXPIRED: LiteralString = """
MATCH (k:IdempotencyKey) WHERE k.expiresAt < $now
WITH k ORDER BY k.expiresAt LIMIT $limit
DETACH DELETE k
RETURN count(*) AS deleted
"""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A live key's fingerprint (operation + arguments) and the JSON answer first given.

    Example:
        >>> stored = StoredAnswer(fingerprint=fingerprint({"op": "x", "n": 1}), response="{}")
        >>> stored.fingerprint == fingerprint({"n": 1, "op": "x"})
        True
    """

    fingerprint: str
    response: str


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable digest of an operation and its arguments (key order does not matter)."""
    return hashlib.sha256(orjson.dumps(dict(payload), option=orjson.OPT_SORT_KEYS)).hexdigest()


def legacy_key(caller: str, scoped_key: str) -> str | None:
    """Where ``caller``'s ``scoped_key`` was kept before keys were scoped by partner (under the
    anonymous scope); None for the anonymous caller, whose keys have not moved.

    Example:
        >>> legacy_key("partner-1", "partner-1:checkout:k-1"), legacy_key(ANONYMOUS, "anonymous:k")
        ('anonymous:checkout:k-1', None)
    """
    if caller == ANONYMOUS:
        return None
    return ANONYMOUS + scoped_key.removeprefix(caller)


async def stored_answer(
    tx: neo4j.AsyncManagedTransaction, key: str, now: datetime, caller: str = ANONYMOUS
) -> StoredAnswer | None:
    """The live answer stored under ``key`` (``caller``'s), or under its key from before keys
    were scoped by partner; an expired key is deleted and counts as none."""
    params = {"key": key, "legacyKey": legacy_key(caller, key), "now": now}
    result = await tx.run(_KEY, params)
    record = await result.single()
    if record is None:
        return None
    if record["expired"]:
        await (await tx.run(_DROP_KEY, {"key": record["key"]})).consume()
        return None
    return StoredAnswer(fingerprint=record["fingerprint"], response=record["response"])


async def store_answer(
    tx: neo4j.AsyncManagedTransaction,
    key: str,
    digest: str,
    response: str,
    now: datetime,
    *,
    customer_id: str,
) -> None:
    """Keep ``response`` under ``key`` until ``now + KEY_TTL``; a racing twin raises
    ``ConstraintError`` (the caller retries and replays the winner's answer). The key names
    ``customer_id``, whose erasure removes it (its answer holds their data)."""
    params = {
        "key": key,
        "customerId": customer_id,
        "fingerprint": digest,
        "response": response,
        "now": now,
        "expiresAt": now + KEY_TTL,
    }
    await (await tx.run(_STORE_KEY, params)).consume()


async def delete_expired(db: GraphDatabase, now: datetime, limit: int) -> int:
    """Delete up to ``limit`` keys expired before ``now`` in one transaction; how many went.

    A key is only good for :data:`KEY_TTL`, after which a write with it proceeds as new, so an
    expired key is dead weight that still holds a copy of its answer (a cart, an order).
    """
    rows = await db.write(_DELETE_EXPIRED, {"now": now, "limit": limit})
    return int(rows[0]["deleted"]) if rows else 0


async def commit_once(
    db: GraphDatabase,
    work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]],
    busy: Exception,
) -> T:
    """Run ``work`` (which checks and stores its key) in a write transaction. When a request
    with the same key committed first (``ConstraintError`` on the key), run it again: it then
    replays that request's answer or refusal. ``busy`` is raised if the races never settle."""
    return await once(lambda: db.transaction(work), busy)


async def once(attempt: Callable[[], Awaitable[T]], busy: Exception) -> T:
    """Run ``attempt`` (a write that checks and stores its key) until no request with the same
    key commits first: after a ``ConstraintError`` on the key, the next attempt replays that
    request's answer or refusal. ``busy`` is raised if the races never settle."""
    for _ in range(_ATTEMPTS):
        try:
            return await attempt()
        except ConstraintError:
            continue
    raise busy
