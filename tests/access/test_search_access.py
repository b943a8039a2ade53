"""``searchCustomers`` through HTTP on the production gateway: searching names is reading personal
data (customer:read and pii:read), and a restricted partner finds only the customers who granted
what it needs, a page at a time."""

from __future__ import annotations

import uuid

from graph import GraphDatabase
from graph.names import fold_name
from tests.access.conftest import MakeCustomer, MakePartner, call
from tests.conftest import Gateway

SEARCH = """
query($q: String!, $first: Int!, $after: String) {
  searchCustomers(query: $q, first: $first, after: $after) {
    edges { node { id } } pageInfo { hasNextPage endCursor }
  }
}
"""
NAME = "MATCH (c:Customer {id: $id}) SET c.displayName = $name, c.searchName = $key"


async def _named(graph: GraphDatabase, make: MakeCustomer, name: str, **consents: bool) -> str:
    customer = await make(**consents)
    await graph.write(NAME, {"id": customer, "name": name, "key": fold_name(name)})
    return customer


async def _all_found(gateway: Gateway, key: str, text: str) -> list[str]:
    """Every customer the search finds for ``text``, one per page."""
    found: list[str] = []
    after = None
    while True:
        answer = await call(gateway, SEARCH, {"q": text, "first": 1, "after": after}, key=key)
        assert answer.codes() == {}, answer.body
        page = answer.data["searchCustomers"]
        found += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_searching_names_needs_customer_read_and_pii_read(
    secure_gateway: Gateway, make_partner: MakePartner
):
    for scopes in ((), ("customer:read",), ("pii:read",)):
        _, key = await make_partner(*scopes)
        refused = await call(secure_gateway, SEARCH, {"q": "Access", "first": 5}, key=key)
        assert refused.data == {"searchCustomers": None}, scopes
        assert refused.codes() == {"searchCustomers": "FORBIDDEN"}, scopes


async def test_a_restricted_partner_finds_only_customers_who_granted_the_purpose(
    secure_gateway: Gateway,
    make_partner: MakePartner,
    make_customer: MakeCustomer,
    graph: GraphDatabase,
):
    tag = uuid.uuid4().hex[:10]
    # Named so that the refusing customers sort between and after the consenting ones.
    first = await _named(graph, make_customer, f"Zq {tag} a", partner_sharing=True)
    await _named(graph, make_customer, f"Zq {tag} b", partner_sharing=False)
    second = await _named(graph, make_customer, f"Zq {tag} c", partner_sharing=True)
    await _named(graph, make_customer, f"Zq {tag} d")
    _, restricted = await make_partner("customer:read", "pii:read", restriction="partner_sharing")
    _, open_key = await make_partner("customer:read", "pii:read")
    assert await _all_found(secure_gateway, restricted, f"zq {tag}") == [first, second]
    assert len(await _all_found(secure_gateway, open_key, f"zq {tag}")) == 4
