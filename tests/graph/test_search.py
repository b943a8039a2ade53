"""Name search on a real Neo4j: typed text and stored names compared folded (any case, any
accents) for customers the seed loader and ingest wrote, pages cut by ``(displayName, id)``, and
an erased customer found no more, by name or by search name."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from graph import GraphDatabase, IdentityKind
from graph import search as name_search
from graph.erasure import ErasureReport, erase_customer
from graph.ingest import ChannelEvent, EventType, anonymous_customer_id, ingest_events
from graph.models import CustomerProfile
from graph.names import fold_name
from graph.search import NameCursor, search_by_name
from graph.seed import CustomerBatch
from graph.seed.loader import load_customer_batch

Seed = Callable[..., Awaitable[list[str]]]


@pytest.fixture
async def seed(graph: GraphDatabase) -> AsyncIterator[Seed]:
    """Customers written by the seed loader, the path ``parcours seed`` takes; removed after."""
    written: list[str] = []

    async def seed(*names: str) -> list[str]:
        ids = [f"cus_names_{uuid.uuid4().hex[:12]}" for _ in names]
        at = datetime.now(UTC)
        pairs = zip(ids, names, strict=True)
        rows = [{"id": i, "displayName": n, "createdAt": at} for i, n in pairs]
        await load_customer_batch(graph, CustomerBatch(customers=rows))
        written.extend(ids)
        return ids

    yield seed
    await graph.write("MATCH (c:Customer) WHERE c.id IN $ids DETACH DELETE c", {"ids": written})


async def _all_found(graph: GraphDatabase, text: str, first: int = 10) -> list[CustomerProfile]:
    """Every customer the search finds for ``text``, ``first`` a page, in page order."""
    found: list[CustomerProfile] = []
    after = None
    while True:
        page = await search_by_name(graph, text, first, after)
        found += page.profiles
        if not page.has_next_page:
            return found
        after = NameCursor(display_name=found[-1].display_name, id=found[-1].id)


def _operators(plan: Any) -> set[str]:
    """Every operator of an EXPLAIN plan (the driver's nested dicts), without its runtime
    suffix (``@neo4j``)."""
    children = plan.get("children", [])
    own = plan["operatorType"].split("@")[0]
    return {own}.union(*(_operators(child) for child in children))


def _tag() -> str:
    return "zq" + uuid.uuid4().hex[:8]


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Hélène Dupré", "helene"),
        ("Hélène Dupré", "DUPRE"),
        ("Hélène Dupré", "hélène dupré"),
        ("Hélène Dupré", "HeLeNe DuPrE"),
        ("Francois Lefevre", "François LEFÈVRE"),  # accents typed where the name has none
        ("Zoé Cœur", "zoe coeur"),
    ],
)
async def test_a_name_is_found_whatever_the_case_and_accents_typed(
    graph: GraphDatabase, seed: Seed, name: str, typed: str
):
    [customer] = await seed(f"{name} {_tag()}")
    found = await _all_found(graph, typed)
    assert customer in [p.id for p in found]
    assert all(fold_name(typed) in fold_name(p.display_name) for p in found)


async def test_pages_of_folded_matches_follow_the_display_name_then_the_id(
    graph: GraphDatabase, seed: Seed
):
    tag = _tag()
    names = [f"Émile {tag}", f"Eloïse {tag}", f"Élodie {tag}", f"Émile {tag}", f"EMILE {tag}"]
    ids = await seed(*names)
    by_name_then_id = [i for _, i in sorted(zip(names, ids, strict=True))]

    paged = await _all_found(graph, tag.upper(), first=2)
    assert [p.id for p in paged] == by_name_then_id

    emiles = await _all_found(graph, f"emile {tag}", first=1)
    assert [p.display_name for p in emiles] == [f"EMILE {tag}", f"Émile {tag}", f"Émile {tag}"]
    assert [p.id for p in emiles] == [i for i in by_name_then_id if i in {ids[0], ids[3], ids[4]}]


async def test_the_matches_are_read_from_the_text_index_not_from_every_customer(
    graph: GraphDatabase,
):
    """The search names' text index exists (migration 10) and the search reads its matches
    from it: at a million customers, ≈ 4 ms for a text nobody's name contains instead of
    ≈ 270 ms (bench/name_search.py)."""
    [index] = await graph.read(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state "
        "WHERE name = 'customer_search_name' RETURN type, labelsOrTypes, properties, state"
    )
    assert index == {
        "type": "TEXT",
        "labelsOrTypes": ["Customer"],
        "properties": ["searchName"],
        "state": "ONLINE",
    }
    params = {"needle": "x", "afterName": None, "afterId": None, "limit": 11, "purposes": []}
    explained = await graph.driver.execute_query(
        "EXPLAIN " + name_search._SEARCH, params, database_=graph.database
    )
    assert "NodeIndexContainsScan" in _operators(explained.summary.plan)


async def test_an_erased_customer_is_found_no_more_and_no_node_keeps_their_name(
    graph: GraphDatabase, seed: Seed
):
    tag = _tag()
    [customer] = await seed(f"Hélène Effacée {tag}")
    assert [p.id for p in await _all_found(graph, f"helene effacee {tag}")] == [customer]

    assert await erase_customer(graph, customer, ErasureReport((), (), 0)) is not None

    assert await _all_found(graph, tag) == []
    holders = await graph.read(
        "MATCH (n) WHERE any(k IN keys(n) WHERE "
        "  CASE WHEN n[k] IS :: STRING THEN n[k] CONTAINS $tag ELSE false END) "
        "RETURN count(n) AS n",
        {"tag": tag},
    )
    assert holders == [{"n": 0}]


async def test_a_visitor_first_seen_by_ingest_gets_the_search_name_of_its_name(
    graph: GraphDatabase,
):
    visitor = f"web-names-{uuid.uuid4().hex[:10]}"
    event = ChannelEvent(
        id=f"evt-names-{uuid.uuid4().hex[:10]}",
        type=EventType.VIEW,
        at=datetime.now(UTC),
        identifiers=((IdentityKind.WEB_ANONYMOUS_ID, visitor),),
        sku="FX-P1",
    )
    await ingest_events(graph, "web", [event])
    customer = anonymous_customer_id(IdentityKind.WEB_ANONYMOUS_ID, visitor)
    try:
        rows = await graph.read(
            "MATCH (c:Customer {id: $id}) RETURN c.displayName AS name, c.searchName AS key",
            {"id": customer},
        )
        [row] = rows
        assert row["key"] == fold_name(row["name"]) == "visiteur anonyme"
    finally:
        await graph.write(
            "MATCH (c:Customer {id: $id}) OPTIONAL MATCH (c)-[:DID|IDENTIFIED_BY]->(n) "
            "DETACH DELETE c, n",
            {"id": customer},
        )


async def test_a_text_of_accents_alone_matches_nobody(graph: GraphDatabase, seed: Seed):
    await seed(f"Zoé {_tag()}")
    page = await search_by_name(graph, "\u0301\u0301", 50)
    assert page.profiles == ()
    assert page.has_next_page is False
