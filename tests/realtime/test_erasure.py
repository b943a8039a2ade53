"""An erasure ends every open subscription about the customer, on every instance, and no event
about them is delivered once it has answered: neither one still queued nor one published late."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.state import BUS
from graph import GraphDatabase
from graph.erasure import ErasureReport, erase_customer
from graph.models import Cart, CartLine, Product
from resolvers.realtime.events import (
    ActivityKind,
    CartChanged,
    CustomerActivity,
    OrderStatusChanged,
)
from tests.conftest import Services
from tests.realtime.conftest import (
    CART_CHANGED,
    Instance,
    WsClient,
    eventually,
    serving,
    ws_client,
)

ACTIVITY = "subscription($c: ID!) { customerActivity(customerId: $c) { kind customerId } }"
ORDER_STATUS = "subscription($o: ID!) { orderStatusChanged(orderId: $o) { orderId status } }"
ERASE = "mutation($id: ID!) { eraseCustomer(id: $id) { erasureId replayed } }"
# What ingesting the OMS's order_status event leaves in the graph (graph/ingest.py).
STATUS_REACHED = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:DID]->(:Interaction {id: $id, type: 'order_status', channel: 'oms', at: $at,
                                  orderId: $orderId, orderStatus: 'placed'})
"""
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def instance(services: Services, graph: GraphDatabase) -> AsyncIterator[Instance]:
    # Resync after one idle second, as after thirty in production.
    settings = services.settings(migrate_on_start=False, bus_resync_idle_s=1.0)
    async with serving(settings) as running:
        yield running


async def _erase(instance: Instance, customer: str) -> None:
    answer = await instance.gateway.query(ERASE, {"id": customer})
    assert "errors" not in answer, answer
    assert answer["data"]["eraseCustomer"]["replayed"] is False


async def _until_complete(client: WsClient, op_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Every message of ``op_ids`` until each is complete (pongs skipped); none shows data."""
    seen: dict[str, list[dict[str, Any]]] = {op: [] for op in op_ids}
    open_ops = set(op_ids)
    while open_ops:
        message = await client.receive()
        if message["type"] == "pong":
            continue
        seen[message["id"]].append(message)
        if message["type"] == "next":
            assert message["payload"]["data"] is None, f"shown after the erasure: {message}"
        if message["type"] in ("complete", "error"):
            open_ops.discard(message["id"])
    return seen


def _ended_as_erased(messages: list[dict[str, Any]]) -> None:
    """Nothing shown: one result with no data and NOT_FOUND (the customer was erased), then the
    subscription completes."""
    assert [m["type"] for m in messages] == ["next", "complete"], messages
    payload = messages[0]["payload"]
    assert payload["data"] is None, payload
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["reason"] == "CUSTOMER_ERASED"


def _cart_with_lines(customer: str) -> Cart:
    line = CartLine(Product("FX-P1", "Sofa", "furniture", "Parcours"), 7, AT, "WEB")
    return Cart(f"cart_{customer}", 99, "active", AT, (line,))


async def test_an_erasure_ends_every_open_subscription_about_the_customer_on_every_instance(
    pair: tuple[Instance, Instance],
    graph: GraphDatabase,
    new_customer: Callable[[], Awaitable[str]],
):
    a, b = pair
    customer, bystander = await new_customer(), await new_customer()
    order = f"ORD-rt-{uuid.uuid4().hex[:10]}"
    await graph.write(
        STATUS_REACHED, {"customerId": customer, "id": f"evt-{order}", "at": AT, "orderId": order}
    )
    await a.add_item(customer)
    await a.add_item(bystander)
    async with ws_client(a) as on_a, ws_client(b) as on_b:
        await on_a.subscribe("cart", CART_CHANGED, {"c": customer})
        await on_b.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await on_a.next("cart"))["cartChanged"]["version"] == 1
        assert (await on_b.next("cart"))["cartChanged"]["version"] == 1
        await on_b.subscribe("other", CART_CHANGED, {"c": bystander})
        assert (await on_b.next("other"))["cartChanged"]["version"] == 1
        await on_b.subscribe("activity", ACTIVITY, {"c": customer})
        await on_b.subscribe("order", ORDER_STATUS, {"o": order})
        await eventually(lambda: b.open_feeds == 4)
        # Both have started watching their customer before the erasure: each shows an event
        # (the order's next status names its customer). An order whose status rows are erased
        # before its subscription has read them has no customer to watch.
        seen = CustomerActivity(customer, ActivityKind.INTERACTION, AT, ("int_seen",), "web")
        shipped = OrderStatusChanged(order, "shipped", AT + timedelta(hours=1), customer)
        await a.app[BUS].publish([seen, shipped])
        assert (await on_b.next("activity"))["customerActivity"]["kind"] == "INTERACTION"
        assert (await on_b.next("order"))["orderStatusChanged"]["status"] == "shipped"
        await _erase(a, customer)
        on_b_seen = await _until_complete(on_b, {"cart", "activity", "order"})
        on_a_seen = await _until_complete(on_a, {"cart"})
        # The other customer's subscription goes on.
        await a.add_item(bystander)
        assert (await on_b.next("other"))["cartChanged"]["version"] == 2
    for messages in (*on_b_seen.values(), *on_a_seen.values()):
        _ended_as_erased(messages)


async def test_an_event_published_late_by_another_instance_is_not_delivered_after_the_erasure(
    pair: tuple[Instance, Instance], new_customer: Callable[[], Awaitable[str]]
):
    a, b = pair
    customer = await new_customer()
    await a.add_item(customer)
    async with ws_client(b) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] == 1
        await client.subscribe("activity", ACTIVITY, {"c": customer})
        await eventually(lambda: b.open_feeds == 2)
        await _erase(a, customer)
        # A write on instance a that committed before the erasure publishes only now.
        await a.app[BUS].publish(
            [
                CartChanged(customer, _cart_with_lines(customer)),
                CustomerActivity(customer, ActivityKind.INTERACTION, AT, ("int_late",), "web"),
            ]
        )
        seen = await _until_complete(client, {"cart", "activity"})
    for messages in seen.values():
        _ended_as_erased(messages)


async def test_a_queued_event_is_not_shown_once_the_graph_holds_the_erasure(
    pair: tuple[Instance, Instance],
    graph: GraphDatabase,
    new_customer: Callable[[], Awaitable[str]],
):
    # The erasure's announcement may not have reached this instance yet when an event queued
    # before it is taken: the graph's record, committed before the erasure answers, decides.
    a, b = pair
    customer = await new_customer()
    await a.add_item(customer)
    async with ws_client(b) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] == 1
        await client.subscribe("activity", ACTIVITY, {"c": customer})
        await eventually(lambda: b.open_feeds == 2)
        erased = await erase_customer(graph, customer, ErasureReport([], [], 0))  # unannounced
        assert erased is not None
        await a.app[BUS].publish(
            [
                CartChanged(customer, _cart_with_lines(customer)),
                CustomerActivity(customer, ActivityKind.INTERACTION, AT, ("int_queued",), "web"),
            ]
        )
        seen = await _until_complete(client, {"cart", "activity"})
    for messages in seen.values():
        _ended_as_erased(messages)


async def test_an_erasure_whose_announcement_was_lost_ends_an_idle_subscription_at_its_resync(
    instance: Instance, graph: GraphDatabase, new_customer: Callable[[], Awaitable[str]]
):
    customer = await new_customer()
    await instance.add_item(customer)
    async with ws_client(instance) as client:
        await client.subscribe("cart", CART_CHANGED, {"c": customer})
        assert (await client.next("cart"))["cartChanged"]["version"] == 1
        await eventually(lambda: instance.open_feeds == 1)
        # Erased with no announcement (Redis was unreachable then, say) and no event after it.
        assert await erase_customer(graph, customer, ErasureReport([], [], 0)) is not None
        seen = await _until_complete(client, {"cart"})
    _ended_as_erased(seen["cart"])
