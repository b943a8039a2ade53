"""DataLoaders of the analytics statements that several figures share, per request.

Revenue, transactions and active carts come from one statement, every journey figure from
another. Keyed by the window, a request reads each of them once for a window however many fields
(or aliased ``analytics`` results of that window) ask, and not at all when no field asks. A
window whose statement fails fails alone: its error is what each of its figures raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from strawberry.dataloader import DataLoader

from graph import GraphDatabase, analytics

T = TypeVar("T")
Window = tuple[datetime, datetime]


def _per_window(
    read: Callable[[Window], Awaitable[T]],
) -> Callable[[Sequence[Window]], Awaitable[list[T | BaseException]]]:
    async def load(windows: Sequence[Window]) -> list[T | BaseException]:
        return await asyncio.gather(*(read(w) for w in windows), return_exceptions=True)

    return load


class AnalyticsLoaders:
    """The sales-and-carts and journeys statements of a request, one read per window.

    Example:
        >>> # figures = await info.context.analytics.sales.load((start, end))
    """

    def __init__(self, graph: GraphDatabase) -> None:
        self.sales: DataLoader[Window, analytics.SalesFigures] = DataLoader(
            load_fn=_per_window(lambda w: analytics.sales_figures(graph, *w))
        )
        self.journeys: DataLoader[Window, list[analytics.JourneyRow]] = DataLoader(
            load_fn=_per_window(lambda w: analytics.journeys_started(graph, *w))
        )
