"""The web shop simulator: catalogue, live prices and promotions, accounts by email."""

from __future__ import annotations

from typing import Any

import pytest

from graph.seed.generator import list_price, reference_data
from simulators import SimulatorConfig
from simulators.webshop import build_state
from tests.simulators import generated
from tests.simulators.harness import Simulator


async def test_products_are_the_graphs_catalogue_with_a_euro_price_and_maybe_a_promotion(
    webshop: Simulator,
) -> None:
    reference = {p["sku"]: p for p in reference_data(42).products}
    items = (await webshop.get("/api/v1/products", pageSize="100")).body["items"]
    for item in items:
        assert {k: item[k] for k in ("sku", "name", "category", "brand")} == reference[item["sku"]]
        assert item["price"]["currency"] == "EUR"
        # The shelf price every system charges and the seed's purchases carry, not just any.
        assert item["price"]["amount"] == list_price(42, item["sku"], item["category"])
    promoted = [item["promotion"] for item in items if item["promotion"]]
    assert 0 < len(promoted) < len(items)
    assert all(set(p) == {"id", "label", "percentOff"} for p in promoted)


async def test_the_category_filter_keeps_only_that_category(webshop: Simulator) -> None:
    body = (await webshop.get("/api/v1/products", category="sofas", pageSize="100")).body
    assert body["total"] == sum(1 for p in reference_data(42).products if p["category"] == "sofas")
    assert {item["category"] for item in body["items"]} == {"sofas"}


async def test_one_product_reads_by_sku_and_an_unknown_sku_is_a_404(webshop: Simulator) -> None:
    assert (await webshop.get("/api/v1/products/SKU-00042")).body["sku"] == "SKU-00042"
    missing = await webshop.get("/api/v1/products/SKU-99999")
    assert missing.status == 404
    assert missing.body["error"]["code"] == "PRODUCT_NOT_FOUND"


async def test_prices_answer_in_the_order_asked_and_leave_unknown_skus_out(
    webshop: Simulator,
) -> None:
    reply = await webshop.get("/api/v1/prices", skus="SKU-00003,NOPE,SKU-00001,SKU-00003")
    assert [p["sku"] for p in reply.body["prices"]] == ["SKU-00003", "SKU-00001"]
    price = reply.body["prices"][0]
    assert set(price) == {"sku", "amount", "currency", "promotion", "updatedAt"}
    assert price["updatedAt"].endswith("Z")


@pytest.mark.parametrize(
    "skus",
    ["", ",,", ",".join(f"SKU-{n:05d}" for n in range(1, 102))],
    ids=["none", "blank", "101"],
)
async def test_prices_need_one_to_a_hundred_skus(webshop: Simulator, skus: str) -> None:
    reply = await webshop.get("/api/v1/prices", skus=skus)
    assert reply.status == 400
    assert set(reply.body["error"]) == {"code", "message"}


async def test_a_price_change_is_visible_at_once_and_a_reset_restores_it(
    webshop: Simulator,
) -> None:
    before = (await webshop.get("/api/v1/prices", skus="SKU-00007")).body["prices"][0]
    changed = await webshop.call("PUT", "/admin/prices/SKU-00007", json={"amount": 12.5})
    assert changed.status == 200
    assert changed.body["amount"] == 12.5
    after = (await webshop.get("/api/v1/prices", skus="SKU-00007")).body["prices"][0]
    assert after["amount"] == 12.5
    assert after["updatedAt"] > before["updatedAt"]
    assert (await webshop.get("/api/v1/products/SKU-00007")).body["price"]["amount"] == 12.5
    await webshop.reset()
    assert (await webshop.get("/api/v1/prices", skus="SKU-00007")).body["prices"][0] == before


@pytest.mark.parametrize("body", [{"amount": 0}, {"amount": "12"}, {"amount": True}, {}, [1]])
async def test_a_bad_price_is_a_400_naming_the_amount(webshop: Simulator, body: Any) -> None:
    reply = await webshop.call("PUT", "/admin/prices/SKU-00001", json=body)
    assert (reply.status, reply.body["field"]) == (400, "amount")


async def test_changing_the_price_of_an_unknown_sku_is_a_404(webshop: Simulator) -> None:
    reply = await webshop.call("PUT", "/admin/prices/SKU-99999", json={"amount": 1})
    assert reply.status == 404


async def test_a_generated_customer_email_finds_the_shop_account(webshop: Simulator) -> None:
    customer = generated.customers()[7]
    reply = await webshop.get(f"/api/v1/customers/{customer.first('email')}")
    assert reply.status == 200
    assert reply.body["email"] == customer.first("email")
    missing = await webshop.get("/api/v1/customers/nobody@example.com")
    assert (missing.status, missing.body["error"]["code"]) == (404, "CUSTOMER_NOT_FOUND")


def test_the_same_seed_gives_the_same_prices_and_another_seed_other_ones() -> None:
    def prices(seed: int) -> dict[str, Any]:
        state = build_state(SimulatorConfig(seed=seed, customers=5))
        return {sku: (item.amount, item.promotion) for sku, item in state.listings.items()}

    assert prices(42) == prices(42)
    assert prices(42) != prices(7)
