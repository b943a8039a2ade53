"""The Subscription root: ``cartChanged``, ``customerActivity`` and ``orderStatusChanged``.

Each subscription opens its feed first, then reads the truth (so nothing falls between the read
and the feed), and reads it again whenever the feed says events may have been missed. A cart is
only shown when it is newer than the one shown before, so a late or repeated event never takes a
subscriber back in time. Access is decided again before each result, not only when the
subscription starts: a caller that lost the scope (its credentials are checked again while the
connection lives), or a customer who withdrew the consent the caller needs, ends it with
FORBIDDEN.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import strawberry

from graph import cart_state, models
from resolvers.access.guard import admit_customer
from resolvers.access.permissions import CartRead, CustomerVisible, HistoryRead
from resolvers.context import Context
from resolvers.customers.cart import Cart
from resolvers.errors import Forbidden
from resolvers.realtime import events
from resolvers.realtime.types import CustomerActivityItem, OrderStatusUpdate
from resolvers.validation import check_key

Info = strawberry.Info[Context, None]


@dataclass
class CartTimeline:
    """The cart a subscriber last saw; accepts only what is newer.

    Example:
        >>> from datetime import UTC, datetime
        >>> t = CartTimeline()
        >>> at = datetime(2026, 1, 1, tzinfo=UTC)
        >>> [t.accept(models.Cart("k", v, "active", at, ())) for v in (2, 1, 2, 3)]
        [True, False, False, True]
    """

    shown: models.Cart | None = None
    retired: set[str] = field(default_factory=set)

    def accept(self, cart: models.Cart) -> bool:
        if cart.id in self.retired:
            return False
        if self.shown is not None:
            if cart.id == self.shown.id:
                if cart.version <= self.shown.version:
                    return False
            else:
                self.retired.add(self.shown.id)
        self.shown = cart
        return True


async def _cart_now(info: Info, customer_id: str, event: events.Event | None) -> models.Cart | None:
    if isinstance(event, events.CartChanged) and event.cart is not None:
        return event.cart
    # Shielded: a subscriber that leaves mid-read must not cancel the driver inside a query
    # (the driver then drops its socket unclosed); the read finishes and is discarded.
    return await asyncio.shield(cart_state.latest_cart(info.context.graph, customer_id))


async def _still_allowed(info: Info, scope: str, customer_id: str | None = None) -> None:
    """FORBIDDEN unless the caller still has ``scope`` and, for ``customer_id``, the customer
    still consents to what the caller needs (read afresh: the connection's loaders are renewed)."""
    access = info.context.access
    if not access.principal.has(scope):
        raise Forbidden(f"this subscription needs the `{scope}` scope")
    info.context.renew()
    if customer_id is not None:
        await admit_customer(access, info.context.consents, customer_id)


@strawberry.type(description="Live changes, over graphql-transport-ws.")
class Subscription:
    @strawberry.subscription(
        description="The customer's cart now, then the full cart after every change from any "
        "channel, with strictly increasing versions (a new cart after a checkout goes on from the "
        "ordered cart's last version).",
        permission_classes=[CartRead, CustomerVisible],
    )
    async def cart_changed(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[Cart, None]:
        key = check_key(str(customer_id), "customerId")
        timeline = CartTimeline()
        async with info.context.events.feed(events.cart_topic(key)) as feed:
            current = await _cart_now(info, key, None)
            if current is not None and timeline.accept(current):
                yield Cart.from_model(current)
            async for item in feed:
                event = item if isinstance(item, events.CartChanged) else None
                current = await _cart_now(info, key, event)
                if current is not None and timeline.accept(current):
                    await _still_allowed(info, CartRead.scope, key)
                    yield Cart.from_model(current)

    @strawberry.subscription(
        description="Interactions, journey steps and identity changes of the customer as they "
        "happen; RESYNC when some may have been missed.",
        permission_classes=[HistoryRead, CustomerVisible],
    )
    async def customer_activity(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[CustomerActivityItem, None]:
        key = check_key(str(customer_id), "customerId")
        async with info.context.events.feed(events.activity_topic(key)) as feed:
            async for item in feed:
                if isinstance(item, events.CustomerActivity):
                    await _still_allowed(info, HistoryRead.scope, key)
                    yield CustomerActivityItem.from_event(item)
                elif isinstance(item, events.Resync):
                    await _still_allowed(info, HistoryRead.scope, key)
                    yield CustomerActivityItem.from_event(
                        events.CustomerActivity(key, events.ActivityKind.RESYNC, datetime.now(UTC))
                    )

    @strawberry.subscription(
        description="Each new status of the order.", permission_classes=[HistoryRead]
    )
    async def order_status_changed(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncGenerator[OrderStatusUpdate, None]:
        key = check_key(str(order_id), "orderId")
        last: tuple[datetime, str] | None = None
        async with info.context.events.feed(events.order_topic(key)) as feed:
            async for item in feed:
                if isinstance(item, events.OrderStatusChanged) and (item.at, item.status) != last:
                    last = (item.at, item.status)
                    # The order's customer, when known, must be visible to the caller too.
                    await _still_allowed(info, HistoryRead.scope, item.customer_id)
                    yield OrderStatusUpdate.from_event(item)
