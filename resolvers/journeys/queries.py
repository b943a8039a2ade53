"""The customer's journey fields: ``Customer.journeys`` (a connection) and ``activeJourney``.

Both go through the request's journeys loader, so every journey field of a request (several
customers, several filters, the active journey) is answered by one Cypher statement. Arguments
are checked here, before any loader runs.
"""

from __future__ import annotations

import strawberry

from graph.journeys import JourneyRequest
from graph.models import JourneyCursor
from resolvers.context import Context
from resolvers.journeys.types import Journey, JourneyStatus
from resolvers.pagination import (
    Connection,
    Edge,
    check_first,
    decode_history_cursor,
    encode_history_cursor,
    page_info,
)

Info = strawberry.Info[Context, None]


async def journeys_connection(
    info: Info,
    customer_id: str,
    *,
    status: JourneyStatus | None,
    first: int,
    after: str | None,
) -> Connection[Journey]:
    """A newest-first page of the customer's journeys (cut by start time, then id)."""
    size = check_first(first, info.context.max_page_size)
    # Same opaque shape as history cursors: a time and an id.
    cursor = decode_history_cursor(after, "journeys") if after is not None else None
    request = JourneyRequest(
        customer_id=customer_id,
        first=size,
        after=JourneyCursor(started_at=cursor.at, id=cursor.id) if cursor else None,
        status=status.value if status else None,
    )
    page = await info.context.loaders.journeys.load(request)
    edges = [
        Edge(
            cursor=encode_history_cursor(journey.started_at, journey.id, "journeys"),
            node=Journey.from_model(journey),
        )
        for journey in page.items
    ]
    return Connection(
        edges=edges,
        page_info=page_info(edges, page.has_next_page, after),
    )


async def active_journey(info: Info, customer_id: str) -> Journey | None:
    """The customer's most recently started active journey, if any."""
    request = JourneyRequest(customer_id=customer_id, first=1, status=JourneyStatus.ACTIVE.value)
    page = await info.context.loaders.journeys.load(request)
    return Journey.from_model(page.items[0]) if page.items else None
