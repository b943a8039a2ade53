"""The OMS simulator: orders by email, idempotent order creation, availability, holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from simulators import oms as oms_simulator
from tests.simulators import generated
from tests.simulators.harness import Simulator, serve

EMAIL = "mehdi.morel.0@example.com"
ORDER: dict[str, Any] = {"customerEmail": EMAIL, "lines": [{"sku": "SKU-00010", "qty": 1}]}


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


async def availability(oms: Simulator, sku: str, store_id: str) -> tuple[int, int]:
    row = (await oms.get("/oms/availability", skus=sku, storeIds=store_id)).body["availability"][0]
    return row["online"], row["stores"][0]["available"]


async def test_a_generated_email_finds_that_customers_web_and_app_purchases_as_orders(
    oms: Simulator,
) -> None:
    customer = generated.busiest("email", "web", "app", activity="purchase")
    purchases = customer.activity("web", "app", kind="purchase")
    reply = await oms.get("/oms/orders", customerEmail=customer.first("email"), pageSize="100")
    orders = reply.body["items"]
    assert sorted(o["eventId"] for o in orders) == sorted(p["id"] for p in purchases)
    created = [order["createdAt"] for order in orders]
    assert created == sorted(created, reverse=True)
    for order in orders:
        assert order["customerEmail"] == customer.first("email")
        assert order["timeline"][0] == {"status": "CREATED", "at": order["createdAt"]}
        assert order["status"] == order["timeline"][-1]["status"]
        assert order["fulfilment"]["type"] in {"DELIVERY", "CLICK_AND_COLLECT"}
        assert ("storeId" in order["fulfilment"]) == (
            order["fulfilment"]["type"] == "CLICK_AND_COLLECT"
        )


async def test_an_unknown_email_has_no_orders_and_a_missing_one_is_a_400(oms: Simulator) -> None:
    empty = (await oms.get("/oms/orders", customerEmail="nobody@example.com")).body
    assert (empty["items"], empty["total"]) == ([], 0)
    missing = await oms.get("/oms/orders")
    assert missing.status == 400
    assert missing.body["errors"][0]["code"] == "MISSING_PARAMETER"


async def test_one_order_reads_by_id_and_an_unknown_id_is_a_404(oms: Simulator) -> None:
    assert (await oms.get("/oms/orders/ORD-0000001")).body["orderId"] == "ORD-0000001"
    missing = await oms.get("/oms/orders/ORD-9999999")
    assert missing.status == 404
    assert missing.body == {
        "errors": [{"code": "ORDER_NOT_FOUND", "detail": "no order ORD-9999999"}]
    }


async def test_creating_an_order_twice_with_one_key_creates_it_once(oms: Simulator) -> None:
    created = await oms.post("/oms/orders", ORDER, key("k-1"))
    replayed = await oms.post("/oms/orders", ORDER, key("k-1"))
    assert (created.status, replayed.status) == (201, 200)
    assert replayed.body == created.body
    assert created.body["status"] == "CREATED"
    assert [e["status"] for e in created.body["timeline"]] == ["CREATED"]
    orders = (await oms.get("/oms/orders", customerEmail=EMAIL)).body["items"]
    assert [o["orderId"] for o in orders].count(created.body["orderId"]) == 1
    assert orders[0]["orderId"] == created.body["orderId"]


async def test_reusing_a_key_for_another_order_is_a_422(oms: Simulator) -> None:
    assert (await oms.post("/oms/orders", ORDER, key("k-2"))).status == 201
    other = {**ORDER, "lines": [{"sku": "SKU-00011", "qty": 1}]}
    reply = await oms.post("/oms/orders", other, key("k-2"))
    assert reply.status == 422
    assert reply.body["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_the_same_body_with_keys_in_another_order_is_the_same_request(
    oms: Simulator,
) -> None:
    created = await oms.post("/oms/orders", ORDER, key("k-3"))
    reordered = {"lines": ORDER["lines"], "customerEmail": ORDER["customerEmail"]}
    assert (await oms.post("/oms/orders", reordered, key("k-3"))).body == created.body


async def test_an_order_without_an_idempotency_key_is_a_400(oms: Simulator) -> None:
    reply = await oms.post("/oms/orders", ORDER)
    assert reply.status == 400
    assert reply.body["errors"][0]["code"] == "IDEMPOTENCY_KEY_REQUIRED"


@pytest.mark.parametrize(
    "change",
    [
        {"customerEmail": "not-an-email"},
        {"lines": []},
        {"lines": [{"sku": "NOPE", "qty": 1}]},
        {"fulfilment": {"type": "TELEPORT"}},
        {"fulfilment": {"type": "CLICK_AND_COLLECT"}},
        {"fulfilment": {"type": "CLICK_AND_COLLECT", "storeId": "ST999"}},
    ],
)
async def test_bad_orders_are_a_400_and_do_not_burn_the_key(
    oms: Simulator, change: dict[str, Any]
) -> None:
    reply = await oms.post("/oms/orders", {**ORDER, **change}, key("k-bad"))
    assert reply.status == 400
    assert set(reply.body["errors"][0]) == {"code", "detail"}
    assert (await oms.post("/oms/orders", ORDER, key("k-bad"))).status == 201


async def test_a_click_and_collect_order_takes_stock_from_that_store(oms: Simulator) -> None:
    online, in_store = await availability(oms, "SKU-00020", "ST004")
    assert in_store > 0
    order = {
        **ORDER,
        "lines": [{"sku": "SKU-00020", "qty": 1}],
        "fulfilment": {"type": "CLICK_AND_COLLECT", "storeId": "ST004"},
    }
    reply = await oms.post("/oms/orders", order, key("cc-1"))
    assert reply.body["fulfilment"] == {"type": "CLICK_AND_COLLECT", "storeId": "ST004"}
    assert await availability(oms, "SKU-00020", "ST004") == (online, in_store - 1)


async def test_availability_covers_every_store_unless_told_and_leaves_unknown_ids_out(
    oms: Simulator,
) -> None:
    every = (await oms.get("/oms/availability", skus="SKU-00001,NOPE")).body["availability"]
    assert [row["sku"] for row in every] == ["SKU-00001"]
    assert len(every[0]["stores"]) == 12
    some = await oms.get("/oms/availability", skus="SKU-00001", storeIds="ST002,ST999")
    assert [s["storeId"] for s in some.body["availability"][0]["stores"]] == ["ST002"]


async def test_a_reservation_holds_stock_until_it_expires(
    oms: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    online, in_store = await availability(oms, "SKU-00030", "ST001")
    assert in_store >= 1
    hold = {"sku": "SKU-00030", "storeId": "ST001", "qty": 1, "customerEmail": "a@example.com"}
    reply = await oms.post("/oms/reservations", hold)
    assert reply.status == 201
    assert reply.body["status"] == "HELD"
    assert reply.body["expiresAt"] > reply.body["createdAt"]
    assert await availability(oms, "SKU-00030", "ST001") == (online, in_store - 1)
    read = await oms.get(f"/oms/reservations/{reply.body['reservationId']}")
    assert read.body == reply.body

    # The simulator's clock reaches the hold's expiry (24 h on): its unit is on the shelf again,
    # once, and the hold says it has expired.
    expiry = datetime.fromisoformat(reply.body["expiresAt"])
    monkeypatch.setattr(oms_simulator, "utc_now", lambda: expiry)
    assert await availability(oms, "SKU-00030", "ST001") == (online, in_store)
    expired = await oms.get(f"/oms/reservations/{reply.body['reservationId']}")
    assert expired.body == {**reply.body, "status": "EXPIRED"}
    assert await availability(oms, "SKU-00030", "ST001") == (online, in_store)


async def test_reserving_more_than_is_available_is_a_409(oms: Simulator) -> None:
    _, in_store = await availability(oms, "SKU-00030", "ST001")
    hold = {"sku": "SKU-00030", "storeId": "ST001", "qty": in_store + 1, "customerEmail": "a@b.c"}
    reply = await oms.post("/oms/reservations", hold)
    assert reply.status == 409
    assert reply.body["errors"][0]["code"] == "NOT_AVAILABLE"
    assert (await availability(oms, "SKU-00030", "ST001"))[1] == in_store


async def test_reset_forgets_new_orders_keys_and_holds(oms: Simulator) -> None:
    before = await availability(oms, "SKU-00030", "ST001")
    created = await oms.post("/oms/orders", ORDER, key("k-reset"))
    hold = {"sku": "SKU-00030", "storeId": "ST001", "qty": 1, "customerEmail": "a@example.com"}
    await oms.post("/oms/reservations", hold)
    await oms.reset()
    assert await availability(oms, "SKU-00030", "ST001") == before
    assert (await oms.get(f"/oms/orders/{created.body['orderId']}")).status == 404
    assert (await oms.post("/oms/orders", ORDER, key("k-reset"))).status == 201


def _with_orders(count: int) -> list[str]:
    """The emails of the first ``count`` generated customers with two web or app purchases."""
    return [
        customer.first("email")
        for customer in generated.with_identity("email")
        if len(customer.activity("web", "app", kind="purchase")) >= 2
    ][:count]


async def test_several_emails_are_one_list_newest_first_paged_over_all_of_them(
    oms: Simulator,
) -> None:
    emails = _with_orders(3)
    one_by_one = [
        order
        for email in emails
        for order in (await oms.get("/oms/orders", customerEmail=email, pageSize="100")).body[
            "items"
        ]
    ]
    union = sorted(one_by_one, key=lambda o: (o["createdAt"], o["orderId"]), reverse=True)
    asked = ",".join(reversed(emails))  # the order asked does not matter

    walked: list[dict[str, Any]] = []
    for page in range(1, 20):
        body = (
            await oms.get("/oms/orders", customerEmails=asked, page=str(page), pageSize="2")
        ).body
        assert body["total"] == len(union)
        walked += body["items"]
        if not body["items"]:
            break
    assert [o["orderId"] for o in walked] == [o["orderId"] for o in union]
    assert {o["customerEmail"] for o in walked} == set(emails)


async def test_one_email_reads_the_same_by_either_parameter(oms: Simulator) -> None:
    [email] = _with_orders(1)
    single = (await oms.get("/oms/orders", customerEmail=email, pageSize="100")).body
    listed = (await oms.get("/oms/orders", customerEmails=email, pageSize="100")).body
    assert listed == single
    assert single["total"] >= 2


async def test_an_unknown_email_among_several_adds_no_orders(oms: Simulator) -> None:
    [email] = _with_orders(1)
    alone = (await oms.get("/oms/orders", customerEmail=email, pageSize="100")).body
    mixed = (
        await oms.get("/oms/orders", customerEmails=f"nobody@example.com,{email}", pageSize="100")
    ).body
    assert mixed == alone


async def test_more_than_twenty_emails_in_one_call_is_a_400(oms: Simulator) -> None:
    twenty = [f"someone.{n}@example.com" for n in range(20)]
    assert (await oms.get("/oms/orders", customerEmails=",".join(twenty))).status == 200
    reply = await oms.get("/oms/orders", customerEmails=",".join([*twenty, "one.more@example.com"]))
    assert reply.status == 400
    assert reply.body["errors"][0]["code"] == "INVALID_PARAMETER"
    empty = await oms.get("/oms/orders", customerEmails=" , ")
    assert empty.status == 400
    assert empty.body["errors"][0]["code"] == "MISSING_PARAMETER"


async def test_a_restarted_oms_never_gives_an_order_id_or_event_id_twice() -> None:
    """Its state lives in memory: a second run counts again from the seeded orders, and an event
    id an earlier run gave would be dropped by the gateway as a duplicate."""
    taken = []
    for run in range(2):
        async with serve("oms") as oms:
            reply = await oms.post("/oms/orders", ORDER, key(f"k-run-{run}"))
            assert reply.status == 201, reply.body
            taken.append((reply.body["orderId"], reply.body["eventId"]))
    [(first_order, first_event), (second_order, second_event)] = taken
    assert first_order != second_order
    assert first_event != second_event
