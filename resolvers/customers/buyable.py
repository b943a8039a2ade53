"""Recommendations a customer can act on: the graph's ranking less what the OMS cannot sell.

The graph ranks ``graph.recommendations.CANDIDATES_PER_PLACE`` candidates per place asked for (in
the home screen's one statement); this drops those the OMS lists with no unit online nor in any
store, and only when that leaves places empty while the ranking went on, ranks the next
candidates (:func:`fill`: a statement each, ``CANDIDATES_PER_FOLLOW_UP`` at a time) until the
places are full or the ranking ends. The OMS is asked through the request's availability loader
(one OMS call per 100 SKUs, shared with the request's ``Product.availability`` fields) about
the SKUs this instance did not hear about from the OMS less than
``PARCOURS_RECOMMENDATION_STOCK_MAX_AGE_S`` ago (30 s). A SKU the OMS does not list is kept
(nothing says it is sold out), and so is the whole ranking when the OMS cannot answer: the
call's failure is in ``extensions.sources``, and recommendations are not blanked by a stock
system's outage. Reads the graph only through the ``rank`` it is given.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from channels import ChannelError
from channels.oms import RecentAvailability
from channels.records import Availability
from graph.models import Recommendation
from graph.recommendations import RecommendationRequest, next_candidates
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
    live: LiveLoaders, recent: RecentAvailability, ranked: Sequence[Recommendation], first: int
) -> list[Recommendation]:
    """The first ``first`` of ``ranked`` the OMS does not list as sold out.

    What this instance heard from the OMS less than ``recent.max_age_s`` ago is taken as it is;
    only the other SKUs are asked for (in the request's availability loader), so a home screen
    whose recommendations are popular products asks the OMS nothing most of the time.
    """
    if not ranked:
        return []
    skus = [r.product.sku for r in ranked]
    known = recent.known(skus, time.monotonic())
    unheard = [sku for sku in dict.fromkeys(skus) if sku not in known]
    if unheard:
        try:
            answers = await live.availability.load_many(unheard)
        except ChannelError:
            answers = None  # unchecked: what the OMS could not say is kept
        if answers is not None:
            known |= {sku: found.data for sku, found in zip(unheard, answers, strict=True)}
    return [r for r in ranked if not sold_out(known.get(r.product.sku))][:first]


async def fill(
    live: LiveLoaders,
    recent: RecentAvailability,
    request: RecommendationRequest,
    rank: Callable[[RecommendationRequest], Awaitable[list[Recommendation]]],
) -> list[Recommendation]:
    """The first ``request.first`` buyable recommendations, ranked by ``rank`` (the request's
    loader): the request's candidates, then, while places are empty and the last statement
    ranked all it was asked for (the ranking goes on), the next ones (``next_candidates``)."""
    asked = request
    ranked = await rank(asked)
    seen = len(ranked)
    found = await buyable(live, recent, ranked, request.first)
    while len(found) < request.first and len(ranked) == asked.candidates():
        asked = next_candidates(request, seen)
        ranked = await rank(asked)
        seen += len(ranked)
        taken = {r.product.sku for r in found}
        fresh = [r for r in ranked if r.product.sku not in taken]
        found += await buyable(live, recent, fresh, request.first - len(found))
    return found
