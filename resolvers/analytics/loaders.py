"""DataLoaders of the analytics statements that several fields share, per request.

Revenue, transactions and active carts come from one statement, every journey figure from
another, the customers and cart value of every incident from a third. Keyed by the window (and
the degraded systems), a request reads each of them once however many fields (or aliased
``analytics`` results) ask, and not at all when no field asks. A key whose statement fails fails
alone: its error is what each of its fields raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from strawberry.dataloader import DataLoader

from graph import GraphDatabase, analytics

T = TypeVar("T")
K = TypeVar("K")
Window = tuple[datetime, datetime]
Exposed = tuple[tuple[str, ...], datetime, datetime]  # degraded systems, window


def _each(
    read: Callable[[K], Awaitable[T]],
) -> Callable[[Sequence[K]], Awaitable[list[T | BaseException]]]:
    async def load(keys: Sequence[K]) -> list[T | BaseException]:
        return await asyncio.gather(*(read(k) for k in keys), return_exceptions=True)

    return load


class AnalyticsLoaders:
    """The sales-and-carts, journeys and exposure statements of a request, one read per key.

    Example:
        >>> # figures = await info.context.analytics.sales.load((start, end))
    """

    def __init__(self, graph: GraphDatabase, policy: analytics.AnalyticsPolicy) -> None:
        async def sales(window: Window) -> analytics.SalesFigures:
            return await analytics.sales_figures(graph, *window)

        async def journeys(window: Window) -> list[analytics.JourneyRow]:
            return await analytics.journeys_started(graph, *window)

        async def exposure(key: Exposed) -> list[analytics.Exposure]:
            systems, start, end = key
            return await analytics.exposure(graph, systems, start, end, policy)

        self.sales = DataLoader(load_fn=_each(sales))
        self.journeys = DataLoader(load_fn=_each(journeys))
        # What depends on each of the degraded systems, in their order (one read for them all).
        self.exposure = DataLoader(load_fn=_each(exposure))
