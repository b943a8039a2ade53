"""A customer's whole context in one round trip: profile, one history page and recommendations.

The home screen of an app asks for all three at once; read separately they cost three Cypher
round trips, read here they cost one statement (per batch of customers), built from the same
subqueries as the separate reads so both give the same answers. The history page and the
recommendations are optional: a request without them reads the profile alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import LiteralString

from graph import _rows
from graph.customers import PROFILE_COLUMNS
from graph.database import GraphDatabase
from graph.history import HISTORY_SUBQUERY, HistoryRequest, history_page, history_params
from graph.models import CustomerProfile, HistoryPage, Recommendation
from graph.recommendations import (
    RECOMMEND_SUBQUERY,
    SEED_PRODUCTS,
    RecommendationRequest,
    recommendation_params,
    recommendations_from,
)

# OPTIONAL CALL: a part not asked for (null) yields null, not the loss of the customer's row.
_CONTEXT: LiteralString = (
    """
UNWIND $requests AS request
MATCH (c:Customer {id: request.customerId})
OPTIONAL CALL (request) {
  WITH request.history AS req WHERE req IS NOT NULL
  CALL (req) {"""
    + HISTORY_SUBQUERY
    + """}
  RETURN items
}
OPTIONAL CALL (request) {
  WITH request.recommendations AS req WHERE req IS NOT NULL
  CALL (req) {"""
    + RECOMMEND_SUBQUERY
    + """}
  RETURN recs
}
RETURN request.key AS key, items, recs, """
    + PROFILE_COLUMNS
)


@dataclass(frozen=True, slots=True)
class ContextRequest:
    """One customer, and which of the history page and recommendations to read with them."""

    customer_id: str
    history: HistoryRequest | None = None
    recommendations: RecommendationRequest | None = None


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """What a :class:`ContextRequest` asked for; ``profile`` is None for an unknown customer."""

    profile: CustomerProfile | None
    history: HistoryPage | None = None
    recommendations: list[Recommendation] | None = None


async def contexts(db: GraphDatabase, requests: Sequence[ContextRequest]) -> list[CustomerContext]:
    """One context per request, in request order, from a single statement."""
    params = [
        {
            "key": index,
            "customerId": request.customer_id,
            "history": history_params(request.history, index) if request.history else None,
            "recommendations": (
                recommendation_params(request.recommendations, index)
                if request.recommendations
                else None
            ),
        }
        for index, request in enumerate(requests)
    ]
    rows = await db.read(_CONTEXT, {"requests": params, "seeds": SEED_PRODUCTS}, maps_only=True)
    by_key = {int(row["key"]): row for row in rows}
    found: list[CustomerContext] = []
    for index, request in enumerate(requests):
        row = by_key.get(index)
        if row is None:
            found.append(CustomerContext(profile=None))
            continue
        found.append(
            CustomerContext(
                profile=_rows.customer_profile(row),
                history=history_page(request.history, row["items"]) if request.history else None,
                recommendations=(
                    recommendations_from(row["recs"] or []) if request.recommendations else None
                ),
            )
        )
    return found
