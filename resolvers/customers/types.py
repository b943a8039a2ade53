"""GraphQL types of a customer's context: identities, devices, the shared cart and history."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph import models
from graph.history import HistoryRequest
from graph.recommendations import RecommendationRequest
from resolvers.catalog.types import Product, Store
from resolvers.context import Context
from resolvers.enums import Channel, IdentityKind, InteractionType
from resolvers.pagination import (
    Connection,
    Edge,
    PageInfo,
    check_first,
    decode_history_cursor,
    encode_history_cursor,
)

MAX_RECOMMENDATIONS = 50


@strawberry.type(description="An identifier the customer is known by, and how we know it.")
class Identity:
    kind: IdentityKind
    value: str
    since: datetime
    source: str
    confidence: float


@strawberry.type(description="A device the customer uses (phone, tablet...).")
class Device:
    id: strawberry.ID
    kind: str
    os: str


@strawberry.type(description="A product line of the shared cart.")
class CartLine:
    product: Product
    quantity: int
    added_at: datetime
    added_via: Channel


@strawberry.type(description="The customer's one active cart, shared by every channel.")
class Cart:
    id: strawberry.ID
    version: int
    status: str
    updated_at: datetime
    lines: list[CartLine]

    @strawberry.field(description="Total number of items (sum of quantities).")
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @classmethod
    def from_model(cls, cart: models.Cart) -> Cart:
        return cls(
            id=strawberry.ID(cart.id),
            version=cart.version,
            status=cart.status,
            updated_at=cart.updated_at,
            lines=[
                CartLine(
                    product=Product.from_model(line.product),
                    quantity=line.quantity,
                    added_at=line.added_at,
                    added_via=Channel.from_code(line.added_via),
                )
                for line in cart.lines
            ],
        )


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


@strawberry.type(description="A product suggested for the customer, with why.")
class Recommendation:
    product: Product
    score: float
    reason: str


@strawberry.type(description="One person, resolved across every channel.")
class Customer:
    profile: strawberry.Private[models.CustomerProfile]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.profile.id)

    @strawberry.field
    def display_name(self) -> str:
        return self.profile.display_name

    @strawberry.field
    def created_at(self) -> datetime:
        return self.profile.created_at

    @strawberry.field(description="Every identifier linked to this customer.")
    def identities(self) -> list[Identity]:
        return [
            Identity(
                kind=IdentityKind.from_graph(i.kind),
                value=i.value,
                since=i.since,
                source=i.source,
                confidence=i.confidence,
            )
            for i in self.profile.identities
        ]

    @strawberry.field
    def devices(self) -> list[Device]:
        return [Device(id=strawberry.ID(d.id), kind=d.kind, os=d.os) for d in self.profile.devices]

    @strawberry.field(description="The active shared cart, or null when the customer has none.")
    def cart(self) -> Cart | None:
        return Cart.from_model(self.profile.cart) if self.profile.cart else None

    @strawberry.field(description="Interactions on every channel, newest first.")
    async def history(
        self,
        info: strawberry.Info[Context, None],
        first: int = 20,
        after: str | None = None,
        channels: list[Channel] | None = None,
        types: list[InteractionType] | None = None,
    ) -> Connection[Interaction]:
        request = HistoryRequest(
            customer_id=self.profile.id,
            first=check_first(first, info.context.max_page_size),
            after=decode_history_cursor(after) if after is not None else None,
            channels=tuple(c.value for c in channels) if channels is not None else None,
            types=tuple(t.value for t in types) if types is not None else None,
        )
        page = await info.context.loaders.history.load(request)
        edges = [
            Edge(cursor=encode_history_cursor(item.at, item.id), node=Interaction.from_model(item))
            for item in page.items
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="Products this customer is likely to want, best first.")
    async def recommendations(
        self, info: strawberry.Info[Context, None], first: int = 10
    ) -> list[Recommendation]:
        request = RecommendationRequest(self.profile.id, check_first(first, MAX_RECOMMENDATIONS))
        found = await info.context.loaders.recommendations.load(request)
        return [
            Recommendation(product=Product.from_model(r.product), score=r.score, reason=r.reason)
            for r in found
        ]
