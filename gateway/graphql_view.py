"""Strawberry's aiohttp view, with our request context: one Context (and loaders) per request."""

from __future__ import annotations

import uuid

from aiohttp import web
from strawberry.aiohttp.views import GraphQLView

from gateway.state import GRAPH, REQUEST_ID, ROUND_TRIPS, SETTINGS, SYSTEMS
from graph import RoundTripCounter
from resolvers import Context


class ParcoursGraphQLView(GraphQLView[Context, None]):
    async def get_context(self, request: web.Request, response: web.StreamResponse) -> Context:
        settings = request.app[SETTINGS]
        return Context(
            graph=request.app[GRAPH],
            systems=request.app[SYSTEMS],
            channel_budget_s=settings.request_deadline_s,
            request_id=request.get(REQUEST_ID) or uuid.uuid4().hex,
            max_page_size=settings.max_page_size,
            round_trips=request.get(ROUND_TRIPS) or RoundTripCounter(),
            stitch_policy=settings.stitch_policy(),
        )
