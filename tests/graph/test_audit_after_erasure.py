"""An audit entry written once its customer is erased (a request that read them while the
erasure ran ends after it) holds the id's hash, never the id: the erasure pseudonymised the
entries that existed, and a late one must not write the id back in clear."""

from __future__ import annotations

import asyncio
import uuid

from graph import GraphDatabase, audit
from graph.erasure import ErasureReport, customer_id_hash, erase_customer

ENTRIES = """
MATCH (e:AuditEntry {partnerId: $p})
RETURN e.action AS action, e.customerId AS id, e.customerIdHash AS hash ORDER BY action
"""
CUSTOMER = "CREATE (:Customer {id: $id, displayName: 'Audit Test', createdAt: datetime()})"
LOCK = "MATCH (c:Customer {id: $id}) SET c._lock = true REMOVE c._lock"
# The end of an erasure's transaction, and of an audit write that checked before it.
ERASED = """
MATCH (c:Customer {id: $id}) DETACH DELETE c
CREATE (:ErasureRecord {id: $erasureId, at: datetime(), customerIdHash: $hash})
"""
# As graph.audit writes one (an entry without its action broke a later auditLog read).
ENTRY = """
CREATE (:AuditEntry {id: $entryId, at: datetime(), partnerId: $p, action: 'read', customerId: $id,
                     fields: []})
"""
BLOCKED = """
SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n
"""
WAIT_S = 15.0


async def _until_one_waits(graph: GraphDatabase, what: str) -> None:
    """Until Neo4j shows a transaction waiting for a lock (no other test holds one for long)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while (await graph.read(BLOCKED, {}))[0]["n"] == 0:
        assert asyncio.get_running_loop().time() < deadline, f"{what} never waited"
        await asyncio.sleep(0.02)


def _ids() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return f"partner-audit-{suffix}", f"cus_audit_{suffix}"


async def test_an_entry_about_a_customer_erased_before_it_is_written_holds_only_the_hash(
    graph: GraphDatabase,
):
    partner, customer = _ids()
    await graph.write(CUSTOMER, {"id": customer})
    assert await erase_customer(graph, customer, ErasureReport([], [], 0)) is not None

    await audit.write_entries(
        graph,
        [
            audit.AuditRecord(partner, "a_late_read", customer, ("displayName",)),
            audit.AuditRecord(partner, "b_someone_else", f"{customer}_other", ("displayName",)),
        ],
    )

    assert await graph.read(ENTRIES, {"p": partner}) == [
        {"action": "a_late_read", "id": None, "hash": customer_id_hash(customer)},
        {"action": "b_someone_else", "id": f"{customer}_other", "hash": None},
    ]


async def test_an_entry_about_a_profile_back_under_an_erased_id_keeps_the_id(
    graph: GraphDatabase,
):
    # A guest's id derives from its identifier: a profile back under it is a new profile, whose
    # own erasure pseudonymises its entries (and a replay finds them by id until then).
    partner, customer = _ids()
    await graph.write(CUSTOMER, {"id": customer})
    assert await erase_customer(graph, customer, ErasureReport([], [], 0)) is not None
    await graph.write(CUSTOMER, {"id": customer})

    await audit.write_entries(graph, [audit.AuditRecord(partner, "read", customer, ("x",))])

    assert await graph.read(ENTRIES, {"p": partner}) == [
        {"action": "read", "id": customer, "hash": None}
    ]


async def test_an_entry_written_while_an_erasure_holds_the_customer_waits_and_gets_the_hash(
    graph: GraphDatabase,
):
    partner, customer = _ids()
    await graph.write(CUSTOMER, {"id": customer})
    async with graph.driver.session() as session:
        erasing = await session.begin_transaction()
        await erasing.run(LOCK, {"id": customer})  # what the erasure's transaction does first
        record = audit.AuditRecord(partner, "read", customer, ("displayName",))
        writing = asyncio.create_task(audit.write_entries(graph, [record]))
        await _until_one_waits(graph, "the audit write")
        hashed = customer_id_hash(customer)
        await erasing.run(ERASED, {"id": customer, "erasureId": partner, "hash": hashed})
        await erasing.commit()
    await writing

    assert await graph.read(ENTRIES, {"p": partner}) == [
        {"action": "read", "id": None, "hash": hashed}
    ]


async def test_an_erasure_meeting_an_entry_being_written_waits_and_pseudonymises_it(
    graph: GraphDatabase,
):
    partner, customer = _ids()
    await graph.write(CUSTOMER, {"id": customer})
    async with graph.driver.session() as session:
        # An audit write that found no erasure record, not committed yet.
        writing = await session.begin_transaction()
        await writing.run(LOCK, {"id": customer})
        await writing.run(ENTRY, {"entryId": partner, "p": partner, "id": customer})
        erasing = asyncio.create_task(erase_customer(graph, customer, ErasureReport([], [], 0)))
        await _until_one_waits(graph, "the erasure")
        await writing.commit()
    erased = await erasing

    assert erased is not None
    assert erased.removed["auditEntriesPseudonymised"] == 1
    assert await graph.read(ENTRIES, {"p": partner}) == [
        {"action": "read", "id": None, "hash": customer_id_hash(customer)}
    ]
