"""The admin operations of other issues (GDPR export and erasure, analytics) need the `admin`
scope: over GraphQL the field is null with FORBIDDEN, over the export download a 401 or 403."""

from __future__ import annotations

from graph import GraphDatabase
from graph.erasure import customer_id_hash
from tests.access.conftest import MakeCustomer, MakePartner, audit_entries, call
from tests.conftest import Gateway

EXPORT = "query($id: ID!) { exportCustomer(id: $id) }"
ERASE = "mutation($id: ID!) { eraseCustomer(id: $id) { replayed } }"
ANALYTICS = """
{ analytics(from: "2031-03-01T00:00:00Z", to: "2031-03-02T00:00:00Z") { transactions } }
"""


async def test_without_admin_the_admin_fields_are_forbidden_and_nothing_is_erased(
    secure_gateway: Gateway,
    graph: GraphDatabase,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
) -> None:
    customer = await make_customer()
    _, key = await make_partner("customer:read", "pii:read", "cart:write")
    for query, field in ((EXPORT, "exportCustomer"), (ERASE, "eraseCustomer")):
        answer = await call(secure_gateway, query, {"id": customer}, key=key)
        assert answer.data == {field: None}
        assert answer.codes() == {field: "FORBIDDEN"}
    answer = await call(secure_gateway, ANALYTICS, key=key)
    assert answer.data == {"analytics": None}
    assert answer.codes() == {"analytics": "FORBIDDEN"}
    assert await graph.read("MATCH (c:Customer {id: $id}) RETURN c.id AS id", {"id": customer})


async def test_an_admin_partner_exports_and_its_action_is_audited(
    secure_gateway: Gateway,
    graph: GraphDatabase,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
) -> None:
    customer = await make_customer()
    partner, key = await make_partner("admin")
    answer = await call(secure_gateway, EXPORT, {"id": customer}, key=key)
    assert "errors" not in answer.body, answer.body
    assert answer.data["exportCustomer"]["graph"]["profile"]["id"] == customer
    entries = await audit_entries(graph, partner)
    assert [(e["action"], e["customerId"]) for e in entries] == [("admin", customer)]


async def test_the_export_download_needs_credentials_and_the_admin_scope(
    secure_gateway: Gateway,
    graph: GraphDatabase,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
) -> None:
    customer = await make_customer()
    url = f"{secure_gateway.url}/admin/customers/{customer}/export"
    _, reader = await make_partner("customer:read", "pii:read")
    admin, admin_key = await make_partner("admin")
    expected = {None: (401, "UNAUTHENTICATED"), reader: (403, "FORBIDDEN")}
    for key, (status, code) in expected.items():
        headers = {"X-API-Key": key} if key else {}
        async with secure_gateway.session.get(url, headers=headers) as response:
            assert response.status == status
            assert (await response.json())["errors"][0]["extensions"]["code"] == code
            challenge = response.headers.get("WWW-Authenticate")
            assert challenge == ('Bearer realm="parcours"' if status == 401 else None)
    async with secure_gateway.session.get(url, headers={"X-API-Key": admin_key}) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert (await response.json())["customerId"] == customer
    entries = await audit_entries(graph, admin)
    assert [(e["action"], e["customerId"], e["fields"]) for e in entries] == [
        ("admin", customer, ["exportDownload"])
    ]


async def test_an_admin_partners_erasure_is_audited_without_the_erased_id(
    secure_gateway: Gateway,
    graph: GraphDatabase,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
) -> None:
    # The erasure replaces the id by its hash in every entry about the customer; the entry of
    # the erasure itself, written as the request ends, must not bring the id back.
    customer = await make_customer()
    partner, key = await make_partner("admin")
    for _ in range(2):  # the first erasure, then its replay
        answer = await call(secure_gateway, ERASE, {"id": customer}, key=key)
        assert "errors" not in answer.body, answer.body
    rows = await graph.read(
        "MATCH (e:AuditEntry {partnerId: $p}) RETURN e.action AS action, e.fields AS fields, "
        "e.customerId AS customerId, e.customerIdHash AS customerIdHash ORDER BY e.at",
        {"p": partner},
    )
    erased = {"customerId": None, "customerIdHash": customer_id_hash(customer)}
    assert rows == [{"action": "admin", "fields": ["eraseCustomer"], **erased}] * 2
