import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from graph import GraphDatabase
from graph.seed import CustomerBatch
from graph.seed.loader import load_customer_batch
from tests.conftest import Gateway

SEARCH = """
query($q: String!, $first: Int!, $after: String) {
  searchCustomers(query: $q, first: $first, after: $after) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def namesakes(graph: GraphDatabase) -> AsyncIterator[tuple[str, list[str]]]:
    """Three customers sharing a made-up surname (fresh, removed afterwards)."""
    surname = f"Zq{uuid.uuid4().hex[:8]}"
    names = [f"Agathe {surname}", f"Bruno {surname.upper()}", f"Chloé {surname.lower()}"]
    ids = [f"cus_search_{uuid.uuid4().hex[:12]}" for _ in names]
    at = datetime.now(UTC)
    rows = [{"id": i, "displayName": n, "createdAt": at} for i, n in zip(ids, names, strict=True)]
    await load_customer_batch(graph, CustomerBatch(customers=rows))
    try:
        yield surname, ids
    finally:
        await graph.write("MATCH (c:Customer) WHERE c.id IN $ids DETACH DELETE c", {"ids": ids})


async def test_a_part_of_a_name_finds_customers_in_any_case_a_page_at_a_time(
    gateway: Gateway, namesakes: tuple[str, list[str]]
):
    surname, ids = namesakes
    first = await gateway.query(SEARCH, {"q": f"  {surname.lower()} ", "first": 2})
    assert "errors" not in first, first
    page = first["data"]["searchCustomers"]
    assert [edge["node"]["id"] for edge in page["edges"]] == ids[:2]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gateway.query(
        SEARCH, {"q": surname, "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    page = rest["data"]["searchCustomers"]
    assert [edge["node"]["id"] for edge in page["edges"]] == ids[2:]
    assert page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("typed", ["chloe {s}", "CHLOÉ {S}", "Chloe\u0301 {s}", "CHLOE"])
async def test_a_name_is_found_whether_or_not_the_accents_are_typed(
    gateway: Gateway, namesakes: tuple[str, list[str]], typed: str
):
    surname, ids = namesakes
    text = typed.format(s=surname.lower(), S=surname.upper())
    found, after = [], None
    while True:
        body = await gateway.query(SEARCH, {"q": text, "first": 50, "after": after})
        assert "errors" not in body, body
        page = body["data"]["searchCustomers"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert {"id": ids[2], "displayName": f"Chloé {surname.lower()}"} in found
    assert ids[0] not in [node["id"] for node in found]


async def test_a_name_nobody_has_finds_an_empty_page(gateway: Gateway):
    body = await gateway.query(SEARCH, {"q": f"nobody-{uuid.uuid4().hex}", "first": 5})
    assert body["data"]["searchCustomers"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"q": " a ", "first": 5}, "query"),
        ({"q": "x" * 101, "first": 5}, "query"),
        ({"q": "alice", "first": 51}, "first"),
        ({"q": "alice", "first": 5, "after": "not-a-cursor"}, "after"),
    ],
)
async def test_bad_search_arguments_are_refused_with_bad_user_input(
    gateway: Gateway, variables: dict[str, object], argument: str
):
    body = await gateway.query(SEARCH, variables)
    assert body["data"]["searchCustomers"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
