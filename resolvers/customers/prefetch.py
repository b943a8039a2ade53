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

from typing import Any

import strawberry
from graphql import (
    FieldNode,
    GraphQLResolveInfo,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
)

from graph.context import ContextRequest
from graph.history import HistoryRequest
from graph.recommendations import RecommendationRequest
from resolvers.context import Context

HISTORY_DEFAULT_FIRST = 20
RECOMMENDATIONS_DEFAULT_FIRST = 10
MAX_RECOMMENDATIONS = 50


def plain_first(field: FieldNode, variables: dict[str, Any], default: int) -> int | None:
    """``first`` when it is the field's only argument (or absent) and there is no directive."""
    if field.directives:
        return None
    if not field.arguments:
        return default
    if len(field.arguments) != 1 or field.arguments[0].name.value != "first":
        return None
    node = field.arguments[0].value
    if isinstance(node, IntValueNode):
        return int(node.value)
    first = variables.get(node.name.value) if isinstance(node, VariableNode) else None
    return first if isinstance(first, int) and not isinstance(first, bool) else None


def raw_selection(
    info: strawberry.Info[Context, None],
) -> tuple[GraphQLResolveInfo[Any], SelectionSetNode, dict[str, Any]] | None:
    """graphql-core's resolve info of the field, its selection and the request's variables, or
    None when there is no selection to look into (a Strawberry without ``_raw_info``, a leaf)."""
    raw: GraphQLResolveInfo[Any] | None = getattr(info, "_raw_info", None)
    selection = raw.field_nodes[0].selection_set if raw is not None else None
    if raw is None or selection is None:
        return None
    # graphql-core declares a VariableValues tuple; the values it hands resolvers are a dict.
    given: Any = raw.variable_values
    return raw, selection, given.coerced if hasattr(given, "coerced") else given


def context_request(
    info: strawberry.Info[Context, None], customer_id: str
) -> ContextRequest | None:
    """What to read with the customer in one statement, or None when there is nothing to gain.

    It reads graphql-core's own resolve info: Strawberry's public ``selected_fields`` converts
    the whole subtree (arguments and directives of every nested field) on every request, which
    was 13 % of an uncached home screen's CPU; one level of the syntax tree is all this needs.
    """
    found = raw_selection(info)
    if found is None:
        return None  # no read-ahead: every field loads on its own
    _, selection, variables = found
    history: HistoryRequest | None = None
    recommendations: RecommendationRequest | None = None
    for field in selection.selections:
        if not isinstance(field, FieldNode):
            continue
        if field.name.value == "history" and history is None:
            first = plain_first(field, variables, HISTORY_DEFAULT_FIRST)
            if first is not None and 1 <= first <= info.context.max_page_size:
                history = HistoryRequest(customer_id=customer_id, first=first)
        elif field.name.value == "recommendations" and recommendations is None:
            first = plain_first(field, variables, RECOMMENDATIONS_DEFAULT_FIRST)
            if first is not None and 1 <= first <= MAX_RECOMMENDATIONS:
                recommendations = RecommendationRequest(customer_id, first)
    if history is None and recommendations is None:
        return None
    return ContextRequest(customer_id, history, recommendations)
