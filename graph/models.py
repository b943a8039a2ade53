"""Plain, frozen records that graph repositories return; resolvers turn them into GraphQL types.

Nothing here knows Neo4j's record type or Strawberry: these are the domain's nouns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.identities import IdentityKind


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    brand: str


@dataclass(frozen=True, slots=True)
class Store:
    id: str
    name: str
    city: str


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentityKind
    value: str
    since: datetime
    source: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    kind: str
    os: str


@dataclass(frozen=True, slots=True)
class CartLine:
    product: Product
    quantity: int
    added_at: datetime
    added_via: str


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    version: int
    status: str
    updated_at: datetime
    lines: tuple[CartLine, ...]


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """A customer with what the context query always needs: identities, devices and cart."""

    id: str
    display_name: str
    created_at: datetime
    identities: tuple[Identity, ...]
    devices: tuple[Device, ...]
    cart: Cart | None


@dataclass(frozen=True, slots=True)
class Interaction:
    id: str
    at: datetime
    type: str
    channel: str
    product: Product | None
    store: Store | None
    device_id: str | None
    # The id its channel gave the event, when the node's differs (``<id>@store``: graph.ingest).
    event_id: str | None = None

    @property
    def position(self) -> HistoryPosition:
        """Where this interaction sits in a newest-first history."""
        return HistoryPosition(self.at, self.event_id or self.id, self.channel)


@dataclass(frozen=True, slots=True, order=True)
class HistoryPosition:
    """Where an interaction sits in a customer's history: by time, then by the id its channel
    gave the event, then by channel (a channel's event ids are its own).

    Not by node id: a store receipt shown before it is ingested keeps its place once ingested
    as ``<id>@store``, so a cursor taken before still pages on from the same place.

    Example:
        >>> from datetime import UTC
        >>> at = datetime(2026, 10, 1, tzinfo=UTC)
        >>> HistoryPosition(at, "evt-1", "store") < HistoryPosition(at, "evt-1-tried", "store")
        True
    """

    at: datetime
    event_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class HistoryCursor:
    """Where a newest-first history page ends: the last item's time and id (ties broken by id)."""

    at: datetime
    id: str


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: tuple[Interaction, ...]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class Recommendation:
    product: Product
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class JourneyStep:
    """The n-th interaction of a journey (n counts from 1, in the order the steps were taken)."""

    n: int
    interaction_id: str
    at: datetime
    type: str
    channel: str
    product: Product | None
    store: Store | None


@dataclass(frozen=True, slots=True)
class Journey:
    """A goal the customer pursues across channels; ``status`` is active, completed or abandoned."""

    id: str
    customer_id: str
    intent: str
    status: str
    started_at: datetime
    last_channel: str | None
    next_step: str | None
    steps: tuple[JourneyStep, ...]


@dataclass(frozen=True, slots=True)
class JourneyCursor:
    """Where a newest-first page of journeys ends: the last journey's start and id."""

    started_at: datetime
    id: str


@dataclass(frozen=True, slots=True)
class JourneyPage:
    items: tuple[Journey, ...]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class JourneyHandOff:
    """What the next channel needs to pick a journey up: the journey and the products involved."""

    journey: Journey
    products_viewed: tuple[Product, ...]
    products_tried_in_store: tuple[Product, ...]
