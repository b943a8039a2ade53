"""Page-number pagination, the same on every paginated list of every system."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulators import generated
from tests.simulators.harness import Simulator, device_with_push_token


async def walk(simulator: Simulator, path: str, page_size: int, **params: str) -> list[Any]:
    """Every item of a list, page by page, checking each envelope on the way."""
    items: list[Any] = []
    page = 1
    while True:
        reply = await simulator.get(path, page=str(page), pageSize=str(page_size), **params)
        assert reply.status == 200, reply.body
        assert (reply.body["page"], reply.body["pageSize"]) == (page, page_size)
        if not reply.body["items"]:
            assert len(items) == reply.body["total"]
            return items
        assert len(reply.body["items"]) <= page_size
        items.extend(reply.body["items"])
        page += 1


async def test_walking_the_catalogue_page_by_page_yields_every_sku_once_in_order(
    webshop: Simulator,
) -> None:
    skus = [item["sku"] for item in await walk(webshop, "/api/v1/products", 7)]
    assert skus == [f"SKU-{n:05d}" for n in range(1, 301)]


async def test_walking_a_busy_customers_receipts_has_no_gaps_or_duplicates(
    stores: Simulator,
) -> None:
    customer = generated.busiest("pos_customer_number", "store", activity="purchase")
    path = f"/pos/customers/{customer.first('pos_customer_number')}/receipts"
    receipts = await walk(stores, path, 3)
    ids = [receipt["receiptId"] for receipt in receipts]
    assert len(ids) == len(set(ids)) == len(customer.activity("store", kind="purchase")) > 3
    assert [r["at"] for r in receipts] == sorted((r["at"] for r in receipts), reverse=True)


async def test_walking_a_busy_customers_orders_has_no_gaps_or_duplicates(oms: Simulator) -> None:
    customer = generated.busiest("email", "web", "app", activity="purchase")
    orders = await walk(oms, "/oms/orders", 4, customerEmail=customer.first("email"))
    ids = [order["orderId"] for order in orders]
    assert len(ids) == len(set(ids)) == len(customer.activity("web", "app", kind="purchase")) > 4


async def test_walking_a_customers_tickets_has_no_gaps_or_duplicates(contact: Simulator) -> None:
    customer = generated.busiest("contact_centre_id", "call_centre", "chat")
    path = f"/cc/v2/customers/{customer.first('contact_centre_id')}/tickets"
    everything = (await contact.get(path, pageSize="100")).body["items"]
    walked = await walk(contact, path, 2)
    assert walked == everything
    assert len({ticket["ticketId"] for ticket in walked}) == len(walked) > 2


async def test_walking_the_outbox_yields_every_push_once_newest_first(mobile: Simulator) -> None:
    device = await device_with_push_token(mobile)
    for n in range(25):
        reply = await mobile.post(
            "/mobile/push", {"deviceId": device["deviceId"], "title": f"#{n}", "body": "hello"}
        )
        assert reply.status == 202
    titles = [item["title"] for item in await walk(mobile, "/mobile/outbox", 10)]
    assert titles == [f"#{n}" for n in reversed(range(25))]


async def test_the_default_page_is_the_first_twenty(webshop: Simulator) -> None:
    body = (await webshop.get("/api/v1/products")).body
    assert (body["page"], body["pageSize"], body["total"], len(body["items"])) == (1, 20, 300, 20)


async def test_a_page_past_the_end_is_empty_but_keeps_the_total(webshop: Simulator) -> None:
    body = (await webshop.get("/api/v1/products", page="99", pageSize="100")).body
    assert (body["items"], body["total"]) == ([], 300)


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "0"},
        {"pageSize": "101"},
        {"pageSize": "-5"},
        {"pageSize": "twenty"},
        {"page": "0"},
        {"page": "1.5"},
    ],
)
async def test_out_of_range_pages_are_a_400_in_the_systems_error_shape(
    webshop: Simulator, oms: Simulator, params: dict[str, str]
) -> None:
    shop = await webshop.get("/api/v1/products", **params)
    assert shop.status == 400
    assert shop.body["error"]["code"] == "INVALID_PARAMETER"
    orders = await oms.get("/oms/orders", customerEmail="a@example.com", **params)
    assert orders.status == 400
    assert orders.body["errors"][0]["code"] == "INVALID_PARAMETER"
