"""What journey analytics return and are tuned by: plain frozen dataclasses, no I/O.

``graph.analytics`` fills them from Cypher rows; the resolvers turn them into GraphQL types. This
module must never import the gateway, the resolvers, Strawberry or the Neo4j driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Contacts where a person helps; self-service channels where a failure can push a customer there.
ASSISTED_CONTACT_TYPES = ("call", "chat")
SELF_SERVICE_CHANNELS = ("web", "app")
FAILED_OUTCOMES = ("error", "abandoned")


class StatementTimedOut(Exception):
    """A statement of the analytics ran past the statement timeout (stopped by Neo4j, or given
    up on by the client when Neo4j did not answer): the window holds more than that statement
    can aggregate in the time a statement is given.

    Example:
        >>> str(StatementTimedOut("sales figures", 10.0))
        'the sales figures statement ran past 10 s'
    """

    def __init__(self, figure: str, timeout_s: float) -> None:
        super().__init__(f"the {figure} statement ran past {timeout_s:g} s")
        self.figure = figure
        self.timeout_s = timeout_s


@dataclass(frozen=True)
class AnalyticsPolicy:
    """The knobs of the analytics: forced-contact window, systems' channels and owning teams.

    ``system_channels``: the channels whose recent activity depends on a system (its customers are
    affected when it degrades); ``cart_systems``: systems every cart line depends on (prices,
    availability, checkout); ``teams``: who owns each system.

    Example:
        >>> AnalyticsPolicy().teams["oms"]
        'order-management'
    """

    forced_window_s: int = 30 * 60
    system_channels: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "webshop": ("web",),
            "stores": ("store",),
            "oms": (),
            "contact": ("call_centre", "chat"),
            "mobile": ("app",),
        }
    )
    cart_systems: tuple[str, ...] = ("webshop", "oms")
    teams: Mapping[str, str] = field(
        default_factory=lambda: {
            "webshop": "e-commerce",
            "stores": "retail-stores",
            "oms": "order-management",
            "contact": "customer-service",
            "mobile": "mobile-app",
        }
    )


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class SalesFigures:
    """Purchases in the window (revenue from their ``amount``) and carts active in it."""

    revenue: float
    transactions: int
    purchases: int
    active_carts: int
    cart_lines: tuple[SkuQuantity, ...]


@dataclass(frozen=True, slots=True)
class JourneyRow:
    """One journey started in the window: its steps' channels in order and when it converted."""

    id: str
    status: str
    started_at: datetime
    channels: tuple[str, ...]
    converted_at: datetime | None

    @property
    def path(self) -> tuple[str, ...]:
        """The channels in order, a channel repeated in a row counted once (web, web, store →
        web, store)."""
        path: list[str] = []
        for channel in self.channels:
            if not path or path[-1] != channel:
                path.append(channel)
        return tuple(path)

    @property
    def converted(self) -> bool:
        return self.status == "completed"


@dataclass(frozen=True, slots=True)
class Touch:
    id: str
    at: datetime
    type: str
    channel: str
    query: str | None = None
    result_count: int | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class ForcedContact:
    """An assisted contact and the failed self-service attempt just before it."""

    customer_id: str
    contact: Touch
    attempt: Touch

    @property
    def delay_s(self) -> float:
        return (self.contact.at - self.attempt.at).total_seconds()


@dataclass(frozen=True, slots=True)
class ForcedContactsPage:
    total: int
    by_channel: Mapping[str, int]
    items: tuple[ForcedContact, ...]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class Exposure:
    """What depends on one system in the window: customers and their active carts' lines."""

    system: str
    customers: int
    cart_lines: tuple[SkuQuantity, ...]
