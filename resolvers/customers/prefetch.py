"""Look ahead from ``customer(id:)`` so its history page and recommendations come in its statement.

The home screen of an app asks, for one customer, the profile with ``history(first: n)`` and
``recommendations(first: n)``. Each has its own DataLoader; read through them they cost three
Cypher round trips. When the selection holds them in their plain form (a literal or variable
``first``, nothing else, no directive), the customer is read with both in one statement
(:func:`graph.context.contexts`) and the two loaders are primed with what it returned, so the
fields resolve from memory with exactly the answers their own loaders would give. Any other shape
(a cursor, filters, ``@include``, fragments) is simply not prefetched and loads as before.
"""

from __future__ import annotations

import strawberry
from strawberry.types.nodes import SelectedField

from graph.context import ContextRequest
from graph.history import HistoryRequest
from graph.recommendations import RecommendationRequest
from resolvers.context import Context

HISTORY_DEFAULT_FIRST = 20
RECOMMENDATIONS_DEFAULT_FIRST = 10
MAX_RECOMMENDATIONS = 50


def _plain_first(field: SelectedField, default: int) -> int | None:
    """``first`` when it is the field's only argument (or absent) and there is no directive."""
    if field.directives:
        return None
    if not field.arguments:
        return default
    if set(field.arguments) != {"first"}:
        return None
    first = field.arguments["first"]  # an int from a variable, the literal's text otherwise
    if isinstance(first, str) and first.isdigit():
        return int(first)
    return first if isinstance(first, int) and not isinstance(first, bool) else None


def context_request(
    info: strawberry.Info[Context, None], customer_id: str
) -> ContextRequest | None:
    """What to read with the customer in one statement, or None when there is nothing to gain."""
    history: HistoryRequest | None = None
    recommendations: RecommendationRequest | None = None
    for field in info.selected_fields[0].selections:
        if not isinstance(field, SelectedField):
            continue
        if field.name == "history" and history is None:
            first = _plain_first(field, HISTORY_DEFAULT_FIRST)
            if first is not None and 1 <= first <= info.context.max_page_size:
                history = HistoryRequest(customer_id=customer_id, first=first)
        elif field.name == "recommendations" and recommendations is None:
            first = _plain_first(field, RECOMMENDATIONS_DEFAULT_FIRST)
            if first is not None and 1 <= first <= MAX_RECOMMENDATIONS:
                recommendations = RecommendationRequest(customer_id, first)
    if history is None and recommendations is None:
        return None
    return ContextRequest(customer_id, history, recommendations)
