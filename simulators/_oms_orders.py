"""Orders as the OMS keeps them, and the order history it starts with.

Seeded orders are the dataset's web and app purchases, keyed by the customer's email: each gets a
fulfilment (home delivery, or click & collect at a store) and a status timeline that has advanced
as far as the dataset's end date allows. This module must never decide about stock or HTTP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulators._clock import iso
from simulators._dataset import HISTORY_END, Dataset

DELIVERY = "DELIVERY"
CLICK_AND_COLLECT = "CLICK_AND_COLLECT"
FULFILMENT_TYPES = (DELIVERY, CLICK_AND_COLLECT)


@dataclass
class Order:
    """One order: who, what, how it is fulfilled, and every status it went through.

    Example:
        >>> from datetime import UTC
        >>> order = Order("ORD-0000001", "a@example.com", DELIVERY, None, [("SKU-00001", 2, 9.99)],
        ...               [("CREATED", datetime(2026, 11, 2, tzinfo=UTC))], "evt-oms-0000001")
        >>> order.as_json()["status"], order.as_json()["total"]
        ('CREATED', 19.98)
    """

    order_id: str
    customer_email: str
    fulfilment_type: str
    store_id: str | None
    lines: list[tuple[str, int, float]]
    timeline: list[tuple[str, datetime]]
    event_id: str

    @property
    def created_at(self) -> datetime:
        return self.timeline[0][1]

    def as_json(self) -> dict[str, Any]:
        fulfilment: dict[str, Any] = {"type": self.fulfilment_type}
        if self.store_id is not None:
            fulfilment["storeId"] = self.store_id
        return {
            "orderId": self.order_id,
            "customerEmail": self.customer_email,
            "createdAt": iso(self.created_at),
            "status": self.timeline[-1][0],
            "fulfilment": fulfilment,
            "lines": [{"sku": s, "qty": q, "unitPrice": p} for s, q, p in self.lines],
            "total": round(sum(qty * price for _, qty, price in self.lines), 2),
            "timeline": [{"status": status, "at": iso(at)} for status, at in self.timeline],
            "eventId": self.event_id,
        }


# What comes after each status, by fulfilment; a status absent here is final.
NEXT_STATUS: dict[str, dict[str, str]] = {
    DELIVERY: {"CREATED": "CONFIRMED", "CONFIRMED": "SHIPPED", "SHIPPED": "DELIVERED"},
    CLICK_AND_COLLECT: {
        "CREATED": "CONFIRMED",
        "CONFIRMED": "READY_FOR_PICKUP",
        "READY_FOR_PICKUP": "COLLECTED",
    },
}


def next_status(order: Order) -> str | None:
    """The status ``order`` moves to next, or ``None`` when it has reached the end.

    Example:
        >>> from datetime import UTC
        >>> order = Order("ORD-1", "a@example.com", CLICK_AND_COLLECT, "ST001", [],
        ...               [("CONFIRMED", datetime(2026, 11, 2, tzinfo=UTC))], "evt-1")
        >>> next_status(order)
        'READY_FOR_PICKUP'
    """
    return NEXT_STATUS[order.fulfilment_type].get(order.timeline[-1][0])


def seeded_orders(dataset: Dataset, rng: random.Random) -> list[Order]:
    """Every web and app purchase in the dataset, as an order, oldest customer first."""
    orders: list[Order] = []
    store_ids = [store["id"] for store in dataset.stores]
    skus = [product["sku"] for product in dataset.products]
    for customer in dataset.customers:
        email = customer.identity("email")
        if email is None:
            continue
        for purchase in customer.activity("web", "app", kind="purchase"):
            collect = rng.random() < 0.3
            fulfilment = CLICK_AND_COLLECT if collect else DELIVERY
            lines = [(purchase["sku"], rng.choice((1, 1, 2)))]
            lines += [(rng.choice(skus), 1) for _ in range(rng.choice((0, 0, 1)))]
            orders.append(
                Order(
                    order_id=f"ORD-{len(orders) + 1:07d}",
                    customer_email=email,
                    fulfilment_type=fulfilment,
                    store_id=rng.choice(store_ids) if collect else None,
                    lines=[(sku, qty, dataset.list_prices[sku]) for sku, qty in lines],
                    timeline=_timeline(rng, purchase["at"], fulfilment),
                    event_id=purchase["id"],
                )
            )
    return orders


def _timeline(rng: random.Random, created: datetime, fulfilment: str) -> list[tuple[str, datetime]]:
    confirmed = created + timedelta(minutes=rng.randint(2, 90))
    steps = [("CREATED", created), ("CONFIRMED", confirmed)]
    roll = rng.random()
    if roll < 0.04:
        steps.append(("CANCELLED", confirmed + timedelta(hours=rng.randint(1, 20))))
    elif fulfilment == DELIVERY:
        shipped = confirmed + timedelta(hours=rng.randint(12, 48))
        delivered = shipped + timedelta(hours=rng.randint(24, 96))
        steps += [("SHIPPED", shipped), ("DELIVERED", delivered)]
        if roll > 0.95:
            steps.append(("RETURNED", delivered + timedelta(days=rng.randint(3, 20))))
    else:
        ready = confirmed + timedelta(hours=rng.randint(3, 30))
        steps += [("READY_FOR_PICKUP", ready)]
        steps += [("COLLECTED", ready + timedelta(hours=rng.randint(2, 120)))]
    return [(status, at) for status, at in steps if at <= HISTORY_END] or steps[:1]
