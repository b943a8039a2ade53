"""Checkout: the OMS takes the order and the cart closes, or nothing changes at all."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from gateway.services import free_port
from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import CALL_TIMEOUT_S, DEADLINE_S, Systems

ADD = """mutation($c: ID!, $sku: ID!, $q: Int!, $key: String!) {
  addCartItem(customerId: $c, sku: $sku, quantity: $q, channel: WEB, idempotencyKey: $key) {
    id version } }"""
CHECKOUT = """mutation($cart: ID!, $v: Int!, $f: FulfilmentInput!, $key: String!) {
  checkout(cartId: $cart, expectedVersion: $v, fulfilment: $f, idempotencyKey: $key) {
    replayed order { id status fulfilment storeId total { amount } } } }"""
CART = """query($c: ID!) { customer(id: $c) { cart { id version lines { quantity } }
  history(first: 10, types: [PURCHASE]) { edges { node { id channel product { sku } } } } } }"""


@pytest.fixture
async def shopper(fed: Gateway, seeded: GraphDatabase):
    """A fresh customer with an email and a two-line cart at version 2."""
    customer = f"cus_checkout_{uuid.uuid4().hex[:10]}"
    email = f"{customer}@example.com"
    await seeded.write(
        "CREATE (c:Customer {id: $id, displayName: 'Checkout', createdAt: datetime()}) "
        "MERGE (i:Identity {kind: 'email', value: $email}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'web', confidence: 1.0}]->(i)",
        {"id": customer, "email": email},
    )
    cart = None
    for sku, quantity in (("SKU-00004", 1), ("SKU-00006", 2)):
        body = await fed.query(
            ADD, {"c": customer, "sku": sku, "q": quantity, "key": f"add-{uuid.uuid4().hex}"}
        )
        cart = body["data"]["addCartItem"]
    assert cart is not None
    return {"id": customer, "email": email, "cart": cart["id"], "version": cart["version"]}


def delivery(shopper: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    """The variables of a home-delivery checkout of the shopper's cart, under a fresh key."""
    return {
        "cart": shopper["cart"],
        "v": shopper["version"] if version is None else version,
        "f": {"type": "DELIVERY"},
        "key": f"checkout-{uuid.uuid4().hex}",
    }


async def test_checkout_creates_the_order_records_the_purchase_and_closes_the_cart(
    fed: Gateway, systems: Systems, shopper
):
    key = f"checkout-{uuid.uuid4().hex}"
    body = await fed.query(
        CHECKOUT,
        {"cart": shopper["cart"], "v": shopper["version"], "f": {"type": "DELIVERY"}, "key": key},
    )
    assert "errors" not in body, body
    payload = body["data"]["checkout"]
    assert payload["replayed"] is False
    assert payload["order"]["status"] == "CREATED"
    assert payload["order"]["fulfilment"] == "DELIVERY"
    oms = await systems.get("oms", "/oms/orders", customerEmail=shopper["email"])
    assert [order["orderId"] for order in oms["items"]] == [payload["order"]["id"]]
    after = (await fed.query(CART, {"c": shopper["id"]}))["data"]["customer"]
    assert after["cart"] is None
    purchases = [edge["node"] for edge in after["history"]["edges"]]
    assert sorted(p["product"]["sku"] for p in purchases) == ["SKU-00004", "SKU-00006"]
    assert oms["items"][0]["eventId"] in {p["id"] for p in purchases}

    replay = await fed.query(
        CHECKOUT,
        {"cart": shopper["cart"], "v": shopper["version"], "f": {"type": "DELIVERY"}, "key": key},
    )
    assert replay["data"]["checkout"]["replayed"] is True
    assert replay["data"]["checkout"]["order"]["id"] == payload["order"]["id"]
    again = await systems.get("oms", "/oms/orders", customerEmail=shopper["email"])
    assert again["total"] == 1


async def test_click_and_collect_takes_the_store_s_stock(fed: Gateway, systems: Systems, shopper):
    stores = (await systems.get("oms", "/oms/availability", skus="SKU-00004,SKU-00006"))[
        "availability"
    ]
    per_sku = {
        item["sku"]: {s["storeId"]: s["available"] for s in item["stores"]} for item in stores
    }
    store = next(
        store_id
        for store_id, left in sorted(per_sku["SKU-00004"].items())
        if left >= 1 and per_sku["SKU-00006"].get(store_id, 0) >= 2
    )
    before = per_sku["SKU-00004"][store]
    body = await fed.query(
        CHECKOUT,
        {
            "cart": shopper["cart"],
            "v": shopper["version"],
            "f": {"type": "CLICK_AND_COLLECT", "storeId": store},
            "key": f"checkout-{uuid.uuid4().hex}",
        },
    )
    assert "errors" not in body, body
    order = body["data"]["checkout"]["order"]
    assert (order["fulfilment"], order["storeId"]) == ("CLICK_AND_COLLECT", store)
    after = (await systems.get("oms", "/oms/availability", skus="SKU-00004", storeIds=store))[
        "availability"
    ][0]["stores"][0]["available"]
    assert after == before - 1


async def test_when_the_oms_fails_the_cart_is_untouched_and_the_error_says_so(
    fed: Gateway, systems: Systems, shopper
):
    await systems.faults("oms", blackhole=True)
    body = await fed.query(
        CHECKOUT,
        delivery(shopper),
    )
    assert body["data"]["checkout"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] in {"CHANNEL_TIMEOUT", "CHANNEL_UNAVAILABLE"}
    assert error["extensions"]["channel"] == "oms"
    assert "cart is untouched" in error["message"]
    await systems.post("oms", "/admin/reset", {})
    cart = (await fed.query(CART, {"c": shopper["id"]}))["data"]["customer"]["cart"]
    assert cart == {
        "id": shopper["cart"],
        "version": shopper["version"],
        "lines": [{"quantity": 1}, {"quantity": 2}],
    }
    assert (await systems.get("oms", "/oms/orders", customerEmail=shopper["email"]))["total"] == 0


async def test_a_stale_version_places_no_order(fed: Gateway, systems: Systems, shopper):
    body = await fed.query(
        CHECKOUT,
        delivery(shopper, version=shopper["version"] - 1),
    )
    assert body["errors"][0]["extensions"]["code"] == "VERSION_CONFLICT"
    assert body["errors"][0]["extensions"]["argument"] == "expectedVersion"
    assert body["errors"][0]["extensions"]["currentVersion"] == shopper["version"]
    assert (await systems.get("oms", "/oms/orders", customerEmail=shopper["email"]))["total"] == 0


async def test_a_partner_checkout_records_the_purchase_and_closes_the_cart(
    fed: Gateway, systems: Systems, shopper
):
    """The graph has no PARTNER channel until something happens there: the first partner checkout
    must still close the cart (else a second checkout would place a second order)."""
    partner_checkout = CHECKOUT.replace(
        "idempotencyKey: $key)", "idempotencyKey: $key, channel: PARTNER)"
    )
    body = await fed.query(
        partner_checkout,
        delivery(shopper),
    )
    assert "errors" not in body, body
    after = (await fed.query(CART, {"c": shopper["id"]}))["data"]["customer"]
    assert after["cart"] is None
    purchases = [edge["node"] for edge in after["history"]["edges"]]
    assert sorted(p["channel"] for p in purchases) == ["PARTNER", "PARTNER"]

    again = await fed.query(
        partner_checkout,
        delivery(shopper),
    )
    assert again["data"]["checkout"] is None
    assert (await systems.get("oms", "/oms/orders", customerEmail=shopper["email"]))["total"] == 1


async def test_an_order_the_oms_refuses_says_why_and_leaves_the_cart(
    fed: Gateway, systems: Systems, shopper
):
    """A SKU out of stock online is a refusal named as the OMS names it, not as HTTP."""
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    stock = (await systems.get("oms", "/oms/availability", skus=skus))["availability"]
    sold_out = next(item["sku"] for item in stock if item["online"] == 0)
    body = await fed.query(
        ADD, {"c": shopper["id"], "sku": sold_out, "q": 1, "key": f"add-{uuid.uuid4().hex}"}
    )
    version = body["data"]["addCartItem"]["version"]
    body = await fed.query(
        CHECKOUT,
        delivery(shopper, version=version),
    )
    assert body["data"]["checkout"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "OUT_OF_STOCK"
    assert sold_out in error["message"]
    assert "HTTP" not in error["message"]
    cart = (await fed.query(CART, {"c": shopper["id"]}))["data"]["customer"]["cart"]
    assert cart["version"] == version
    assert (await systems.get("oms", "/oms/orders", customerEmail=shopper["email"]))["total"] == 0


async def test_click_and_collect_at_an_unknown_store_names_the_argument_and_places_no_order(
    fed: Gateway, systems: Systems, shopper
):
    variables = delivery(shopper) | {"f": {"type": "CLICK_AND_COLLECT", "storeId": "ST999"}}
    body = await fed.query(CHECKOUT, variables)
    assert body["data"]["checkout"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "fulfilment.storeId"
    assert "ST999" in error["message"]
    cart = (await fed.query(CART, {"c": shopper["id"]}))["data"]["customer"]["cart"]
    assert cart["version"] == shopper["version"]
    assert (await systems.get("oms", "/oms/orders", customerEmail=shopper["email"]))["total"] == 0


async def test_a_reused_key_and_a_closed_cart_are_refused_naming_the_argument(
    fed: Gateway, systems: Systems, shopper
):
    first = delivery(shopper)
    assert "errors" not in (await fed.query(CHECKOUT, first))
    reused = first | {"f": {"type": "CLICK_AND_COLLECT", "storeId": "ST001"}}
    closed = delivery(shopper)  # a new key for the cart just ordered
    for variables, argument in ((reused, "idempotencyKey"), (closed, "cartId")):
        body = await fed.query(CHECKOUT, variables)
        assert body["data"]["checkout"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["argument"] == argument, error
    assert (await systems.get("oms", "/oms/orders", customerEmail=shopper["email"]))["total"] == 1


ADD_AT = """mutation($c: ID!, $sku: ID!, $v: Int, $key: String!) {
  addCartItem(customerId: $c, sku: $sku, channel: WEB, idempotencyKey: $key,
              expectedVersion: $v) { id version } }"""


async def test_a_version_of_the_ordered_cart_never_matches_the_next_cart(
    fed: Gateway, systems: Systems, shopper
):
    """A client still showing the ordered cart must not change the customer's next one, however
    many changes that next cart has had: versions go on from the ordered cart's, never again."""
    stale = shopper["version"]
    body = await fed.query(CHECKOUT, delivery(shopper))
    assert "errors" not in body, body
    versions = []
    for _ in range(stale):
        body = await fed.query(
            ADD_AT, {"c": shopper["id"], "sku": "SKU-00004", "key": f"add-{uuid.uuid4().hex}"}
        )
        assert "errors" not in body, body
        assert body["data"]["addCartItem"]["id"] != shopper["cart"]
        versions.append(body["data"]["addCartItem"]["version"])

    body = await fed.query(
        ADD_AT,
        {"c": shopper["id"], "sku": "SKU-00006", "v": stale, "key": f"add-{uuid.uuid4().hex}"},
    )
    assert body["data"]["addCartItem"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VERSION_CONFLICT"
    assert error["extensions"]["currentVersion"] == versions[-1]
    cart = (await fed.query(CART, {"c": shopper["id"]}))["data"]["customer"]["cart"]
    assert cart["version"] == versions[-1]
    assert cart["lines"] == [{"quantity": stale}]
    # The next cart went on from the ordered cart's last version (checkout bumped it once).
    assert versions == list(range(stale + 2, 2 * stale + 2))


@asynccontextmanager
async def oms_losing_its_first_order_answer(systems: Systems) -> AsyncIterator[str]:
    """A proxy in front of the OMS simulator whose first ``POST /oms/orders`` reaches the OMS
    (the order is placed) but whose answer never comes back, as when a network or the OMS
    stalls after taking it; everything else passes through. Yields the proxy's base URL."""
    lost, release = [], asyncio.Event()

    async def forward(request: web.Request) -> web.Response:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("content-type", "idempotency-key", "accept")
        }
        async with systems.session.request(
            request.method,
            systems.urls["oms"] + request.path_qs,
            data=await request.read(),
            headers=headers,
        ) as answer:
            body = await answer.read()
            status, content_type = answer.status, answer.content_type
        if request.method == "POST" and request.path == "/oms/orders" and not lost:
            lost.append(body)
            await release.wait()  # the gateway gives up first: the answer is lost
        return web.Response(body=body, status=status, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        release.set()
        await runner.cleanup()


def _losing_gateway_settings(services: Services, systems: Systems, oms_url: str) -> Any:
    return services.settings(
        migrate_on_start=False,
        channel_call_timeout_s=CALL_TIMEOUT_S,
        request_deadline_s=DEADLINE_S,
        channel_retries=0,
        **(systems.settings_urls() | {"oms_url": oms_url}),
    )


async def test_a_checkout_clicked_again_after_a_lost_answer_never_orders_twice(
    services: Services, systems: Systems, shopper
):
    """The OMS took the order but its answer was lost: the shopper is told the cart is untouched
    and clicks again, the frontend sending a new idempotency key. That checkout of the same cart
    version gets the order already placed, recorded once; it used to place a second order."""
    async with oms_losing_its_first_order_answer(systems) as oms_url:
        settings = _losing_gateway_settings(services, systems, oms_url)
        async with running_gateway(settings) as gateway:
            first = await gateway.query(CHECKOUT, delivery(shopper))
            assert first["data"]["checkout"] is None
            [error] = first["errors"]
            assert error["extensions"]["code"] == "CHANNEL_TIMEOUT", error
            assert "cart is untouched" in error["message"]
            assert "not placed" not in error["message"]  # it may well have been
            placed = await systems.get("oms", "/oms/orders", customerEmail=shopper["email"])
            assert placed["total"] == 1

            again = await gateway.query(CHECKOUT, delivery(shopper))
            assert "errors" not in again, again
            assert again["data"]["checkout"]["order"]["id"] == placed["items"][0]["orderId"]
            after = (await gateway.query(CART, {"c": shopper["id"]}))["data"]["customer"]
    orders = await systems.get("oms", "/oms/orders", customerEmail=shopper["email"])
    assert orders["total"] == 1
    assert after["cart"] is None
    assert len(after["history"]["edges"]) == 2  # one purchase per line, once


async def test_after_a_lost_answer_another_fulfilment_is_refused_not_ordered_again(
    services: Services, systems: Systems, shopper
):
    """Home delivery reached the OMS but its answer was lost; the shopper then tries click &
    collect for the same cart: the delivery order stands and no second order is placed; the
    refusal says so and names the argument."""
    async with oms_losing_its_first_order_answer(systems) as oms_url:
        settings = _losing_gateway_settings(services, systems, oms_url)
        async with running_gateway(settings) as gateway:
            first = await gateway.query(CHECKOUT, delivery(shopper))
            assert first["errors"][0]["extensions"]["code"] == "CHANNEL_TIMEOUT", first
            collect = delivery(shopper) | {"f": {"type": "CLICK_AND_COLLECT", "storeId": "ST001"}}
            other = await gateway.query(CHECKOUT, collect)
            assert other["data"]["checkout"] is None
            [error] = other["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["extensions"]["argument"] == "fulfilment"
            assert "already ordered" in error["message"]

            again = await gateway.query(CHECKOUT, delivery(shopper))
            assert "errors" not in again, again
    orders = await systems.get("oms", "/oms/orders", customerEmail=shopper["email"])
    assert [order["fulfilment"]["type"] for order in orders["items"]] == ["DELIVERY"]
