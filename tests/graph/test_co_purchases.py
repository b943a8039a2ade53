"""The co-purchase table behind recommendations, rebuilt on a small graph of its own products."""

import uuid
from collections.abc import AsyncIterator
from typing import Any, LiteralString

import pytest
from redis.asyncio import Redis

from gateway.co_purchase_refresh import LEASE_KEY, refresh_once
from graph import GraphDatabase, co_purchases, consents, erasure
from graph.identities import IdentityKind
from graph.stitching import LinkRequest, StitchPolicy, link_identity
from tests.conftest import Services

_PRODUCTS = "UNWIND $skus AS sku CREATE (:Product {sku: sku, name: sku, category: 'test'})"
_TOUCH = """
UNWIND $rows AS row
MERGE (c:Customer {id: row.customer})
WITH c, row MATCH (p:Product {sku: row.sku})
CREATE (c)-[:DID]->(:Interaction {id: randomUUID(), at: datetime(), type: row.type,
                                  channel: 'web'})-[:ABOUT]->(p)
"""
_TABLE = """
UNWIND $skus AS sku
MATCH (s:Product {sku: sku})-[a:ALSO_BOUGHT]->(r:Product)
RETURN s.sku AS seed, r.sku AS rec, a.purchases AS purchases ORDER BY seed, rec
"""
_CLEAN = """
UNWIND $customers AS id MATCH (c:Customer {id: id})-[:DID]->(i:Interaction) DETACH DELETE i
WITH DISTINCT id MATCH (c:Customer {id: id}) DETACH DELETE c
"""


@pytest.fixture
async def shop(graph: GraphDatabase) -> AsyncIterator[tuple[list[str], list[str]]]:
    tag = uuid.uuid4().hex[:8]
    skus = [f"CP-{tag}-{n}" for n in range(4)]
    customers = [f"cus_cp_{tag}_{n}" for n in range(3)]
    await graph.write(_PRODUCTS, {"skus": skus})
    try:
        yield skus, customers
    finally:
        await graph.write(_CLEAN, {"customers": customers})
        await graph.write(
            "UNWIND $skus AS sku MATCH (p:Product {sku: sku}) DETACH DELETE p", {"skus": skus}
        )


async def _touch(graph: GraphDatabase, rows: list[tuple[str, str, str]]) -> None:
    await graph.write(_TOUCH, {"rows": [{"customer": c, "sku": s, "type": t} for c, s, t in rows]})


async def _table(graph: GraphDatabase, skus: list[str]) -> list[tuple[str, str, int]]:
    rows = await graph.read(_TABLE, {"skus": skus})
    return [(row["seed"], row["rec"], row["purchases"]) for row in rows]


async def test_the_table_counts_purchases_by_customers_who_touched_each_product(
    graph: GraphDatabase, shop: tuple[list[str], list[str]]
):
    (a, b, c, d), (x, y, z) = shop
    await _touch(
        graph,
        [
            (x, a, "view"),
            (x, b, "purchase"),
            (x, b, "purchase"),  # x saw a, bought b twice
            (y, a, "add_to_cart"),
            (y, c, "purchase"),  # y: a then c
            (z, d, "view"),  # z bought nothing: no row comes from z
        ],
    )
    done: list[tuple[int, int]] = []
    written = await co_purchases.refresh(
        graph, lambda n, total: done.append((n, total)), [a, b, c, d]
    )
    # a: x bought b twice, y bought c. b and c: their touchers bought nothing else. d: z bought
    # nothing.
    assert await _table(graph, [a, b, c, d]) == [(a, b, 2), (a, c, 1)]
    assert written == 2
    assert done == [(4, 4)]


async def test_a_refusal_and_an_erasure_leave_the_counts_at_once_and_only_once(
    graph: GraphDatabase, shop: tuple[list[str], list[str]]
):
    """They were counted until the next rebuild (and a refusal even then)."""
    (a, b, c, d), (x, y, _) = shop
    await _touch(
        graph,
        [
            (x, a, "view"),
            (x, b, "purchase"),
            (x, b, "purchase"),
            (y, a, "view"),
            (y, b, "purchase"),
            (y, c, "purchase"),
        ],
    )
    await co_purchases.refresh(graph, skus=[a, b, c, d])
    assert await _table(graph, [a, b, c]) == [(a, b, 3), (a, c, 1), (b, c, 1), (c, b, 1)]

    await consents.set_consent(graph, x, "personalisation", False, "web")
    assert await _table(graph, [a, b, c]) == [(a, b, 1), (a, c, 1), (b, c, 1), (c, b, 1)]
    await consents.set_consent(graph, x, "personalisation", False, "web")  # no second time
    await consents.set_consent(graph, x, "marketing", False, "web")
    assert await _table(graph, [a, b, c]) == [(a, b, 1), (a, c, 1), (b, c, 1), (c, b, 1)]
    await co_purchases.refresh(graph, skus=[a, b, c, d])  # the rebuild leaves x out too
    assert await _table(graph, [a, b, c]) == [(a, b, 1), (a, c, 1), (b, c, 1), (c, b, 1)]

    await erasure.erase_customer(graph, y, erasure.ErasureReport((), (), 0))
    assert await _table(graph, [a, b, c]) == []


async def test_a_grant_after_a_refusal_counts_the_customer_again_at_once_and_only_once(
    graph: GraphDatabase, shop: tuple[list[str], list[str]]
):
    """It counted only from the next rebuild, while the refusal withdrew at once."""
    (a, b, c, d), (x, y, _) = shop
    await _touch(
        graph,
        [
            (x, a, "view"),
            (x, b, "purchase"),
            (x, b, "purchase"),
            (x, d, "purchase"),  # d: a pair only x made, deleted at 0 by the refusal
            (y, a, "view"),
            (y, b, "purchase"),
            (y, c, "purchase"),
        ],
    )
    await co_purchases.refresh(graph, skus=[a, b, c, d])
    counted = [(a, b, 3), (a, c, 1), (a, d, 1), (b, c, 1), (b, d, 1), (c, b, 1), (d, b, 2)]
    assert await _table(graph, [a, b, c, d]) == counted
    await consents.set_consent(graph, y, "personalisation", True, "web")  # counted already
    assert await _table(graph, [a, b, c, d]) == counted

    await consents.set_consent(graph, x, "personalisation", False, "web")
    assert await _table(graph, [a, b, c, d]) == [(a, b, 1), (a, c, 1), (b, c, 1), (c, b, 1)]
    await consents.set_consent(graph, x, "personalisation", True, "web")
    assert await _table(graph, [a, b, c, d]) == counted
    await consents.set_consent(graph, x, "personalisation", True, "web")  # no second time
    await consents.set_consent(graph, x, "marketing", True, "web")
    assert await _table(graph, [a, b, c, d]) == counted
    await co_purchases.refresh(graph, skus=[a, b, c, d])  # the rebuild counts x once too
    assert await _table(graph, [a, b, c, d]) == counted


async def test_a_grant_keeps_each_list_to_its_best_products(
    graph: GraphDatabase, shop: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
):
    """A pair the grant adds enters a full list only above its last, which then leaves."""
    monkeypatch.setattr(co_purchases, "PER_PRODUCT", 2)
    (a, b, c, d), (x, y, z) = shop
    await _touch(
        graph,
        [
            *[(y, a, "view"), (y, b, "purchase"), (y, b, "purchase"), (y, c, "purchase")],
            *[(x, a, "view"), (x, d, "purchase"), (x, d, "purchase"), (x, d, "purchase")],
            *[(z, a, "view"), (z, c, "purchase")],
        ],
    )
    await consents.set_consent(graph, x, "personalisation", False, "web")
    await co_purchases.refresh(graph, skus=[a])
    assert await _table(graph, [a]) == [(a, b, 2), (a, c, 2)]
    await consents.set_consent(graph, x, "personalisation", True, "web")
    # d's 3 passes c's 2 (the last); the list stays at two.
    assert await _table(graph, [a]) == [(a, b, 2), (a, d, 3)]


async def test_a_decision_made_while_a_rebuild_counts_holds_once_it_is_done(
    graph: GraphDatabase, shop: tuple[list[str], list[str]]
):
    """x refuses after the rebuild's counting read, before its first write (its lists then
    counted x until the next rebuild, the refusal's withdrawal overwritten); y, refused when
    the read ran, grants there. Each is counted as decided, and the flags agree with it: a later
    refusal by y and a grant by x each move the counts once."""
    (a, b, c, d), (x, y, _) = shop
    await _touch(
        graph,
        [(x, a, "view"), (x, b, "purchase"), (y, a, "view"), (y, c, "purchase")],
    )
    await consents.set_consent(graph, y, "personalisation", False, "web")
    await co_purchases.refresh(graph, skus=[a, b, c, d])
    assert await _table(graph, [a, b, c, d]) == [(a, b, 1)]

    decided: list[str] = []

    async def decide_between_read_and_writes() -> bool:
        if not decided:
            decided.append(x)
            await consents.set_consent(graph, x, "personalisation", False, "web")
            await consents.set_consent(graph, y, "personalisation", True, "web")
        return True

    await co_purchases.refresh(graph, skus=[a, b], keep_going=decide_between_read_and_writes)
    assert decided == [x]
    assert await _table(graph, [a, b, c, d]) == [(a, c, 1)]

    await consents.set_consent(graph, x, "personalisation", True, "web")
    assert await _table(graph, [a, b, c, d]) == [(a, b, 1), (a, c, 1)]
    await consents.set_consent(graph, y, "personalisation", False, "web")
    assert await _table(graph, [a, b, c, d]) == [(a, b, 1)]


async def test_a_refusal_a_merge_hands_to_the_survivor_withdraws_the_survivor_at_once(
    graph: GraphDatabase, shop: tuple[list[str], list[str]]
):
    """The guest refused personalisation, the known customer had decided nothing: after the
    merge the guest's refusal is theirs, so their purchases leave the counts too."""
    (a, b, _, _), (x, y, _) = shop
    await _touch(graph, [(x, a, "view"), (x, b, "purchase"), (y, a, "view"), (y, b, "purchase")])
    email = f"{x}@example.com"
    await graph.write(
        "UNWIND $rows AS row MATCH (c:Customer {id: row[0]}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->"
        "(:Identity {kind: row[1], value: row[2]})",
        {"rows": [[x, "email", email], [y, "web_anonymous_id", f"web-{y}"]]},
    )
    await co_purchases.refresh(graph, skus=[a, b])
    await consents.set_consent(graph, y, "personalisation", False, "web")
    assert await _table(graph, [a, b]) == [(a, b, 1)]  # x's purchase alone

    request = LinkRequest(y, IdentityKind.EMAIL, email, "web", StitchPolicy())
    outcome = await link_identity(graph, request)
    assert (outcome.outcome, outcome.customer_id) == ("MERGED", x)
    assert await _table(graph, [a, b]) == []


async def test_a_rebuild_replaces_the_lists_it_covers(
    graph: GraphDatabase, shop: tuple[list[str], list[str]]
):
    (a, b, c, _), (x, y, _) = shop
    await _touch(graph, [(x, a, "view"), (x, b, "purchase")])
    await co_purchases.refresh(graph, skus=[a, b])
    assert await _table(graph, [a, b]) == [(a, b, 1)]
    await _touch(graph, [(y, a, "view"), (y, b, "purchase"), (y, c, "purchase")])
    await co_purchases.refresh(graph, skus=[a, b])
    # a's touchers (x, y) bought b twice and c once; b's touchers bought c once.
    assert await _table(graph, [a, b]) == [(a, b, 2), (a, c, 1), (b, c, 1)]


async def test_one_instance_at_a_time_holds_the_refresh_lease(
    services: Services, graph: GraphDatabase
):
    redis = Redis.from_url(services.redis.config.url)
    try:
        await redis.set(LEASE_KEY, "other-instance", ex=60)
        assert await refresh_once(graph, redis, lease_s=60) is False
        assert await redis.get(LEASE_KEY) == b"other-instance"
    finally:
        await redis.delete(LEASE_KEY)
        await redis.aclose()


async def test_a_refresh_whose_lease_passed_to_another_instance_stops_before_its_next_write(
    services: Services, graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(co_purchases, "PRODUCTS_PER_TRANSACTION", 1)
    redis = Redis.from_url(services.redis.config.url)
    await redis.delete(LEASE_KEY)
    lists_written: list[int] = []
    write = graph.write

    async def write_then_stall(
        query: LiteralString, params: Any = None, timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        rows = await write(query, params, timeout_s)
        if "ALSO_BOUGHT" in query:
            lists_written.append(len(params["lists"]))
            # This instance stalled past its lease; another took it and is rebuilding.
            await redis.set(LEASE_KEY, "other-instance", ex=60)
        return rows

    monkeypatch.setattr(graph, "write", write_then_stall)
    try:
        assert await refresh_once(graph, redis, lease_s=60) is False
        assert lists_written == [1]
        assert await redis.get(LEASE_KEY) == b"other-instance"
    finally:
        await redis.delete(LEASE_KEY)
        await redis.aclose()
