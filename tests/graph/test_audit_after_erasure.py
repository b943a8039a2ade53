"""An audit entry written once its customer is erased (a request that read them while the
erasure ran ends after it) holds the id's hash, never the id: the erasure pseudonymised the
entries that existed, and a late one must not write the id back in clear."""

from __future__ import annotations

import uuid

from graph import GraphDatabase, audit
from graph.erasure import ErasureReport, customer_id_hash, erase_customer

ENTRIES = """
MATCH (e:AuditEntry {partnerId: $p})
RETURN e.action AS action, e.customerId AS id, e.customerIdHash AS hash ORDER BY action
"""
CUSTOMER = "CREATE (:Customer {id: $id, displayName: 'Audit Test', createdAt: datetime()})"


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
