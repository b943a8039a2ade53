"""Recommendations a customer can act on: the graph's ranking less what the OMS cannot sell.

The graph ranks ``graph.recommendations.CANDIDATES_PER_PLACE`` candidates per place asked for (in
the home screen's one statement); this drops those the OMS lists with no unit online nor in any
store, through the request's availability loader (one OMS call per 100 SKUs, shared with the
request's ``Product.availability`` fields). A SKU the OMS does not list is kept (nothing says it
is sold out), and so is the whole ranking when the OMS cannot answer: the call's failure is in
``extensions.sources``, and recommendations are not blanked by a stock system's outage. Never
reads the graph.
"""

from __future__ import annotations

from collections.abc import Sequence

from channels import ChannelError
from channels.records import Availability
from graph.models import Recommendation
from resolvers.live.loaders import LiveLoaders


def sold_out(found: Availability | None) -> bool:
    """Whether the OMS says nothing of the product can be bought, online or in a store.

    Example:
        >>> from channels.records import StoreAvailability
        >>> sold_out(Availability("SKU-1", 0, (StoreAvailability("ST001", 0),)))
        True
        >>> sold_out(Availability("SKU-1", 0, (StoreAvailability("ST001", 2),)))
        False
        >>> sold_out(None)
        False
    """
    if found is None:
        return False
    return found.online <= 0 and all(store.available <= 0 for store in found.stores)


async def buyable(
    live: LiveLoaders, ranked: Sequence[Recommendation], first: int
) -> list[Recommendation]:
    """The first ``first`` of ``ranked`` the OMS does not list as sold out."""
    if not ranked:
        return []
    try:
        answers = await live.availability.load_many([r.product.sku for r in ranked])
    except ChannelError:
        return list(ranked[:first])
    return [r for r, answer in zip(ranked, answers, strict=True) if not sold_out(answer.data)][
        :first
    ]
