"""An erasure ends every open subscription about the customer, on every instance, and no event
about them is delivered once it has answered: neither one still queued nor one published late."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.state import BUS
from graph import GraphDatabase, order_status
from graph.erasure import ErasureReport, customer_id_hash, erase_customer
from graph.models import Cart, CartLine, Product
from resolvers.realtime.events import (
    ActivityKind,
    CartChanged,
    CustomerActivity,
    OrderStatusChanged,
    activity_topic,
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
        # The activity subscription shows an event first (it watches its customer from then
        # on). The order's need not: one whose status rows the erasure deletes before it reads
        # them ends all the same (by the order's id hash the erasure keeps).
        seen = CustomerActivity(customer, ActivityKind.INTERACTION, AT, ("int_seen",), "web")
        await a.app[BUS].publish([seen])
        assert (await on_b.next("activity"))["customerActivity"]["kind"] == "INTERACTION"
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


async def test_an_order_subscription_whose_status_rows_were_erased_before_it_read_them_ends(
    pair: tuple[Instance, Instance],
    graph: GraphDatabase,
    new_customer: Callable[[], Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
):
    """The erasure commits (and is announced) between the feed opening and the first read of
    the order's status: the subscription never learns whose the order was, yet it ends."""
    a, b = pair
    customer = await new_customer()
    order = f"ORD-rt-{uuid.uuid4().hex[:10]}"
    await graph.write(
        STATUS_REACHED, {"customerId": customer, "id": f"evt-{order}", "at": AT, "orderId": order}
    )
    read = order_status.latest_order_status

    async def erased_first(db: GraphDatabase, order_id: str) -> Any:
        if order_id == order and await erase_customer(db, customer, ErasureReport([], [], 0)):
            await a.app[BUS].announce_erasure(customer_id_hash(customer))
        return await read(db, order_id)

    monkeypatch.setattr(order_status, "latest_order_status", erased_first)
    async with ws_client(b) as client:
        await client.subscribe("order", ORDER_STATUS, {"o": order})
        seen = await _until_complete(client, {"order"})
    _ended_as_erased(seen["order"])


async def _ordered_cart(graph: GraphDatabase, customer: str) -> str:
    """An order placed at checkout (its cart holds the order id) with no status ingested yet."""
    order = f"ORD-rt-{uuid.uuid4().hex[:10]}"
    await graph.write(
        "MATCH (c:Customer {id: $id}) "
        "CREATE (c)-[:HAS_CART]->(:Cart {id: 'cart-' + $order, version: 1, status: 'ordered', "
        "updatedAt: datetime(), orderId: $order})",
        {"id": customer, "order": order},
    )
    return order


async def test_an_order_subscription_that_has_seen_no_status_yet_ends_when_its_customer_is_erased(
    pair: tuple[Instance, Instance],
    graph: GraphDatabase,
    new_customer: Callable[[], Awaitable[str]],
):
    a, b = pair
    customer = await new_customer()
    order = await _ordered_cart(graph, customer)
    async with ws_client(b) as client:
        await client.subscribe("order", ORDER_STATUS, {"o": order})
        await eventually(lambda: b.open_feeds == 1)
        await _erase(a, customer)
        seen = await _until_complete(client, {"order"})
    _ended_as_erased(seen["order"])


async def test_an_order_subscription_whose_customer_s_erasure_was_not_announced_ends_at_resync(
    instance: Instance, graph: GraphDatabase, new_customer: Callable[[], Awaitable[str]]
):
    customer = await new_customer()
    order = await _ordered_cart(graph, customer)
    async with ws_client(instance) as client:
        await client.subscribe("order", ORDER_STATUS, {"o": order})
        await eventually(lambda: instance.open_feeds == 1)
        assert await erase_customer(graph, customer, ErasureReport([], [], 0)) is not None
        seen = await _until_complete(client, {"order"})
    _ended_as_erased(seen["order"])


async def test_an_erasure_just_after_the_feed_opened_ends_the_subscription_unannounced(
    pair: tuple[Instance, Instance],
    graph: GraphDatabase,
    new_customer: Callable[[], Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
):
    """The erasure commits as the subscription's feed opens, and its announcement is lost: the
    erasure record it compares with before each result must be the one from before, or an
    event queued about the erased customer is shown."""
    a, b = pair
    customer = await new_customer()
    bus = b.app[BUS]
    opened = bus.feed

    @contextlib.asynccontextmanager
    async def erased_on_open(topic: str) -> AsyncIterator[Any]:
        async with opened(topic) as feed:
            if topic == activity_topic(customer):
                assert await erase_customer(graph, customer, ErasureReport([], [], 0))
            yield feed

    monkeypatch.setattr(bus, "feed", erased_on_open)
    async with ws_client(b) as client:
        await client.subscribe("activity", ACTIVITY, {"c": customer})
        await eventually(lambda: b.open_feeds == 1)
        queued = CustomerActivity(customer, ActivityKind.INTERACTION, AT, ("int_queued",), "web")
        await a.app[BUS].publish([queued])
        seen = await _until_complete(client, {"activity"})
    _ended_as_erased(seen["activity"])


async def test_an_order_subscription_ends_when_the_customer_its_order_was_merged_into_is_erased(
    pair: tuple[Instance, Instance],
    graph: GraphDatabase,
    new_customer: Callable[[], Awaitable[str]],
):
    """It watched the customer who placed the order; a merge moved the order's status rows to
    another customer, who is then erased: that announcement names someone else's hash."""
    a, b = pair
    guest, survivor = await new_customer(), await new_customer()
    order = f"ORD-rt-{uuid.uuid4().hex[:10]}"
    await graph.write(
        STATUS_REACHED, {"customerId": guest, "id": f"evt-{order}", "at": AT, "orderId": order}
    )
    async with ws_client(b) as client:
        await client.subscribe("order", ORDER_STATUS, {"o": order})
        await eventually(lambda: b.open_feeds == 1)
        shipped = OrderStatusChanged(order, "shipped", AT + timedelta(hours=1), guest)
        await a.app[BUS].publish([shipped])
        assert (await client.next("order"))["orderStatusChanged"]["status"] == "shipped"
        await graph.write(  # what a merge does with the guest's interactions, then the guest
            "MATCH (g:Customer {id: $guest})-[:DID]->(i:Interaction), (s:Customer {id: $s}) "
            "CREATE (s)-[:DID]->(i) DETACH DELETE g",
            {"guest": guest, "s": survivor},
        )
        await _erase(a, survivor)
        seen = await _until_complete(client, {"order"})
    _ended_as_erased(seen["order"])
