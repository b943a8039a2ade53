"""The shared cart in GraphQL: lines from the graph; prices and availability live from systems."""

from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from graph import carts, models
from resolvers.catalog.types import Product
from resolvers.context import Context
from resolvers.enums import Channel
from resolvers.live.federation import live_value
from resolvers.live.types import LineAvailability, Money, Promotion


@strawberry.type(description="A product line of the shared cart.")
class CartLine:
    product: Product
    quantity: int
    added_at: datetime
    added_via: Channel

    @strawberry.field(description="Live unit price from the web shop, before promotion.")
    async def unit_price(self, info: strawberry.Info[Context, None]) -> Money | None:
        price = await live_value(info, info.context.live.price.load(str(self.product.sku)))
        return Money(amount=price.amount, currency=price.currency) if price else None

    @strawberry.field(description="The web shop's live promotion on this product, if any.")
    async def promotion(self, info: strawberry.Info[Context, None]) -> Promotion | None:
        price = await live_value(info, info.context.live.price.load(str(self.product.sku)))
        return Promotion.from_record(price.promotion) if price and price.promotion else None

    @strawberry.field(description="Live availability from the OMS (online and per store).")
    async def availability(self, info: strawberry.Info[Context, None]) -> LineAvailability | None:
        found = await live_value(info, info.context.live.availability.load(str(self.product.sku)))
        return LineAvailability(record=found) if found else None


@strawberry.type(description="The customer's one active cart, shared by every channel.")
class Cart:
    id: strawberry.ID
    version: int = strawberry.field(
        description="Bumped by every change. A customer's new cart goes on from the last "
        "version of their previous one, so a version never names two of a customer's carts."
    )
    status: str
    updated_at: datetime
    lines: list[CartLine] = strawberry.field(
        description=f"One line per product, {carts.MAX_LINES} at most: adding another product "
        "to a full cart is BAD_USER_INPUT naming `sku`. A merge keeps the "
        f"{carts.MAX_LINES} most recently added lines of both carts and lists the others on "
        "the customer's `merges` (`droppedCartLines`)."
    )

    @strawberry.field(description="Total number of items (sum of quantities).")
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @strawberry.field(
        description="Sum of live prices after promotions; null if a price is missing."
    )
    async def total(self, info: strawberry.Info[Context, None]) -> Money | None:
        prices = await asyncio.gather(
            *(
                live_value(info, info.context.live.price.load(str(line.product.sku)))
                for line in self.lines
            )
        )
        if any(price is None for price in prices):
            return None
        amount = 0.0
        currency = "EUR"
        for line, price in zip(self.lines, prices, strict=True):
            assert price is not None  # noqa: S101 - checked just above; narrows the type
            off = price.promotion.percent_off if price.promotion else 0.0
            amount += price.amount * (1 - off / 100) * line.quantity
            currency = price.currency
        return Money(amount=round(amount, 2), currency=currency)

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
