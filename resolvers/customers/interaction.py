"""The GraphQL type of one interaction: a touch of the customer on one channel."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph import models
from resolvers.catalog.types import Product, Store
from resolvers.enums import Channel, InteractionType


@strawberry.type(description="One touch of the customer on one channel.")
class Interaction:
    id: strawberry.ID
    at: datetime
    type: InteractionType
    channel: Channel
    product: Product | None
    store: Store | None
    device_id: strawberry.ID | None

    @classmethod
    def from_model(cls, item: models.Interaction) -> Interaction:
        return cls(
            id=strawberry.ID(item.id),
            at=item.at,
            type=InteractionType(item.type),
            channel=Channel.from_code(item.channel),
            product=Product.from_model(item.product) if item.product else None,
            store=Store.from_model(item.store) if item.store else None,
            device_id=strawberry.ID(item.device_id) if item.device_id else None,
        )
