"""GraphQL types of live channel data: money, promotions, availability, orders, tickets."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from channels import records
from resolvers.context import Context
from resolvers.errors import NotFound
from resolvers.validation import check_key


@strawberry.type(description="An amount of money.")
class Money:
    amount: float
    currency: str


@strawberry.type(description="A promotion the web shop applies to a product.")
class Promotion:
    id: strawberry.ID
    label: str
    percent_off: float

    @classmethod
    def from_record(cls, promotion: records.Promotion) -> Promotion:
        return cls(
            id=strawberry.ID(promotion.id),
            label=promotion.label,
            percent_off=promotion.percent_off,
        )


@strawberry.type(description="Units available in one store (from the OMS).")
class StoreAvailability:
    store_id: strawberry.ID
    available: int


# Stores listed by ``ProductAvailability.stores`` without ``storeIds``, as many as may be asked.
MAX_LISTED_STORES = 50


@strawberry.type(description="Where a product can be had right now.")
class ProductAvailability:
    online: int
    stores: list[StoreAvailability] = strawberry.field(
        description="The stores asked for with `storeIds` (at most 50), in store id order; "
        f"without `storeIds`, the stores holding stock, most units first (ties by store id), "
        f"at most {MAX_LISTED_STORES}: `storesHoldingStock` says how many there are."
    )
    stores_holding_stock: int = strawberry.field(
        description="How many stores hold at least one unit: the ones asked for with "
        "`storeIds`, else every store of the network (`stores` lists the first "
        f"{MAX_LISTED_STORES})."
    )

    @classmethod
    def from_record(cls, item: records.Availability) -> ProductAvailability:
        """Without ``storeIds``: the OMS lists every store, those without stock too (and the
        network grows), so the list is the stores holding stock, the best stocked first, cut."""
        holding = sorted(
            (s for s in item.stores if s.available > 0),
            key=lambda s: (-s.available, s.store_id),
        )
        return cls(
            online=item.online,
            stores=[
                StoreAvailability(store_id=strawberry.ID(s.store_id), available=s.available)
                for s in holding[:MAX_LISTED_STORES]
            ],
            stores_holding_stock=len(holding),
        )


@strawberry.type(description="Availability of a cart line: online, and in a given store.")
class LineAvailability:
    record: strawberry.Private[records.Availability]

    @strawberry.field
    def online(self) -> int:
        return self.record.online

    @strawberry.field(
        description="Units available in this store; 0 when it has none; null with NOT_FOUND for "
        "a store that does not exist."
    )
    async def in_store(
        self, info: strawberry.Info[Context, None], store_id: strawberry.ID
    ) -> int | None:
        [key] = await known_stores(info, [str(store_id)], "storeId")
        return next((s.available for s in self.record.stores if s.store_id == key), 0)


@strawberry.enum(description="How an order reaches the customer.")
class Fulfilment(Enum):
    DELIVERY = "DELIVERY"
    CLICK_AND_COLLECT = "CLICK_AND_COLLECT"


@strawberry.type(description="One step of an order's life.")
class OrderEvent:
    status: str
    at: datetime


@strawberry.type(description="An order, as the order-management system knows it.")
class Order:
    id: strawberry.ID
    created_at: datetime
    status: str
    fulfilment: Fulfilment
    store_id: strawberry.ID | None
    total: Money
    timeline: list[OrderEvent]

    @classmethod
    def from_record(cls, order: records.Order) -> Order:
        return cls(
            id=strawberry.ID(order.id),
            created_at=order.created_at,
            status=order.status,
            fulfilment=Fulfilment(order.fulfilment),
            store_id=strawberry.ID(order.store_id) if order.store_id else None,
            total=Money(amount=order.total, currency="EUR"),
            timeline=[OrderEvent(status=e.status, at=e.at) for e in order.timeline],
        )


@strawberry.enum(description="Whether a ticket is still being worked on.")
class TicketStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.type(description="A contact-centre ticket.")
class Ticket:
    id: strawberry.ID
    subject: str
    status: str
    channel: str
    opened_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, ticket: records.Ticket) -> Ticket:
        return cls(
            id=strawberry.ID(ticket.id),
            subject=ticket.subject,
            status=ticket.status,
            channel=ticket.channel,
            opened_at=ticket.opened_at,
            updated_at=ticket.updated_at,
        )


@strawberry.type(description="How the mobile backend knows a device.")
class DeviceRegistration:
    platform: str
    push_enabled: bool
    registered_at: datetime


async def known_stores(
    info: strawberry.Info[Context, None], store_ids: list[str], argument: str
) -> list[str]:
    """``store_ids`` checked, or NOT_FOUND naming the first the graph does not hold: the OMS lists
    only the stores holding stock, so an unknown id would otherwise read as a stock-out."""
    keys = [check_key(store_id, argument) for store_id in store_ids]
    found = await info.context.loaders.store.load_many(keys)
    for key, store in zip(keys, found, strict=True):
        if store is None:
            raise NotFound(f"no store with id {key!r}", id=key, argument=argument)
    return keys
