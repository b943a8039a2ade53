"""GraphQL types of the journey analytics: figures, forced contacts, incidents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import strawberry
from strawberry.relay import PageInfo

from graph import analytics
from resolvers.enums import Channel, InteractionType
from resolvers.live.types import Money
from resolvers.pagination import Edge


@strawberry.type(description="Active carts updated in the window and what they are worth now.")
class ActiveCarts:
    count: int
    value: Money | None = strawberry.field(
        description="Lines priced by the web shop (promotions applied); null when it cannot say."
    )


@strawberry.type(description="Journeys that followed one channel path, and how many converted.")
class ChannelPathConversion:
    path: list[Channel] = strawberry.field(
        description="The journey's channels in step order, a channel repeated in a row once."
    )
    label: str = strawberry.field(description="The path as text, e.g. APP→STORE.")
    started: int
    converted: int
    rate: float = strawberry.field(description="converted / started, 4 decimals.")


@strawberry.type(description="Every journey started in the window, whatever its channel path.")
class Conversion:
    started: int
    converted: int = strawberry.field(description="Those with a purchase after they started.")
    rate: float = strawberry.field(description="converted / started, 4 decimals (0 if none).")


@strawberry.type(description="How many journeys changed channel this many times.")
class SwitchCount:
    switches: int
    journeys: int


@strawberry.type(description="Channel switches per journey started in the window.")
class ChannelSwitches:
    journeys: int
    mean: float
    distribution: list[SwitchCount]


@strawberry.type(description="Time from a journey's start to its first purchase (converted only).")
class TimeToConvert:
    converted: int
    median_seconds: float | None
    p90_seconds: float | None = strawberry.field(description="Nearest-rank 90th percentile.")


@strawberry.type(description="A touch in a forced-contact explanation.")
class Touch:
    id: strawberry.ID
    at: datetime
    type: InteractionType
    channel: Channel
    query: str | None = None
    result_count: int | None = None
    outcome: str | None = None

    @classmethod
    def from_model(cls, touch: analytics.Touch) -> Touch:
        return cls(
            id=strawberry.ID(touch.id),
            at=touch.at,
            type=InteractionType(touch.type),
            channel=Channel.from_code(touch.channel),
            query=touch.query,
            result_count=touch.result_count,
            outcome=touch.outcome,
        )


@strawberry.type(
    description="An assisted contact that followed a failed self-service attempt in the window."
)
class ForcedContact:
    customer_id: strawberry.ID
    contact: Touch
    attempt: Touch = strawberry.field(description="The latest failed attempt before the contact.")
    delay_seconds: float
    reason: str = strawberry.field(description="Why the attempt failed.")
    explanation: str


@strawberry.type(description="How many forced contacts landed on one channel.")
class ChannelCount:
    channel: Channel
    count: int


@strawberry.type(description="Forced contacts, newest first, in the Relay connection shape.")
class ForcedContactConnection:
    total_count: int
    by_channel: list[ChannelCount]
    edges: list[Edge[ForcedContact]]
    page_info: PageInfo


# What an incident's customers and cart value say when the exposure statement fails.
_EXPOSURE_FAILS = (
    "Null, with `customersAffected` and `cartValue` of every incident (one statement), when the "
    "exposure statement fails, with an error at this field's path: QUERY_TIMEOUT (naming the "
    "figure) past the statement timeout, INTERNAL otherwise; the system, its state and team are "
    "still answered."
)


@strawberry.type(
    description="A channel system this gateway instance sees degraded, and what depends on it."
)
class ChannelIncident:
    system: str
    team: str = strawberry.field(description="Who owns the system (PARCOURS_ANALYTICS_TEAMS).")
    breaker_state: str = strawberry.field(
        description="This instance's breaker: closed, opened or half-opened."
    )
    recent_failures: int = strawberry.field(
        description="Calls of this instance that failed within the failure window."
    )
    # The system's share of the request's exposure read, and the cart pricing (both lazy: a
    # request that asks for neither field runs no statement).
    exposure: strawberry.Private[Callable[[], Awaitable[analytics.Exposure]]]
    price: strawberry.Private[Callable[[Sequence[analytics.SkuQuantity]], Awaitable[Money | None]]]

    @strawberry.field(
        description="Customers with an active cart or activity in the window depending on the "
        "system. " + _EXPOSURE_FAILS
    )
    async def customers_affected(self) -> int | None:
        return (await self.exposure()).customers

    @strawberry.field(
        description="Active carts of the affected customers; null when prices are unknown. "
        + _EXPOSURE_FAILS
    )
    async def cart_value(self) -> Money | None:
        return await self.price((await self.exposure()).cart_lines)
