"""What happened, as plain records: published after a write committed, delivered to subscribers.

An event names the topic it belongs to (``cart:<customerId>``, ``activity:<customerId>``,
``order:<orderId>``) and the customers whose context it changes, so the bus can both route it
and invalidate their cached context. Never published for a write that did not commit, nor for the
replay of an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import strawberry

from graph.models import Cart


@strawberry.enum(
    description="What happened to a customer; RESYNC: events may have been missed, refetch."
)
class ActivityKind(Enum):
    """What kind of thing happened to a customer."""

    INTERACTION = "INTERACTION"
    JOURNEY_STEP = "JOURNEY_STEP"
    IDENTITY_LINKED = "IDENTITY_LINKED"
    IDENTITY_UNLINKED = "IDENTITY_UNLINKED"
    IDENTITY_MERGED = "IDENTITY_MERGED"
    IDENTITY_CONFLICT = "IDENTITY_CONFLICT"
    ORDER_PLACED = "ORDER_PLACED"
    CONSENT_CHANGED = "CONSENT_CHANGED"
    # Not published: a subscriber receives it when events may have been missed (refetch).
    RESYNC = "RESYNC"


def cart_topic(customer_id: str) -> str:
    return f"cart:{customer_id}"


def activity_topic(customer_id: str) -> str:
    return f"activity:{customer_id}"


def order_topic(order_id: str) -> str:
    return f"order:{order_id}"


@dataclass(frozen=True, slots=True)
class CartChanged:
    """The customer's cart changed; ``cart`` is the committed cart, or ``None``: read it again.

    Example:
        >>> CartChanged("cus_1", None).topic
        'cart:cus_1'
    """

    customer_id: str
    cart: Cart | None = None

    @property
    def topic(self) -> str:
        return cart_topic(self.customer_id)

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return (self.customer_id,)


@dataclass(frozen=True, slots=True)
class CustomerActivity:
    """Something a customer did or that was done to their profile, on a channel, at a time.

    ``ids`` are the ids of what it is about: interactions, the journey then its new step, the
    merge record. They may be empty for an ingested batch (the customer's history has them).
    """

    customer_id: str
    kind: ActivityKind
    at: datetime
    ids: tuple[str, ...] = ()
    channel: str | None = None

    @property
    def topic(self) -> str:
        return activity_topic(self.customer_id)

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return (self.customer_id,)


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    """An order reached ``status`` at ``at``."""

    order_id: str
    status: str
    at: datetime
    customer_id: str | None = None

    @property
    def topic(self) -> str:
        return order_topic(self.order_id)

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return (self.customer_id,) if self.customer_id else ()


@dataclass(frozen=True, slots=True)
class Resync:
    """Not an event: a feed's signal that events may have been missed, so re-read the truth."""

    reason: str


@dataclass(frozen=True, slots=True)
class CustomerErased:
    """Not an event: a customer was erased (by the salted hash of their id, never the id); each
    subscription about them ends. Sent to every feed of every instance (erasures are rare)."""

    customer_id_hash: str


Event = CartChanged | CustomerActivity | OrderStatusChanged
