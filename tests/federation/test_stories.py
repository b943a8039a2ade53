"""Issue 4's omnichannel stories, end to end through HTTP against the simulators."""

import uuid

from graph import GraphDatabase
from tests.conftest import Gateway
from tests.federation.conftest import Systems


async def test_items_added_in_store_are_in_the_cart_the_mobile_app_fetches_with_live_prices(
    fed: Gateway, systems: Systems, seeded: GraphDatabase
):
    customer = f"cus_story_{uuid.uuid4().hex[:10]}"
    await seeded.write(
        "CREATE (:Customer {id: $id, displayName: 'Story One', createdAt: datetime()})",
        {"id": customer},
    )
    for sku, quantity in (("SKU-00003", 2), ("SKU-00010", 1)):
        body = await fed.query(
            """mutation($c: ID!, $sku: ID!, $q: Int!, $key: String!) {
                 addCartItem(customerId: $c, sku: $sku, quantity: $q, channel: STORE,
                             idempotencyKey: $key) { version } }""",
            {"c": customer, "sku": sku, "q": quantity, "key": f"story-{uuid.uuid4().hex}"},
        )
        assert "errors" not in body, body

    app_view = await fed.query(
        """query($c: ID!) { customer(id: $c) { cart { version
             lines { quantity addedVia product { sku } unitPrice { amount } } } } }""",
        {"c": customer},
    )
    assert "errors" not in app_view, app_view
    cart = app_view["data"]["customer"]["cart"]
    prices = {
        p["sku"]: p["amount"]
        for p in (await systems.get("webshop", "/api/v1/prices", skus="SKU-00003,SKU-00010"))[
            "prices"
        ]
    }
    assert cart["version"] == 2
    assert [
        (line["product"]["sku"], line["quantity"], line["addedVia"], line["unitPrice"]["amount"])
        for line in cart["lines"]
    ] == [
        ("SKU-00003", 2, "STORE", prices["SKU-00003"]),
        ("SKU-00010", 1, "STORE", prices["SKU-00010"]),
    ]
