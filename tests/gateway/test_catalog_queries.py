from tests.conftest import Gateway


async def test_a_product_and_a_store_are_read_by_key(gateway: Gateway):
    body = await gateway.query(
        '{ product(sku: "FX-P3") { sku name category brand } '
        'store(id: "FX-ST-A") { id name city } }'
    )
    assert body["data"] == {
        "product": {
            "sku": "FX-P3",
            "name": "Coussin Test",
            "category": "decor",
            "brand": "Fixture",
        },
        "store": {"id": "FX-ST-A", "name": "Parcours Test Lyon", "city": "Lyon"},
    }


async def test_unknown_products_and_stores_are_not_found(gateway: Gateway):
    body = await gateway.query('{ product(sku: "FX-NONE") { sku } store(id: "FX-NONE") { id } }')
    assert body["data"] == {"product": None, "store": None}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_FOUND"}
