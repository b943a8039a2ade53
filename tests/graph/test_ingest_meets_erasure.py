"""An ingest and an erasure of the customer its events name, each caught with its transaction
open: whichever holds the customer's identity first, the other waits for it, and nothing is
written past the erasure (no customer again, no event on a deleted node, no identity in clear).

Ingest write-locks every identity its batch names before it reads anything; the erasure
write-locks every identity the customer holds first too, deletes them and leaves their hashes in
the same transaction. See docs/architecture.md, GDPR, "Late events and a racing ingest".
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import neo4j
import pytest

from graph import GraphDatabase
from graph.erasure import (
    ErasureRecord,
    ErasureReport,
    erase_customer,
    erase_in,
    identity_hash,
)
from graph.identities import IdentityKind
from graph.ingest import (
    CUSTOMER_ERASED,
    ChannelEvent,
    EventType,
    IngestPolicy,
    IngestResult,
    ingest_events,
    record_batch,
)

NO_ERASURE = ErasureReport([], [], 0)
KNOWN = """
CREATE (c:Customer {id: $id, displayName: 'Rita Race', createdAt: datetime()})
MERGE (i:Identity {kind: 'email', value: $email})
CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i)
"""
LOCK = "MATCH (c:Customer {id: $id}) SET c._lock = true REMOVE c._lock"
LEFT = """
RETURN COUNT { MATCH (c:Customer {id: $id}) } AS customers,
  COUNT { MATCH (i:Identity {kind: 'email', value: $email}) } AS identities,
  COUNT { MATCH (i:Interaction) WHERE i.id IN $events } AS interactions,
  COUNT { MATCH (x:ErasedIdentity {identityHash: $hash}) } AS erasedIdentities
"""
# All that may stay of an erased customer: the hash of their identity.
ERASED = {"customers": 0, "identities": 0, "interactions": 0, "erasedIdentities": 1}
BLOCKED = """
SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n
"""
WAIT_S = 15.0
T = TypeVar("T")


async def _held_open(
    graph: GraphDatabase,
    statements: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]],
    ran: asyncio.Event,
    commit: asyncio.Event,
) -> T:
    """``statements`` in a write transaction kept open, its locks held, until ``commit``."""

    async def work(tx: neo4j.AsyncManagedTransaction) -> T:
        result = await statements(tx)
        ran.set()
        await commit.wait()
        return result

    async with graph.driver.session() as session:
        return await session.execute_write(work)


async def _until_waiting(graph: GraphDatabase, count: int, what: str) -> None:
    """Until Neo4j shows ``count`` transactions waiting for a lock (no other test holds one)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while (await graph.read(BLOCKED, {}))[0]["n"] < count:
        assert asyncio.get_running_loop().time() < deadline, f"{what} never waited"
        await asyncio.sleep(0.02)


async def _known(graph: GraphDatabase) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:10]
    customer, email = f"cus_race_{tag}", f"race-{tag}@example.test"
    await graph.write(KNOWN, {"id": customer, "email": email})
    return customer, email


def _event(email: str, at: datetime) -> ChannelEvent:
    return ChannelEvent(
        id=f"evt-race-{uuid.uuid4().hex[:12]}",
        type=EventType.VIEW,
        at=at,
        identifiers=((IdentityKind.EMAIL, email),),
        sku="FX-P1",
    )


async def _left(graph: GraphDatabase, customer: str, email: str, event: str) -> dict[str, int]:
    params = {"id": customer, "email": email, "events": [event]}
    rows = await graph.read(LEFT, {**params, "hash": identity_hash("email", email)})
    return {key: int(value) for key, value in rows[0].items()}


async def test_an_ingest_meeting_an_open_erasure_waits_then_drops_its_event(
    graph: GraphDatabase,
) -> None:
    customer, email = await _known(graph)
    event = _event(email, datetime.now(UTC))
    ran, commit = asyncio.Event(), asyncio.Event()
    erasing = asyncio.create_task(
        _held_open(
            graph,
            lambda tx: erase_in(tx, customer, NO_ERASURE, "era_race", datetime.now(UTC)),
            ran,
            commit,
        )
    )
    await ran.wait()
    # It read nothing yet: it waits for the erasure's lock on the identity it names.
    ingesting = asyncio.create_task(ingest_events(graph, "web", [event]))
    await _until_waiting(graph, 1, "the ingest")
    commit.set()
    assert await erasing is not None
    result = await ingesting

    assert (result.accepted, result.erased) == (0, 1)
    assert [r.code for r in result.rejected] == [CUSTOMER_ERASED]
    assert await _left(graph, customer, email, event.id) == ERASED


async def test_an_erasure_meeting_an_open_ingest_waits_then_erases_what_it_wrote(
    graph: GraphDatabase,
) -> None:
    customer, email = await _known(graph)
    event = _event(email, datetime.now(UTC))
    ran, commit = asyncio.Event(), asyncio.Event()
    # It reads "not erased" and writes the event, holding the identity and the customer.
    ingesting = asyncio.create_task(
        _held_open(graph, lambda tx: record_batch(tx, "web", [event], IngestPolicy()), ran, commit)
    )
    await ran.wait()
    erasing = asyncio.create_task(erase_customer(graph, customer, NO_ERASURE))
    await _until_waiting(graph, 1, "the erasure")
    commit.set()
    result = await ingesting
    assert (result.accepted, result.customer_ids) == (1, (customer,))
    record = await erasing

    assert record is not None
    assert (record.removed["identities"], record.removed["interactions"]) == (1, 1)
    assert await _left(graph, customer, email, event.id) == ERASED


@pytest.mark.parametrize("first", ["ingest", "erasure"])
async def test_an_ingest_and_an_erasure_starting_together_wait_in_turn_without_a_deadlock(
    graph: GraphDatabase, caplog: pytest.LogCaptureFixture, first: str
) -> None:
    """Both take the customer's identity before the customer: the one that took it first goes
    first and the other waits. The erasure took the customer first before: started first, it
    then waited for the identity the ingest held while the ingest waited for the customer, a
    deadlock Neo4j ended and the driver retried."""
    customer, email = await _known(graph)
    event = _event(email, datetime.now(UTC))
    caplog.set_level(logging.WARNING, logger="neo4j")
    async with graph.driver.session() as session:
        holding = await session.begin_transaction()  # what keeps both at their first lock
        await holding.run(LOCK, {"id": customer})
        starts = {
            "ingest": lambda: ingest_events(graph, "web", [event]),
            "erasure": lambda: erase_customer(graph, customer, NO_ERASURE),
        }
        tasks: dict[str, asyncio.Task[object]] = {}
        for n, which in enumerate([first, *(set(starts) - {first})], start=1):
            tasks[which] = asyncio.ensure_future(starts[which]())
            await _until_waiting(graph, n, f"the {which}")
        await holding.rollback()
    result, record = await tasks["ingest"], await tasks["erasure"]

    assert isinstance(result, IngestResult)
    assert isinstance(record, ErasureRecord)
    assert not [r for r in caplog.records if "retried" in r.getMessage()], "a deadlock was retried"
    # Recorded before the erasure (and erased with the rest), or dropped after it.
    expected = (1, 0, 1) if first == "ingest" else (0, 1, 0)
    assert (result.accepted, result.erased, record.removed["interactions"]) == expected
    assert await _left(graph, customer, email, event.id) == ERASED


async def test_a_late_event_of_an_erased_customer_leaves_no_identity_in_clear(
    graph: GraphDatabase,
) -> None:
    """The ingest creates each identity it locks; one only dropped events named goes again."""
    customer, email = await _known(graph)
    assert await erase_customer(graph, customer, NO_ERASURE) is not None
    event = _event(email, datetime.now(UTC) + timedelta(minutes=1))

    result = await ingest_events(graph, "web", [event])

    assert (result.accepted, result.erased) == (0, 1)
    assert await _left(graph, customer, email, event.id) == ERASED
