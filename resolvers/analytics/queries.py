"""The ``analytics(from, to)`` query: journey figures over a window, forced contacts, incidents.

Fields resolve lazily and share their statements: revenue, transactions and active carts come
from one read, every journey figure from another (each read once per request and window through
``resolvers.analytics.loaders``), forced contacts from one, and what depends on each degraded
system (incidents' customers and cart value) from one. Each figure is
nullable so that a statement that fails (or runs past its time) nulls only the figures it
answers, each with its coded error; the others are still answered. Money values of carts come
from the web shop through the request's price loader (live, stale with a notice, or null with a
coded error).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import strawberry

from graph import analytics
from resolvers.access.permissions import Admin
from resolvers.analytics import figures
from resolvers.analytics.explain import explain, failure_reason
from resolvers.analytics.types import (
    ActiveCarts,
    ChannelCount,
    ChannelIncident,
    ChannelPathConversion,
    ChannelSwitches,
    Conversion,
    ForcedContact,
    ForcedContactConnection,
    SwitchCount,
    TimeToConvert,
    Touch,
)
from resolvers.context import Context
from resolvers.enums import Channel
from resolvers.errors import BadUserInput, QueryTimeout
from resolvers.live.federation import live_value
from resolvers.live.types import Money
from resolvers.pagination import (
    Edge,
    check_first,
    decode_history_cursor,
    encode_history_cursor,
    page_info,
)

Info = strawberry.Info[Context, None]
T = TypeVar("T")
MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=30)


# What each figure says when its statement fails; the figures of other statements are answered.
_FAILS = (
    " Null when {what} fails, with an error at this field's path: QUERY_TIMEOUT (naming the "
    "figure) past the statement timeout, INTERNAL otherwise; the other figures are answered."
)
_SALES = _FAILS.format(
    what="the sales statement (one for `revenue`, `transactions` and `activeCarts`: null together)"
)
_JOURNEYS = _FAILS.format(
    what="the journeys statement (one for `conversion`, `conversionByPath`, `channelSwitches` "
    "and `timeToConvert`: null together)"
)


@strawberry.type(
    description="Journey analytics over [from, to). Each figure fails alone: one whose statement "
    "fails is null with a coded error at its path, the others are answered."
)
class JourneyAnalytics:
    window_from: datetime = strawberry.field(name="from")
    window_to: datetime = strawberry.field(name="to")

    def _sales(self, info: Info) -> Awaitable[analytics.SalesFigures]:
        return within_time(info.context.analytics.sales.load((self.window_from, self.window_to)))

    def _journeys(self, info: Info) -> Awaitable[list[analytics.JourneyRow]]:
        return within_time(info.context.analytics.journeys.load((self.window_from, self.window_to)))

    @strawberry.field(description="Sum of the purchases' amounts in the window (EUR)." + _SALES)
    async def revenue(self, info: Info) -> Money | None:
        return Money(amount=(await self._sales(info)).revenue, currency="EUR")

    @strawberry.field(
        description="Purchases of one customer at one instant (a checkout, a receipt)." + _SALES
    )
    async def transactions(self, info: Info) -> int | None:
        return (await self._sales(info)).transactions

    @strawberry.field(description="Active, non-empty carts updated in the window." + _SALES)
    async def active_carts(self, info: Info) -> ActiveCarts | None:
        sales = await self._sales(info)
        return ActiveCarts(count=sales.active_carts, value=await cart_value(info, sales.cart_lines))

    @strawberry.field(
        description="Every journey started in the window: how many, and how many converted "
        "(what `conversionByPath` adds up to over all its paths, not only the first ones)."
        + _JOURNEYS
    )
    async def conversion(self, info: Info) -> Conversion | None:
        total = figures.overall_conversion(await self._journeys(info))
        return Conversion(started=total.started, converted=total.converted, rate=total.rate)

    @strawberry.field(description="Journeys started in the window by channel path." + _JOURNEYS)
    async def conversion_by_path(
        self, info: Info, first: int = 20
    ) -> list[ChannelPathConversion] | None:
        size = check_first(first, info.context.max_page_size)
        return [
            ChannelPathConversion(
                path=[Channel.from_code(c) for c in row.path],
                label="→".join(c.upper() for c in row.path),
                started=row.started,
                converted=row.converted,
                rate=row.rate,
            )
            for row in figures.conversion_by_path(await self._journeys(info))[:size]
        ]

    @strawberry.field(description="Channel switches per journey started in the window." + _JOURNEYS)
    async def channel_switches(self, info: Info) -> ChannelSwitches | None:
        journeys = await self._journeys(info)
        return ChannelSwitches(
            journeys=len(journeys),
            mean=figures.mean_switches(journeys),
            distribution=[
                SwitchCount(switches=s, journeys=n)
                for s, n in figures.switch_distribution(journeys).items()
            ],
        )

    @strawberry.field(
        description="Start to first purchase of the journeys that converted." + _JOURNEYS
    )
    async def time_to_convert(self, info: Info) -> TimeToConvert | None:
        seconds = figures.conversion_seconds(await self._journeys(info))
        return TimeToConvert(
            converted=len(seconds),
            median_seconds=figures.median(seconds),
            p90_seconds=figures.nearest_rank(seconds, 90),
        )

    @strawberry.field(
        description="Assisted contacts (call, chat) in the window that followed a failed web or "
        "app attempt (search without result, error, abandoned step) within the configured window."
        + _FAILS.format(what="its statement")
    )
    async def forced_contacts(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> ForcedContactConnection | None:
        size = check_first(first, info.context.max_page_size)
        cursor = decode_history_cursor(after, "forcedContacts") if after is not None else None
        page = await within_time(
            analytics.forced_contacts(
                info.context.graph,
                self.window_from,
                self.window_to,
                info.context.analytics_policy,
                first=size,
                after=(cursor.at, cursor.id) if cursor else None,
            )
        )
        edges = [
            Edge(
                cursor=encode_history_cursor(item.contact.at, item.contact.id, "forcedContacts"),
                node=_forced(item),
            )
            for item in page.items
        ]
        return ForcedContactConnection(
            total_count=page.total,
            by_channel=[
                ChannelCount(channel=Channel.from_code(c), count=n)
                for c, n in page.by_channel.items()
            ],
            edges=edges,
            page_info=page_info(edges, page.has_next_page, after),
        )

    @strawberry.field(
        description="Systems this instance sees degraded (breaker not closed, or failed calls "
        "within the failure window), with the customers and cart value depending on them in the "
        "window. Breakers are per instance: this is this instance's view. The systems need no "
        "statement; what depends on them is one statement, run only when asked for."
    )
    async def incidents(self, info: Info) -> list[ChannelIncident]:
        policy = info.context.analytics_policy
        degraded = [h for h in info.context.systems.health() if h.degraded]
        key = (tuple(h.system for h in degraded), self.window_from, self.window_to)

        async def exposure(n: int) -> analytics.Exposure:
            return (await within_time(info.context.analytics.exposure.load(key)))[n]

        async def priced(lines: Sequence[analytics.SkuQuantity]) -> Money | None:
            return await cart_value(info, lines)

        return [
            ChannelIncident(
                system=health.system,
                team=policy.teams.get(health.system, "unassigned"),
                breaker_state=health.breaker_state,
                recent_failures=health.recent_failures,
                exposure=functools.partial(exposure, n),
                price=priced,
            )
            for n, health in enumerate(degraded)
        ]


async def within_time(read: Awaitable[T]) -> T:
    """``read``'s result; a statement that ran past its time is QUERY_TIMEOUT, naming the figure
    and the timeout, rather than an INTERNAL error saying nothing."""
    try:
        return await read
    except analytics.StatementTimedOut as exc:
        raise QueryTimeout(
            f"The {exc.figure} of this window took longer than the {exc.timeout_s:g} s a "
            "statement may take; ask for a shorter window.",
            figure=exc.figure,
            timeoutSeconds=exc.timeout_s,
        ) from exc


def _forced(item: analytics.ForcedContact) -> ForcedContact:
    return ForcedContact(
        customer_id=strawberry.ID(item.customer_id),
        contact=Touch.from_model(item.contact),
        attempt=Touch.from_model(item.attempt),
        delay_seconds=item.delay_s,
        reason=failure_reason(item.attempt),
        explanation=explain(item),
    )


async def cart_value(info: Info, lines: Sequence[analytics.SkuQuantity]) -> Money | None:
    """What ``lines`` cost at the web shop's current prices (promotions off); None if unknown."""
    if not lines:
        return Money(amount=0.0, currency="EUR")
    prices = await asyncio.gather(
        *(live_value(info, info.context.live.price.load(line.sku)) for line in lines)
    )
    amount = 0.0
    for line, price in zip(lines, prices, strict=True):
        if price is None:
            return None
        off = price.promotion.percent_off if price.promotion else 0.0
        amount += price.amount * (1 - off / 100) * line.quantity
    return Money(amount=round(amount, 2), currency="EUR")


def default_window(latest: datetime) -> tuple[datetime, datetime]:
    """The ``DEFAULT_WINDOW`` up to the midnight (UTC) that ends ``latest``'s day.

    Example:
        >>> start, end = default_window(datetime(2026, 10, 31, 18, 5, tzinfo=UTC))
        >>> start.isoformat(), end.isoformat()
        ('2026-10-02T00:00:00+00:00', '2026-11-01T00:00:00+00:00')
    """
    day = latest.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = day + timedelta(days=1)
    return end - DEFAULT_WINDOW, end


def check_window(start: datetime, end: datetime) -> None:
    for name, instant in (("from", start), ("to", end)):
        if instant.tzinfo is None:
            raise BadUserInput(
                f"`{name}` needs a timezone (Z or an offset such as +02:00)", argument=name
            )
        try:
            instant.astimezone(UTC)  # an offset past year 1 or 9999 cannot be a UTC instant
        except OverflowError as exc:
            raise BadUserInput(f"`{name}` is out of range in UTC", argument=name) from exc
    if not start < end:
        raise BadUserInput("`from` must be before `to`", argument="from")
    if end - start > MAX_WINDOW:
        raise BadUserInput(
            "the window is at most 366 days: `to` must be at most 366 days after `from`",
            argument="to",
        )


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        description="Journey analytics over [from, to) (UTC instants). Without `from` and `to`, "
        "the 30 days up to the end (midnight UTC) of the day of the newest interaction, or of "
        "today in a graph without any: the figures' `from` and `to` say which. Give both or "
        "neither. Needs the `admin` scope (null with FORBIDDEN otherwise).",
        permission_classes=[Admin],
    )
    async def analytics(
        self,
        info: Info,
        window_from: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        window_to: Annotated[datetime | None, strawberry.argument(name="to")] = None,
    ) -> JourneyAnalytics | None:
        if window_from is None and window_to is None:
            latest = await within_time(analytics.latest_activity(info.context.graph))
            window_from, window_to = default_window(latest or datetime.now(UTC))
        elif window_from is None or window_to is None:
            missing = "from" if window_from is None else "to"
            raise BadUserInput("give both `from` and `to`, or neither", argument=missing)
        check_window(window_from, window_to)
        return JourneyAnalytics(window_from=window_from, window_to=window_to)
