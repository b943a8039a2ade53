"""Field-level scopes through HTTP: a field outside the caller's scopes is null with FORBIDDEN while
permitted fields still resolve; personal data needs pii:read, and each read of it by a partner
is written to the audit log; admin fields are admin's."""

from __future__ import annotations

import uuid

from graph import GraphDatabase
from tests.access.conftest import MakeCustomer, MakePartner, audit_entries, call
from tests.conftest import Gateway

CONTEXT = """
query($c: ID!) { customer(id: $c) {
  id displayName identities { kind value } cart { id }
  history(first: 1) { edges { node { id } } } recommendations(first: 1) { score }
  consents { purpose granted }
} }
"""
ADD = """
mutation($c: ID!, $key: String!) {
  addCartItem(customerId: $c, sku: "FX-P1", channel: PARTNER, idempotencyKey: $key) { version }
}
"""


async def test_fields_outside_the_scopes_are_null_with_forbidden_and_the_rest_resolves(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    customer = await make_customer(marketing=True)
    _, key = await make_partner("customer:read")
    answer = await call(secure_gateway, CONTEXT, {"c": customer}, key=key)
    assert answer.status == 200
    found = answer.data["customer"]
    assert found["id"] == customer
    assert found["consents"] == [{"purpose": "MARKETING", "granted": True}]
    for hidden in ("displayName", "cart", "history", "recommendations"):
        assert found[hidden] is None, hidden
    codes = answer.codes()
    assert codes["customer.displayName"] == "FORBIDDEN"
    assert codes["customer.cart"] == "FORBIDDEN"
    assert codes["customer.history"] == "FORBIDDEN"
    assert codes["customer.recommendations"] == "FORBIDDEN"
    # Identifiers: the loyalty card is an opaque id, the email is personal data.
    values = {i["kind"]: i["value"] for i in found["identities"]}
    assert values["LOYALTY_CARD"].startswith("LC")
    assert values["EMAIL"] is None
    assert "FORBIDDEN" in {code for path, code in codes.items() if "identities" in path}


async def test_without_customer_read_nothing_of_the_customer_is_returned(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    customer = await make_customer()
    _, key = await make_partner("cart:read", "pii:read")
    answer = await call(secure_gateway, CONTEXT, {"c": customer}, key=key)
    assert answer.data == {"customer": None}
    assert answer.codes() == {"customer": "FORBIDDEN"}
    # Catalog reads need no customer scope.
    product = await call(secure_gateway, '{ product(sku: "FX-P1") { sku } }', key=key)
    assert product.data == {"product": {"sku": "FX-P1"}}


async def test_pii_reads_by_a_partner_are_shown_and_audited_in_one_entry_per_customer(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    customer = await make_customer()
    partner_id, key = await make_partner("customer:read", "pii:read")
    answer = await call(secure_gateway, CONTEXT, {"c": customer}, key=key)
    found = answer.data["customer"]
    assert found["displayName"] == "Access Test"
    assert {i["kind"]: i["value"] for i in found["identities"]}["EMAIL"] == (
        f"{customer}@example.test"
    )
    entries = await audit_entries(graph, partner_id)
    assert entries == [
        {"action": "pii_read", "customerId": customer, "fields": ["displayName", "value"]}
    ]
    # A read without personal fields leaves no entry.
    await call(secure_gateway, CONTEXT.replace("displayName", ""), {"c": customer}, key=key)
    assert len(await audit_entries(graph, partner_id)) == 2  # the email value again
    await call(
        secure_gateway, "query($c: ID!) { customer(id: $c) { id } }", {"c": customer}, key=key
    )
    assert len(await audit_entries(graph, partner_id)) == 2


async def test_mutations_need_their_write_scope(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    customer = await make_customer()
    _, reader = await make_partner("customer:read", "cart:read")
    refused = await call(
        secure_gateway, ADD, {"c": customer, "key": f"acc-{uuid.uuid4().hex}"}, key=reader
    )
    assert refused.data == {"addCartItem": None}
    assert refused.codes() == {"addCartItem": "FORBIDDEN"}
    _, writer = await make_partner("cart:write")
    done = await call(
        secure_gateway, ADD, {"c": customer, "key": f"acc-{uuid.uuid4().hex}"}, key=writer
    )
    assert done.data == {"addCartItem": {"version": 1}}


async def test_the_audit_log_is_for_admins_and_records_their_actions(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    customer = await make_customer()
    reader_id, reader = await make_partner("customer:read", "pii:read")
    await call(secure_gateway, CONTEXT, {"c": customer}, key=reader)
    log = (
        "query($after: String) { auditLog(first: 50, after: $after) { edges { cursor "
        "node { partnerId action customerId fields } } pageInfo { hasNextPage endCursor } } }"
    )
    refused = await call(secure_gateway, log, key=reader)
    assert refused.data == {"auditLog": None}
    assert refused.codes() == {"auditLog": "FORBIDDEN"}

    admin_id, admin = await make_partner("admin")
    page = await call(secure_gateway, log, key=admin)
    nodes = [edge["node"] for edge in page.data["auditLog"]["edges"]]
    assert {
        "partnerId": reader_id,
        "action": "pii_read",
        "customerId": customer,
        "fields": ["displayName", "value"],
    } in nodes
    assert await audit_entries(graph, admin_id) == [
        {"action": "admin", "customerId": None, "fields": ["auditLog"]}
    ]
    # Pages follow one another without overlap.
    small = log.replace("first: 50", "first: 1")
    first = (await call(secure_gateway, small, key=admin)).data["auditLog"]
    after = first["pageInfo"]["endCursor"]
    second = (await call(secure_gateway, small, {"after": after}, key=admin)).data["auditLog"]
    assert first["pageInfo"]["hasNextPage"]
    assert second["edges"][0]["cursor"] != first["edges"][0]["cursor"]
