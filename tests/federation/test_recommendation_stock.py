"""Recommendations leave out what the OMS cannot sell, and stand unchecked when it is down."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.services import free_port
from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import Systems, federated_settings

RECOMMEND = """
query($c: ID!, $first: Int!) {
  customer(id: $c) { recommendations(first: $first) { product { sku } } }
}
"""


async def _sold_out_sku(systems: Systems) -> str:
    """A seeded SKU with nothing online, whose every store's units are then held: sold out."""
    return (await _sold_out_skus(systems, 1))[0]


async def _sold_out_skus(systems: Systems, count: int) -> list[str]:
    """``count`` seeded SKUs with nothing online, whose every store's units are then held."""
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    stock = (await systems.get("oms", "/oms/availability", skus=skus))["availability"]
    items = [item for item in stock if item["online"] == 0][:count]
    assert len(items) == count, "the seeded OMS has too few SKUs with nothing online"
    for item in items:
        await _hold_every_store(systems, item)
    return [str(item["sku"]) for item in items]


async def _hold_every_store(systems: Systems, item: dict[str, Any]) -> None:
    for store in item["stores"]:
        if store["available"] > 0:
            await systems.post(
                "oms",
                "/oms/reservations",
                {
                    "sku": item["sku"],
                    "storeId": store["storeId"],
                    "qty": store["available"],
                    "customerEmail": "holds@example.com",
                },
            )


async def _in_stock_sku(systems: Systems) -> str:
    return (await _in_stock_skus(systems, 1))[0]


async def _in_stock_skus(systems: Systems, count: int) -> list[str]:
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    stock = (await systems.get("oms", "/oms/availability", skus=skus))["availability"]
    return [str(i["sku"]) for i in stock if i["online"] > 0][:count]


@pytest.fixture
async def shopper(fed: Gateway, seeded: GraphDatabase, systems: Systems) -> AsyncIterator[Any]:
    """A customer who viewed one product of their own, whose co-purchases are a sold-out SKU
    (bought more) and one in stock: the graph ranks the sold-out one first."""
    tag = uuid.uuid4().hex[:10]
    customer, seed_sku = f"cus_recstock_{tag}", f"RECSTOCK-{tag}"
    sold_out = await _sold_out_sku(systems)
    in_stock = await _in_stock_sku(systems)
    await seeded.write(
        "CREATE (c:Customer {id: $c, displayName: 'Rec stock', createdAt: datetime()}) "
        "CREATE (s:Product {sku: $s, name: 'Seed', category: 'test', brand: 'Test'}) "
        "CREATE (c)-[:DID]->(:Interaction {id: 'evt-' + $c, at: datetime(), type: 'view', "
        "channel: 'web'})-[:ABOUT]->(s) "
        "WITH s MATCH (a:Product {sku: $soldOut}), (b:Product {sku: $inStock}) "
        "CREATE (s)-[:ALSO_BOUGHT {purchases: 10}]->(a), (s)-[:ALSO_BOUGHT {purchases: 5}]->(b)",
        {"c": customer, "s": seed_sku, "soldOut": sold_out, "inStock": in_stock},
    )
    try:
        yield customer, sold_out, in_stock
    finally:
        await seeded.write(
            "MATCH (c:Customer {id: $c})-[:DID]->(i:Interaction) DETACH DELETE c, i "
            "WITH 1 AS one MATCH (s:Product {sku: $s}) DETACH DELETE s",
            {"c": customer, "s": seed_sku},
        )


@pytest.fixture
async def unlucky_shopper(seeded: GraphDatabase, systems: Systems) -> AsyncIterator[Any]:
    """A customer whose ten best co-purchases are sold out, followed by three in stock."""
    tag = uuid.uuid4().hex[:10]
    customer, seed_sku = f"cus_recshort_{tag}", f"RECSHORT-{tag}"
    sold_out, in_stock = await _sold_out_skus(systems, 10), await _in_stock_skus(systems, 3)
    also = [{"sku": sku, "purchases": 100 - n} for n, sku in enumerate(sold_out + in_stock)]
    await seeded.write(
        "CREATE (c:Customer {id: $c, displayName: 'Rec short', createdAt: datetime()}) "
        "CREATE (s:Product {sku: $s, name: 'Seed', category: 'test', brand: 'Test'}) "
        "CREATE (c)-[:DID]->(:Interaction {id: 'evt-' + $c, at: datetime(), type: 'view', "
        "channel: 'web'})-[:ABOUT]->(s) "
        "WITH s UNWIND $also AS also MATCH (r:Product {sku: also.sku}) "
        "CREATE (s)-[:ALSO_BOUGHT {purchases: also.purchases}]->(r)",
        {"c": customer, "s": seed_sku, "also": also},
    )
    try:
        yield customer, in_stock
    finally:
        await seeded.write(
            "MATCH (c:Customer {id: $c})-[:DID]->(i:Interaction) DETACH DELETE c, i "
            "WITH 1 AS one MATCH (s:Product {sku: $s}) DETACH DELETE s",
            {"c": customer, "s": seed_sku},
        )


async def _skus(fed: Gateway, customer: str, first: int) -> tuple[list[str], dict[str, Any]]:
    body = await fed.query(RECOMMEND, {"c": customer, "first": first})
    assert "errors" not in body, body
    recs = body["data"]["customer"]["recommendations"]
    return [r["product"]["sku"] for r in recs], body["extensions"]


async def test_a_product_sold_out_online_and_in_every_store_is_not_recommended(
    fed: Gateway, shopper: Any
) -> None:
    """It was recommended first (the graph knows no stock): the in-stock one takes its place."""
    customer, _, in_stock = shopper
    assert (await _skus(fed, customer, 1))[0] == [in_stock]
    assert (await _skus(fed, customer, 2))[0] == [in_stock]


async def test_when_the_oms_fails_the_ranking_is_shown_unchecked(
    fed: Gateway, systems: Systems, shopper: Any
) -> None:
    customer, sold_out, in_stock = shopper
    await systems.faults("oms", errorRate=1.0)
    skus, extensions = await _skus(fed, customer, 2)
    assert skus == [sold_out, in_stock]
    assert {"channel": "oms", "outcome": "failed"}.items() <= extensions["sources"][0].items()


def _oms_calls(extensions: dict[str, Any]) -> int:
    return sum(source["channel"] == "oms" for source in extensions.get("sources", []))


async def test_what_the_oms_said_lately_is_not_asked_again(fed: Gateway, shopper: Any) -> None:
    """The second home screen within the max age (30 s) asks the OMS nothing: its
    recommendations are checked against what this instance heard on the first."""
    customer, _, in_stock = shopper
    skus, first = await _skus(fed, customer, 1)
    assert skus == [in_stock]
    assert _oms_calls(first) == 1
    skus, again = await _skus(fed, customer, 1)
    assert skus == [in_stock]
    assert _oms_calls(again) == 0


async def test_with_no_max_age_the_oms_is_asked_on_every_request(
    services: Services, systems: Systems, shopper: Any
) -> None:
    customer, _, in_stock = shopper
    settings = federated_settings(
        services, systems, port=free_port(), recommendation_stock_max_age_s=0.0
    )
    async with running_gateway(settings) as gateway:
        for _ in range(2):
            skus, extensions = await _skus(gateway, customer, 1)
            assert skus == [in_stock]
            assert _oms_calls(extensions) == 1


async def test_places_stay_full_when_most_of_the_best_candidates_are_sold_out(
    services: Services, systems: Systems, unlucky_shopper: Any
) -> None:
    """Twice `first` candidates were ranked, all sold out: the list was short (or empty); the
    next candidates are ranked until the places are full, and the ranking's end stops it. (A
    gateway of its own, whose channel budget outlasts the further statement's planning on a
    loaded host: an OMS answer past the budget would leave the candidates unchecked.)"""
    customer, in_stock = unlucky_shopper
    settings = federated_settings(services, systems, port=free_port())
    settings = settings.model_copy(update={"request_deadline_s": 60.0})
    async with running_gateway(settings) as gateway:
        assert (await _skus(gateway, customer, 1))[0] == in_stock[:1]
        assert (await _skus(gateway, customer, 2))[0] == in_stock[:2]
        assert (await _skus(gateway, customer, 6))[0] == in_stock[:3]
        assert (await _skus(gateway, customer, 50))[0] == in_stock
        # What the OMS said of the further candidates is remembered too: asked nothing again.
        skus, again = await _skus(gateway, customer, 2)
        assert skus == in_stock[:2]
        assert _oms_calls(again) == 0
