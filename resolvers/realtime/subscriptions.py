"""The Subscription root: ``cartChanged``, ``customerActivity`` and ``orderStatusChanged``.

Each subscription opens its feed first, then reads the truth (so nothing falls between the read
and the feed), and reads it again whenever the feed says events may have been missed. A cart is
only shown when it is newer than the one shown before, so a late or repeated event never takes a
subscriber back in time. Access is decided again before each result, not only when the
subscription starts: a caller that lost the scope (its credentials are checked again while the
connection lives), or a customer who withdrew the consent the caller needs, ends it with
FORBIDDEN; a customer erased meanwhile ends it with NOT_FOUND (``erasure_watch``). A read that
fails in a way that may pass is tried again a few times (``rereads``) before the subscription
ends with SERVICE_UNAVAILABLE. A customer merged into another will never change again under its
id: a subscription on it ends with CUSTOMER_MERGED naming the survivor (``survivorId``), to
subscribe to instead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import strawberry

from graph import cart_state, merged_ids, models, order_status
from resolvers.access.guard import admit_customer
from resolvers.access.permissions import CartRead, HistoryRead
from resolvers.context import Context
from resolvers.customers.cart import Cart
from resolvers.errors import CustomerMerged, Forbidden
from resolvers.realtime import events
from resolvers.realtime.erasure_watch import ErasureWatch
from resolvers.realtime.rereads import reread
from resolvers.realtime.types import CustomerActivityItem, OrderStatusUpdate
from resolvers.realtime.visibility import CustomerVisible
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


@dataclass
class OrderTimeline:
    """The order status a subscriber last saw; accepts only a later one.

    ``found`` is the status read when the subscription started: not shown (only new statuses
    are), but a re-read after a gap is shown only when later than it. An event is compared
    with what was shown only, since the event of the status found may still be on its way.

    Example:
        >>> from datetime import UTC, datetime
        >>> t = OrderTimeline(found=(datetime(2026, 1, 1, tzinfo=UTC), "placed"))
        >>> day = [datetime(2026, 1, d, tzinfo=UTC) for d in (1, 2, 3)]
        >>> [t.accept(day[0], "placed"), t.accept(day[2], "shipped"), t.accept(day[1], "packed")]
        [True, True, False]
        >>> t.accept(day[2], "shipped", reread=True)
        False
    """

    found: tuple[datetime, str] | None = None
    shown: tuple[datetime, str] | None = None

    def accept(self, at: datetime, status: str, *, reread: bool = False) -> bool:
        mark = (at, status)
        for floor in (self.shown, self.found if reread else None):
            if floor is not None and (at < floor[0] or mark == floor):
                return False
        self.shown = mark
        return True


async def _order_now(info: Info, order_id: str) -> events.OrderStatusChanged | None:
    graph = info.context.graph
    found = await reread(lambda: order_status.latest_order_status(graph, order_id), "order")
    if found is None:
        return None
    return events.OrderStatusChanged(found.order_id, found.status, found.at, found.customer_id)


async def _cart_now(info: Info, customer_id: str, event: events.Event | None) -> models.Cart | None:
    if isinstance(event, events.CartChanged) and event.cart is not None:
        return event.cart
    graph = info.context.graph
    return await reread(lambda: cart_state.latest_cart(graph, customer_id), "cart")


async def _still_allowed(info: Info, scope: str, customer_id: str | None = None) -> None:
    """FORBIDDEN unless the caller still has ``scope`` and, for ``customer_id``, the customer
    still consents to what the caller needs (read afresh: the connection's loaders are renewed)."""
    access = info.context.access
    if not access.principal.has(scope):
        raise Forbidden(f"this subscription needs the `{scope}` scope")
    if customer_id is None or not access.principal.required_consents:
        info.context.renew()
        return
    customer = customer_id

    async def admit() -> None:
        # Fresh loaders each attempt (a DataLoader keeps a failed load's error for its key).
        info.context.renew()
        await admit_customer(access, info.context.consents, customer)

    # Tried again past a passing Neo4j failure, as the subscription's other reads are.
    await reread(admit, "customer's consents")


async def _end_if_merged(info: Info, scope: str, customer_id: str) -> None:
    """CUSTOMER_MERGED, naming the survivor, once ``customer_id`` was merged into another
    customer: its feed carries nothing more, so the client must follow the survivor's id. The
    survivor is named only to a caller still allowed to see it (else FORBIDDEN)."""
    graph = info.context.graph
    survivor = await reread(lambda: merged_ids.merged_into(graph, customer_id), "customer")
    if survivor is None:
        return
    await _still_allowed(info, scope, survivor)
    raise CustomerMerged(
        f"customer {customer_id!r} was merged into {survivor!r}: subscribe to that id instead",
        customerId=customer_id,
        survivorId=survivor,
    )


@strawberry.type(description="Live changes, over graphql-transport-ws.")
class Subscription:
    @strawberry.subscription(
        description="The customer's cart now, then the full cart after every change from any "
        "channel, with strictly increasing versions (a new cart after a checkout goes on from the "
        "ordered cart's last version) (`cart:read`). Ends with CUSTOMER_MERGED "
        "(extensions.survivorId) once the customer is merged into another, and with NOT_FOUND "
        "(reason CUSTOMER_ERASED) once they are erased.",
        permission_classes=[CartRead, CustomerVisible],
    )
    async def cart_changed(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[Cart, None]:
        key = check_key(str(customer_id), "customerId")
        timeline = CartTimeline()
        erasure = ErasureWatch(info.context.graph)
        # Before the feed opens: an erasure from then on ends this, its announcement or not.
        await erasure.watch(key)
        async with info.context.events.feed(events.cart_topic(key)) as feed:
            current = await _cart_now(info, key, None)
            if current is None:
                await _end_if_merged(info, CartRead.scope, key)
            elif timeline.accept(current):
                await erasure.check()
                yield Cart.from_model(current)
            async for item in feed:
                await erasure.announced(item)
                if isinstance(item, events.Resync):
                    await erasure.check()  # an announcement may be among what was missed
                event = item if isinstance(item, events.CartChanged) else None
                current = await _cart_now(info, key, event)
                if current is None:
                    # No cart: a customer without one, or merged away (its carts moved).
                    await _end_if_merged(info, CartRead.scope, key)
                elif timeline.accept(current):
                    await _still_allowed(info, CartRead.scope, key)
                    await erasure.check()
                    yield Cart.from_model(current)

    @strawberry.subscription(
        description="Interactions, journey steps and identity changes of the customer as they "
        "happen; RESYNC when some may have been missed (`history:read`). Ends with "
        "CUSTOMER_MERGED (extensions.survivorId) after the IDENTITY_MERGED item of the customer "
        "merged away, and with NOT_FOUND (reason CUSTOMER_ERASED) once they are erased.",
        permission_classes=[HistoryRead, CustomerVisible],
    )
    async def customer_activity(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[CustomerActivityItem, None]:
        key = check_key(str(customer_id), "customerId")
        erasure = ErasureWatch(info.context.graph)
        await erasure.watch(key)  # before the feed opens, as cartChanged's
        async with info.context.events.feed(events.activity_topic(key)) as feed:
            await _end_if_merged(info, HistoryRead.scope, key)
            async for item in feed:
                await erasure.announced(item)
                if isinstance(item, events.CustomerActivity):
                    await _still_allowed(info, HistoryRead.scope, key)
                    await erasure.check()
                    yield CustomerActivityItem.from_event(item)
                    if item.kind is events.ActivityKind.IDENTITY_MERGED:
                        await _end_if_merged(info, HistoryRead.scope, key)
                elif isinstance(item, events.Resync):
                    # The merge's own event may be among those missed.
                    await _end_if_merged(info, HistoryRead.scope, key)
                    await _still_allowed(info, HistoryRead.scope, key)
                    await erasure.check()
                    yield CustomerActivityItem.from_event(
                        events.CustomerActivity(key, events.ActivityKind.RESYNC, datetime.now(UTC))
                    )

    @strawberry.subscription(
        description="Each new status of the order, in the order the statuses were reached (one "
        "older than the last shown is skipped; one missed while events could not be delivered "
        "is shown once they can) (`history:read`). Ends with NOT_FOUND (reason CUSTOMER_ERASED) "
        "once the order's customer is erased.",
        permission_classes=[HistoryRead],
    )
    async def order_status_changed(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncGenerator[OrderStatusUpdate, None]:
        key = check_key(str(order_id), "orderId")
        erasure = ErasureWatch(info.context.graph)
        # Before the feed opens: an erasure of the order's customer from then on ends this, even
        # one that deleted the status rows before they are read (then no customer is known).
        await erasure.watch_order(key)
        async with info.context.events.feed(events.order_topic(key)) as feed:
            found = await _order_now(info, key)
            if found is None:
                await erasure.check()
            await erasure.watch(found.customer_id if found else None)
            timeline = OrderTimeline(found=(found.at, found.status) if found else None)
            async for item in feed:
                await erasure.announced(item)
                reread = isinstance(item, events.Resync)
                if reread:
                    await erasure.check()
                update = await _order_now(info, key) if reread else item
                if not isinstance(update, events.OrderStatusChanged):
                    continue
                if timeline.accept(update.at, update.status, reread=reread):
                    # The order's customer, when known, must be visible to the caller too.
                    await _still_allowed(info, HistoryRead.scope, update.customer_id)
                    await erasure.watch(update.customer_id)
                    await erasure.check()
                    yield OrderStatusUpdate.from_event(update)
