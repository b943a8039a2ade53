"""The stores (POS) simulator: stores, stock, receipts, clienteling notes, recording a sale."""

from __future__ import annotations

from typing import Any

import pytest

from graph.seed.generator import reference_data
from tests.simulators import generated
from tests.simulators.harness import Simulator, serve


async def on_hand(stores: Simulator, store_id: str, sku: str) -> int:
    reply = await stores.get(f"/pos/stores/{store_id}/stock", skus=sku)
    return int(reply.body["stock"][0]["onHand"])


async def stocked_sku(stores: Simulator, store_id: str, at_least: int = 2) -> tuple[str, int]:
    skus = ",".join(f"SKU-{n:05d}" for n in range(1, 101))
    stock = (await stores.get(f"/pos/stores/{store_id}/stock", skus=skus)).body["stock"]
    row = next(row for row in stock if row["onHand"] >= at_least)
    return row["sku"], row["onHand"]


def pos_customer() -> tuple[str, str]:
    customer = generated.with_identity("pos_customer_number")[0]
    pos_number = customer.first("pos_customer_number")
    return pos_number, pos_number.split("-")[1]


async def test_the_stores_are_the_graphs_stores(stores: Simulator) -> None:
    body = (await stores.get("/pos/stores")).body
    assert body["stores"] == [
        {"storeId": s["id"], "name": s["name"], "city": s["city"]}
        for s in reference_data(42).stores
    ]


async def test_a_generated_pos_number_finds_that_customers_in_store_purchases(
    stores: Simulator,
) -> None:
    customer = generated.busiest("pos_customer_number", "store", activity="purchase")
    purchases = customer.activity("store", kind="purchase")
    path = f"/pos/customers/{customer.first('pos_customer_number')}/receipts"
    receipts = (await stores.get(path, pageSize="100")).body["items"]
    assert sorted(r["eventId"] for r in receipts) == sorted(p["id"] for p in purchases)
    by_event = {p["id"]: p for p in purchases}
    for receipt in receipts:
        purchase = by_event[receipt["eventId"]]
        assert receipt["storeId"] == purchase["storeId"]
        assert receipt["at"] == purchase["at"].isoformat().replace("+00:00", "Z")
        assert receipt["lines"][0]["sku"] == purchase["sku"]
        total = sum(line["qty"] * line["unitPrice"] for line in receipt["lines"])
        assert receipt["total"] == round(total, 2)


async def test_clienteling_notes_read_by_pos_number_and_an_unknown_one_is_a_404(
    stores: Simulator,
) -> None:
    pos_number, _ = pos_customer()
    notes = await stores.get(f"/pos/customers/{pos_number}/notes")
    assert (notes.status, notes.body["posNumber"]) == (200, pos_number)
    missing = await stores.get("/pos/customers/POS-ST001-9999999/receipts")
    assert missing.status == 404
    assert missing.body["status"] == "ERROR"
    assert "POS-ST001-9999999" in missing.body["reason"]


async def test_clienteling_notes_are_cut_to_the_newest_when_a_limit_is_asked(
    stores: Simulator,
) -> None:
    pos_number, store_id = pos_customer()
    for n in range(3):
        visit = {"posNumber": pos_number, "storeId": store_id, "author": "A", "notes": f"n{n}"}
        assert (await stores.post("/pos/visits", visit)).status == 201
    every = (await stores.get(f"/pos/customers/{pos_number}/notes")).body
    assert every["total"] == len(every["notes"]) >= 3
    newest = (await stores.get(f"/pos/customers/{pos_number}/notes", limit="2")).body
    assert newest["notes"] == every["notes"][:2]
    assert newest["total"] == every["total"]
    for bad in ("0", "101", "two"):
        refused = await stores.get(f"/pos/customers/{pos_number}/notes", limit=bad)
        assert (refused.status, refused.body["reason"]) == (
            400,
            "limit must be an integer from 1 to 100",
        )


async def test_stock_leaves_unknown_skus_out_and_an_unknown_store_is_a_404(
    stores: Simulator,
) -> None:
    body = (await stores.get("/pos/stores/ST001/stock", skus="SKU-00001,NOPE")).body
    assert body["storeId"] == "ST001"
    assert [row["sku"] for row in body["stock"]] == ["SKU-00001"]
    assert (await stores.get("/pos/stores/ST999/stock", skus="SKU-00001")).status == 404


async def test_recording_a_purchase_takes_the_units_off_the_shelf_and_files_the_receipt(
    stores: Simulator,
) -> None:
    pos_number, store_id = pos_customer()
    sku, before = await stocked_sku(stores, store_id)
    reply = await stores.post(
        "/pos/receipts",
        {"posNumber": pos_number, "storeId": store_id, "lines": [{"sku": sku, "qty": 2}]},
    )
    assert reply.status == 201
    assert reply.body["lines"][0]["sku"] == sku
    assert reply.body["total"] == round(2 * reply.body["lines"][0]["unitPrice"], 2)
    assert await on_hand(stores, store_id, sku) == before - 2
    latest = (await stores.get(f"/pos/customers/{pos_number}/receipts")).body["items"][0]
    assert latest["receiptId"] == reply.body["receiptId"]


async def test_a_purchase_beyond_the_stock_is_a_409_and_takes_nothing(stores: Simulator) -> None:
    pos_number, store_id = pos_customer()
    sku, before = await stocked_sku(stores, store_id)
    other, other_before = await stocked_sku(stores, "ST002")
    lines = [{"sku": other, "qty": 1}, {"sku": sku, "qty": before + 1}]
    body = {"posNumber": pos_number, "storeId": store_id, "lines": lines}
    reply = await stores.post("/pos/receipts", body)
    assert reply.status == 409
    assert reply.body["status"] == "ERROR"
    assert sku in reply.body["reason"]
    assert await on_hand(stores, store_id, sku) == before
    assert await on_hand(stores, "ST002", other) == other_before


async def test_selling_the_last_units_empties_the_shelf_then_the_next_sale_is_a_409(
    stores: Simulator,
) -> None:
    pos_number, store_id = pos_customer()
    sku, before = await stocked_sku(stores, store_id, at_least=1)
    sale = {"posNumber": pos_number, "storeId": store_id, "lines": [{"sku": sku, "qty": before}]}
    assert (await stores.post("/pos/receipts", sale)).status == 201
    assert await on_hand(stores, store_id, sku) == 0
    sale["lines"] = [{"sku": sku, "qty": 1}]
    assert (await stores.post("/pos/receipts", sale)).status == 409


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"posNumber": "POS-ST001-9999999"}, 404),
        ({"storeId": "ST999"}, 404),
        ({"lines": []}, 400),
        ({"lines": [{"sku": "NOPE", "qty": 1}]}, 400),
        ({"lines": [{"sku": "SKU-00001", "qty": 0}]}, 400),
        ({"posNumber": 12}, 400),
    ],
)
async def test_bad_purchases_are_refused(
    stores: Simulator, change: dict[str, Any], status: int
) -> None:
    pos_number, store_id = pos_customer()
    body = {"posNumber": pos_number, "storeId": store_id, "lines": [{"sku": "SKU-00001", "qty": 1}]}
    reply = await stores.post("/pos/receipts", {**body, **change})
    assert reply.status == status
    assert set(reply.body) == {"status", "reason"}


async def test_reset_puts_the_stock_and_receipts_back(stores: Simulator) -> None:
    pos_number, store_id = pos_customer()
    sku, before = await stocked_sku(stores, store_id)
    receipts = (await stores.get(f"/pos/customers/{pos_number}/receipts")).body
    sale = {"posNumber": pos_number, "storeId": store_id, "lines": [{"sku": sku, "qty": 1}]}
    assert (await stores.post("/pos/receipts", sale)).status == 201
    await stores.reset()
    assert await on_hand(stores, store_id, sku) == before
    assert (await stores.get(f"/pos/customers/{pos_number}/receipts")).body == receipts


async def test_a_restarted_stores_system_never_gives_a_receipt_id_or_event_id_twice() -> None:
    """Its state lives in memory: a second run counts again, and an event id an earlier run gave
    would be dropped by the gateway as a duplicate."""
    pos_number, store_id = pos_customer()
    taken = []
    for _ in range(2):
        async with serve("stores") as stores:
            sku, _before = await stocked_sku(stores, store_id)
            body = {"posNumber": pos_number, "storeId": store_id, "lines": [{"sku": sku, "qty": 1}]}
            reply = await stores.post("/pos/receipts", body)
            assert reply.status == 201, reply.body
            taken.append((reply.body["receiptId"], reply.body["eventId"]))
    [(first_receipt, first_event), (second_receipt, second_event)] = taken
    assert first_receipt != second_receipt
    assert first_event != second_event
