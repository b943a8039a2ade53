"""What the channel systems tell us, as plain frozen records (parsed from each system's JSON).

Each system has its own vocabulary; these records are ours. Parsing is strict about what we use
and ignores the rest, so a system adding a field never breaks the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Promotion:
    id: str
    label: str
    percent_off: float


@dataclass(frozen=True, slots=True)
class Price:
    sku: str
    amount: float
    currency: str
    promotion: Promotion | None


@dataclass(frozen=True, slots=True)
class StoreAvailability:
    store_id: str
    available: int


@dataclass(frozen=True, slots=True)
class Availability:
    sku: str
    online: int
    stores: tuple[StoreAvailability, ...]


@dataclass(frozen=True, slots=True)
class StockLevel:
    store_id: str
    sku: str
    on_hand: int


@dataclass(frozen=True, slots=True)
class OrderEvent:
    status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    created_at: datetime
    status: str
    fulfilment: str
    store_id: str | None
    total: float
    timeline: tuple[OrderEvent, ...]
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    subject: str
    status: str
    channel: str
    opened_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    id: str
    store_id: str
    at: datetime
    skus: tuple[str, ...]
    total: float
    event_id: str | None = None

    @property
    def interaction_id(self) -> str:
        """The id of the purchase event this receipt is (or will be) ingested as."""
        return self.event_id or self.id


@dataclass(frozen=True, slots=True)
class ClienteleNote:
    """A note a store assistant kept about a customer (tastes, projects, promises)."""

    id: str
    store_id: str
    author: str
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class DeviceRegistration:
    device_id: str
    platform: str
    push_enabled: bool
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a system's paginated list."""

    items: tuple[T, ...]
    total: int
