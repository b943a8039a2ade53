"""The shared cart's mutations: versioned, idempotent, all-or-nothing, safe under concurrency."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest

from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway

ADD = """
mutation($c: ID!, $sku: ID!, $q: Int!, $key: String!, $v: Int, $ch: Channel!) {
  addCartItem(customerId: $c, sku: $sku, quantity: $q, channel: $ch, idempotencyKey: $key,
              expectedVersion: $v) {
    id version lines { quantity addedVia product { sku } }
  }
}
"""
SET = """
mutation($c: ID!, $sku: ID!, $q: Int!, $key: String!, $v: Int, $ch: Channel!) {
  setCartItemQuantity(customerId: $c, sku: $sku, quantity: $q, channel: $ch,
                      idempotencyKey: $key, expectedVersion: $v) { version lines { quantity } }
}
"""
REMOVE = """
mutation($c: ID!, $sku: ID!, $key: String!) {
  removeCartItem(customerId: $c, sku: $sku, channel: WEB, idempotencyKey: $key) {
    version lines { product { sku } } }
}
"""
CLEAR = """
mutation($c: ID!, $key: String!) {
  clearCart(customerId: $c, channel: APP, idempotencyKey: $key) { version lines { quantity } }
}
"""
READ = "query($c: ID!) { customer(id: $c) { cart { version lines { quantity product { sku } } } } }"


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
async def new_customers(graph: GraphDatabase):
    async def make(count: int = 1) -> list[str]:
        ids = [f"cus_cart_{uuid.uuid4().hex[:12]}" for _ in range(count)]
        await graph.write(
            "UNWIND $ids AS id CREATE (:Customer {id: id, displayName: 'Cart Test', "
            "createdAt: datetime()})",
            {"ids": ids},
        )
        return ids

    return make


async def _add(
    gateway: Gateway,
    customer: str,
    *,
    sku: str = "FX-P1",
    quantity: int = 1,
    version: int | None = None,
    channel: str = "STORE",
    idem: str | None = None,
):
    return await gateway.query(
        ADD,
        {
            "c": customer,
            "sku": sku,
            "q": quantity,
            "key": idem or key(),
            "v": version,
            "ch": channel,
        },
    )


async def test_adding_creates_the_cart_then_increments_the_line_and_the_version(
    gateway: Gateway, new_customers
):
    [customer] = await new_customers()
    first = (await _add(gateway, customer, quantity=2))["data"]["addCartItem"]
    assert first["version"] == 1
    assert first["lines"] == [{"quantity": 2, "addedVia": "STORE", "product": {"sku": "FX-P1"}}]
    second = (await _add(gateway, customer, quantity=3, channel="APP"))["data"]["addCartItem"]
    assert second["version"] == 2
    assert second["lines"] == [{"quantity": 5, "addedVia": "STORE", "product": {"sku": "FX-P1"}}]
    read = await gateway.query(READ, {"c": customer})
    assert read["data"]["customer"]["cart"] == {
        "version": 2,
        "lines": [{"quantity": 5, "product": {"sku": "FX-P1"}}],
    }


async def test_a_replayed_key_returns_the_first_answer_with_no_second_effect(
    gateway: Gateway, new_customers
):
    [customer] = await new_customers()
    idem = key()
    first = await _add(gateway, customer, quantity=2, idem=idem)
    replay = await _add(gateway, customer, quantity=2, idem=idem)
    assert replay["data"] == first["data"]
    read = await gateway.query(READ, {"c": customer})
    assert read["data"]["customer"]["cart"]["version"] == 1
    assert read["data"]["customer"]["cart"]["lines"][0]["quantity"] == 2


async def test_a_key_reused_with_other_arguments_is_bad_user_input(gateway: Gateway, new_customers):
    [customer] = await new_customers()
    idem = key()
    await _add(gateway, customer, quantity=2, idem=idem)
    body = await _add(gateway, customer, quantity=3, idem=idem)
    assert body["data"]["addCartItem"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["argument"] == "idempotencyKey"


async def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(
    gateway: Gateway, new_customers
):
    [customer] = await new_customers()
    await _add(gateway, customer)
    await _add(gateway, customer, sku="FX-P2")
    body = await _add(gateway, customer, sku="FX-P3", version=1)
    assert body["data"]["addCartItem"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VERSION_CONFLICT"
    assert error["extensions"]["argument"] == "expectedVersion"  # as every refusal of input
    assert error["extensions"]["currentVersion"] == 2
    cart = (await gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"]
    assert cart["version"] == 2
    assert [line["product"]["sku"] for line in cart["lines"]] == ["FX-P1", "FX-P2"]


async def test_set_remove_and_clear_each_bump_the_version(gateway: Gateway, new_customers):
    [customer] = await new_customers()
    await _add(gateway, customer)
    await _add(gateway, customer, sku="FX-P2")
    body = await gateway.query(
        SET, {"c": customer, "sku": "FX-P1", "q": 7, "key": key(), "v": 2, "ch": "WEB"}
    )
    assert body["data"]["setCartItemQuantity"] == {
        "version": 3,
        "lines": [{"quantity": 7}, {"quantity": 1}],
    }
    body = await gateway.query(REMOVE, {"c": customer, "sku": "FX-P2", "key": key()})
    assert body["data"]["removeCartItem"] == {
        "version": 4,
        "lines": [{"product": {"sku": "FX-P1"}}],
    }
    body = await gateway.query(CLEAR, {"c": customer, "key": key()})
    assert body["data"]["clearCart"] == {"version": 5, "lines": []}


async def test_unknown_things_are_not_found_and_bad_arguments_never_reach_the_graph(
    gateway: Gateway, new_customers
):
    [customer] = await new_customers()
    unknown_sku = await _add(gateway, customer, sku="FX-NOPE")
    assert unknown_sku["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    unknown_customer = await _add(gateway, "cus_nobody_here")
    assert unknown_customer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    missing_line = await gateway.query(REMOVE, {"c": customer, "sku": "FX-P5", "key": key()})
    assert missing_line["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"] is None
    for bad in ({"q": 0}, {"q": 1000}, {"key": "short"}, {"sku": "FX P1"}):
        variables = {
            "c": customer,
            "sku": "FX-P1",
            "q": 1,
            "key": key(),
            "v": None,
            "ch": "WEB",
            **bad,
        }
        body = await gateway.query(ADD, variables)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
        assert body["extensions"]["cypherRoundTrips"] == 0


@pytest.mark.timeout(180)
async def test_concurrent_conflicting_pairs_have_exactly_one_winner_each(
    gateway: Gateway, new_customers
):
    customers = await new_customers(100)
    await asyncio.gather(*(_add(gateway, c) for c in customers))  # every cart at version 1

    def set_quantity(customer: str, quantity: int, channel: str):
        return gateway.query(
            SET, {"c": customer, "sku": "FX-P1", "q": quantity, "key": key(), "v": 1, "ch": channel}
        )

    # The two calls of a pair race each other; pairs are let in ten at a time so that a loaded CI
    # machine does not queue 200 requests past the client's timeout (only pairs can conflict).
    pairs_at_once = asyncio.Semaphore(10)

    async def race(n: int, customer: str) -> list[dict]:
        async with pairs_at_once:
            return list(
                await asyncio.gather(
                    set_quantity(customer, 10 + n, "WEB"), set_quantity(customer, 500 + n, "STORE")
                )
            )

    answers = await asyncio.gather(*(race(n, c) for n, c in enumerate(customers)))
    for n, customer in enumerate(customers):
        web, store = answers[n]
        winners = [a for a in (web, store) if a["data"]["setCartItemQuantity"] is not None]
        losers = [a for a in (web, store) if a["data"]["setCartItemQuantity"] is None]
        assert len(winners) == 1
        assert len(losers) == 1
        assert losers[0]["errors"][0]["extensions"]["code"] == "VERSION_CONFLICT"
        expected = 10 + n if winners[0] is web else 500 + n
        cart = (await gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"]
        assert cart["version"] == 2
        assert cart["lines"] == [{"quantity": expected, "product": {"sku": "FX-P1"}}]


# Adds sent at once to one cart: each waits for the customer's lock behind the others, so the
# last one's statement runs for about as many lock holds as there are adds. Fewer than the
# gateway's 50 Neo4j connections (`GraphDatabase.connect`'s pool), so none also waits for a
# connection (bounded at 10 s whatever the statement timeout); every one is in a transaction
# queued on the same lock at the same time.
CONCURRENT_ADDS = 40
# At a load average of 15-27 a lock hold took over 150 ms: 200 adds behind one lock outlasted
# the 10 s statement timeout (and the 10 s wait for a pool connection). The patient gateway's
# statements may wait for the whole queue on a host many times slower than that.
PATIENT_TIMEOUT_S = 300.0


@pytest.fixture
async def patient(services: Services, graph: GraphDatabase) -> AsyncIterator[Gateway]:
    """A gateway (same graph and Redis) whose statements Neo4j stops only after
    ``PATIENT_TIMEOUT_S``, and a client that waits for its answers as long."""
    settings = services.settings(neo4j_query_timeout_s=PATIENT_TIMEOUT_S)
    async with running_gateway(settings) as running:
        timeout = aiohttp.ClientTimeout(total=PATIENT_TIMEOUT_S + 60)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            yield Gateway(url=running.url, session=session)


@pytest.mark.timeout(600)
async def test_concurrent_adds_without_expected_version_lose_no_update(
    patient: Gateway, new_customers
):
    [customer] = await new_customers()
    answers = await asyncio.gather(*(_add(patient, customer) for _ in range(CONCURRENT_ADDS)))
    assert [answer.get("errors") for answer in answers] == [None] * CONCURRENT_ADDS
    # Each add saw the version the previous one left: none read a cart another was changing.
    versions = sorted(answer["data"]["addCartItem"]["version"] for answer in answers)
    assert versions == list(range(1, CONCURRENT_ADDS + 1))
    cart = (await patient.query(READ, {"c": customer}))["data"]["customer"]["cart"]
    line = {"quantity": CONCURRENT_ADDS, "product": {"sku": "FX-P1"}}
    assert cart == {"version": CONCURRENT_ADDS, "lines": [line]}


async def test_a_line_past_the_maximum_is_refused_and_the_cart_left_as_it_was(
    gateway: Gateway, new_customers
):
    [customer] = await new_customers()
    await _add(gateway, customer, quantity=999)
    idem = key()
    refused = await _add(gateway, customer, quantity=1, idem=idem)
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "quantity"  # as every other quantity refusal
    assert "999" in error["message"]
    cart = (await gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"]
    assert cart == {"version": 1, "lines": [{"quantity": 999, "product": {"sku": "FX-P1"}}]}
    # Nothing of the refused change was kept, its key included: the retry is refused again.
    again = await _add(gateway, customer, quantity=1, idem=idem)
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_expired_key_applies_the_change_again(
    gateway: Gateway, graph: GraphDatabase, new_customers
):
    [customer] = await new_customers()
    idem = key()
    await _add(gateway, customer, quantity=2, idem=idem)
    await graph.write(
        "MATCH (k:IdempotencyKey {key: $key}) SET k.expiresAt = datetime() - duration('PT1S')",
        {"key": f"anonymous:{idem}"},
    )
    again = (await _add(gateway, customer, quantity=2, idem=idem))["data"]["addCartItem"]
    assert again["version"] == 2
    assert again["lines"][0]["quantity"] == 4
    replay = (await _add(gateway, customer, quantity=2, idem=idem))["data"]["addCartItem"]
    assert replay == again


FULL_ADD = """
mutation($c: ID!, $sku: ID!, $key: String!) {
  addCartItem(customerId: $c, sku: $sku, quantity: 2, channel: APP, idempotencyKey: $key) {
    id version status updatedAt itemCount
    lines { quantity addedAt addedVia product { sku name category brand } }
  }
}
"""


async def test_a_replay_returns_every_field_of_the_first_answer_after_later_changes(
    gateway: Gateway, new_customers
):
    [customer] = await new_customers()
    await _add(gateway, customer, sku="FX-P2")
    idem = key()
    first = await gateway.query(FULL_ADD, {"c": customer, "sku": "FX-P1", "key": idem})
    assert [line["product"]["sku"] for line in first["data"]["addCartItem"]["lines"]] == [
        "FX-P2",
        "FX-P1",
    ]
    await _add(gateway, customer, sku="FX-P3")  # the cart moves on: the replay must not
    replay = await gateway.query(FULL_ADD, {"c": customer, "sku": "FX-P1", "key": idem})
    assert replay["data"] == first["data"]
    assert replay["extensions"]["cypherRoundTrips"] == 1


async def test_a_key_kept_with_a_json_answer_still_replays_it(
    gateway: Gateway, graph: GraphDatabase, new_customers
):
    # Keys kept before the answer moved to the key's own properties hold it as JSON.
    [customer] = await new_customers()
    idem = key()
    first = await gateway.query(FULL_ADD, {"c": customer, "sku": "FX-P1", "key": idem})
    cart = first["data"]["addCartItem"]
    line = cart["lines"][0]
    stored = {
        "id": cart["id"],
        "version": cart["version"],
        "status": cart["status"],
        "updatedAt": cart["updatedAt"],
        "lines": [
            {
                "sku": "FX-P1",
                "name": "Kept name",
                "category": line["product"]["category"],
                "brand": line["product"]["brand"],
                "qty": 2,
                "addedAt": line["addedAt"],
                "addedVia": "app",
            }
        ],
    }
    await graph.write(
        "MATCH (k:IdempotencyKey {key: $key}) "
        "REMOVE k.cartId, k.cartVersion, k.cartStatus, k.cartUpdatedAt, k.lineSkus, "
        "k.lineNames, k.lineCategories, k.lineBrands, k.lineQtys, k.lineAddedAts, "
        "k.lineAddedVias SET k.response = $response",
        {"key": f"anonymous:{idem}", "response": json.dumps(stored)},
    )
    replay = (await gateway.query(FULL_ADD, {"c": customer, "sku": "FX-P1", "key": idem}))["data"]
    assert replay["addCartItem"]["lines"][0]["product"]["name"] == "Kept name"
    assert {**replay["addCartItem"], "lines": None} == {**cart, "lines": None}


@pytest.fixture
async def full_cart(graph: GraphDatabase, new_customers):
    """A customer whose cart holds 100 products, and a 101st product to try to add."""
    [customer] = await new_customers()
    tag = uuid.uuid4().hex[:8]
    skus = [f"FULL-{tag}-{n:03d}" for n in range(101)]
    await graph.write(
        "UNWIND $skus AS sku CREATE (:Product {sku: sku, name: sku, category: 'test', "
        "brand: 'Test'})",
        {"skus": skus},
    )
    await graph.write(
        "MATCH (c:Customer {id: $id}) "
        "CREATE (c)-[:HAS_CART]->(k:Cart {id: $cart, version: 100, status: 'active', "
        "updatedAt: datetime()}) "
        "WITH k UNWIND $skus AS sku MATCH (p:Product {sku: sku}) "
        "CREATE (k)-[:CONTAINS {qty: 1, addedAt: datetime(), addedVia: 'web'}]->(p)",
        {"id": customer, "cart": f"cart-{customer}", "skus": skus[:100]},
    )
    try:
        yield customer, skus
    finally:
        await graph.write(
            "MATCH (c:Customer {id: $id})-[:HAS_CART]->(k:Cart) DETACH DELETE k", {"id": customer}
        )
        await graph.write(
            "UNWIND $skus AS sku MATCH (p:Product {sku: sku}) DETACH DELETE p", {"skus": skus}
        )


async def test_a_cart_holds_at_most_100_products_and_a_101st_is_bad_user_input_naming_sku(
    gateway: Gateway, full_cart
):
    customer, skus = full_cart
    added = await _add(gateway, customer, sku=skus[100])
    assert added["data"]["addCartItem"] is None
    [error] = added["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["argument"] == "sku"
    assert error["extensions"]["maxLines"] == 100
    set_new = await gateway.query(
        SET, {"c": customer, "sku": skus[100], "q": 2, "key": key(), "v": None, "ch": "WEB"}
    )
    assert set_new["errors"][0]["extensions"]["argument"] == "sku"
    cart = (await gateway.query(READ, {"c": customer}))["data"]["customer"]["cart"]
    assert (cart["version"], len(cart["lines"])) == (100, 100)
    # A product already in the full cart can still take more units.
    more = await _add(gateway, customer, sku=skus[0], quantity=2)
    assert more["data"]["addCartItem"]["version"] == 101, more


# Everything a cart change could write: the customer (its lock counter `cartLock` included), their
# carts, and the keys kept for them.
WRITTEN = """
MATCH (c:Customer {id: $id})
RETURN properties(c) AS customer,
       COLLECT { MATCH (c)-[:HAS_CART]->(k:Cart) RETURN properties(k) } AS carts,
       COLLECT { MATCH (key:IdempotencyKey {customerId: $id}) RETURN properties(key) } AS keys
"""


@pytest.mark.parametrize(
    "refusal", ["stale version", "unknown product", "no such line", "line full", "key reused"]
)
async def test_a_refused_change_writes_nothing_not_even_the_lock_counter(
    gateway: Gateway, graph: GraphDatabase, new_customers, refusal: str
):
    # The statement takes the customer's lock by bumping `cartLock`; a refused change committed
    # that bump: a write (a transaction log entry) for a change that changed nothing.
    [customer] = await new_customers()
    idem = key()
    await _add(gateway, customer, quantity=999, idem=idem)
    [before] = await graph.read(WRITTEN, {"id": customer})
    if refusal == "stale version":
        answer = await _add(gateway, customer, version=0)
    elif refusal == "unknown product":
        answer = await _add(gateway, customer, sku=f"FX-NOPE-{uuid.uuid4().hex[:8]}")
    elif refusal == "no such line":
        answer = await gateway.query(REMOVE, {"c": customer, "sku": "FX-P2", "key": key()})
    elif refusal == "line full":
        answer = await _add(gateway, customer, quantity=1)
    else:
        answer = await _add(gateway, customer, quantity=2, idem=idem)
    assert answer["errors"], answer
    [after] = await graph.read(WRITTEN, {"id": customer})
    assert after == before


async def test_a_replay_writes_nothing_not_even_the_lock_counter(
    gateway: Gateway, graph: GraphDatabase, new_customers
):
    [customer] = await new_customers()
    idem = key()
    first = await _add(gateway, customer, quantity=2, idem=idem)
    [before] = await graph.read(WRITTEN, {"id": customer})
    assert before["customer"]["cartLock"] == 1  # the applied change took the lock: kept
    assert (await _add(gateway, customer, quantity=2, idem=idem))["data"] == first["data"]
    [after] = await graph.read(WRITTEN, {"id": customer})
    assert after == before
