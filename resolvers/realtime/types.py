"""GraphQL types of the live feeds: a customer's activity and an order's status."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.enums import Channel
from resolvers.realtime import events


@strawberry.type(
    name="CustomerActivity",
    description="Something that happened to a customer, as it happens, on any channel.",
)
class CustomerActivityItem:
    kind: events.ActivityKind
    customer_id: strawberry.ID
    at: datetime
    ids: list[strawberry.ID] = strawberry.field(
        description="What it is about: interaction ids; the journey then its new step; the "
        "merge record; the identity conflict recorded. Empty for an ingested batch, a consent "
        "decision (read the consents) or a RESYNC (read the history)."
    )
    channel: Channel | None

    @classmethod
    def from_event(cls, event: events.CustomerActivity) -> CustomerActivityItem:
        return cls(
            kind=event.kind,
            customer_id=strawberry.ID(event.customer_id),
            at=event.at,
            ids=[strawberry.ID(i) for i in event.ids],
            channel=Channel.from_code(event.channel) if event.channel else None,
        )


@strawberry.type(description="An order reached a new status.")
class OrderStatusUpdate:
    order_id: strawberry.ID
    status: str
    at: datetime

    @classmethod
    def from_event(cls, event: events.OrderStatusChanged) -> OrderStatusUpdate:
        return cls(order_id=strawberry.ID(event.order_id), status=event.status, at=event.at)
