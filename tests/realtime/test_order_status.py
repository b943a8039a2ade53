"""``orderStatusChanged`` shows each new status once, in the order the order reached them, and
one the bus never delivered (a publish lost while Redis was unreachable) at the next resync."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from gateway.state import BUS
from graph import GraphDatabase
from resolvers.realtime.events import OrderStatusChanged
from tests.conftest import Services
from tests.realtime.conftest import Instance, eventually, serving, ws_client

ORDER_STATUS = "subscription($o: ID!) { orderStatusChanged(orderId: $o) { orderId status } }"
# What ingesting the OMS's order_status event leaves in the graph (graph/ingest.py).
STATUS_REACHED = """
MATCH (c:Customer {id: $customerId})
CREATE (c)-[:DID]->(:Interaction {id: $id, type: 'order_status', channel: 'oms', at: $at,
                                  orderId: $orderId, orderStatus: $status})
"""
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def instance(services: Services, graph) -> AsyncIterator[Instance]:
    # Resync after one idle second, as after thirty in production: what a reconnect also does.
    settings = services.settings(migrate_on_start=False, bus_resync_idle_s=1.0)
    async with serving(settings) as running:
        yield running


def _order() -> str:
    return f"ORD-rt-{uuid.uuid4().hex[:10]}"


async def test_a_status_arriving_after_a_later_one_is_not_shown(instance: Instance):
    order, customer = _order(), "cus_rt_order_owner"
    hours = [T0 + timedelta(hours=n) for n in range(3)]
    async with ws_client(instance) as client:
        await client.subscribe("o", ORDER_STATUS, {"o": order})
        await eventually(lambda: instance.open_feeds >= 1)
        await instance.app[BUS].publish(
            [
                OrderStatusChanged(order, "shipped", hours[1], customer),
                OrderStatusChanged(order, "placed", hours[0], customer),  # late, from elsewhere
                OrderStatusChanged(order, "shipped", hours[1], customer),  # a repeat
                OrderStatusChanged(order, "delivered", hours[2], customer),
            ]
        )
        seen = [(await client.next("o"))["orderStatusChanged"]["status"] for _ in range(2)]
    assert seen == ["shipped", "delivered"]


async def test_a_status_the_bus_never_delivered_is_shown_at_the_next_resync(
    instance: Instance, graph: GraphDatabase, new_customer: Callable[[], Awaitable[str]]
):
    order, customer = _order(), await new_customer()

    async def reached(status: str, at: datetime) -> None:
        values = {"customerId": customer, "id": f"evt-{uuid.uuid4().hex}", "at": at}
        await graph.write(STATUS_REACHED, {**values, "orderId": order, "status": status})

    await reached("placed", T0)
    async with ws_client(instance) as client:
        await client.subscribe("o", ORDER_STATUS, {"o": order})
        await eventually(lambda: instance.open_feeds >= 1)
        confirmed = OrderStatusChanged(order, "confirmed", T0 + timedelta(minutes=5), customer)
        await reached(confirmed.status, confirmed.at)
        await instance.app[BUS].publish([confirmed])
        assert (await client.next("o"))["orderStatusChanged"]["status"] == "confirmed"
        # Shipped, but its event lost (Redis was down when the gateway published it).
        await reached("shipped", T0 + timedelta(hours=1))
        resynced = (await client.next("o"))["orderStatusChanged"]
        assert resynced == {"orderId": order, "status": "shipped"}
        await instance.app[BUS].publish(
            [OrderStatusChanged(order, "shipped", T0 + timedelta(hours=1), customer)]
        )  # the same status, published late: not shown twice
        delivered = OrderStatusChanged(order, "delivered", T0 + timedelta(hours=2), customer)
        await instance.app[BUS].publish([delivered])
        assert (await client.next("o"))["orderStatusChanged"]["status"] == "delivered"
