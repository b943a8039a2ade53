"""Strawberry's aiohttp view, with our request context: one Context (and loaders) per request."""

from __future__ import annotations

import uuid

from aiohttp import web
from strawberry.aiohttp.views import GraphQLView

from gateway.state import GRAPH, REQUEST_ID, ROUND_TRIPS, SETTINGS
from graph import RoundTripCounter
from resolvers import Context


class ParcoursGraphQLView(GraphQLView[Context, None]):
    async def get_context(self, request: web.Request, response: web.StreamResponse) -> Context:
        return Context(
            graph=request.app[GRAPH],
            request_id=request.get(REQUEST_ID) or uuid.uuid4().hex,
            max_page_size=request.app[SETTINGS].max_page_size,
            round_trips=request.get(ROUND_TRIPS) or RoundTripCounter(),
        )
