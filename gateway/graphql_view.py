"""Strawberry's aiohttp view, with our request context: one Context (and loaders) per request."""

from __future__ import annotations

import uuid

from aiohttp import web
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from gateway.graphql_http import GraphQLOverHTTPView
from gateway.privacy import RedisCachePurge
from gateway.realtime import admit_connection
from gateway.state import (
    BUS,
    CONTEXT_CACHE,
    GRAPH,
    REDIS,
    REQUEST_ID,
    ROUND_TRIPS,
    SETTINGS,
    SYSTEMS,
)
from graph import RoundTripCounter
from resolvers import Context


class ParcoursGraphQLView(GraphQLOverHTTPView):
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
            events=request.app[BUS],
            profile_cache=None if settings.naive_baseline else request.app.get(CONTEXT_CACHE),
            batch_loads=not settings.naive_baseline,
            cache_purge=RedisCachePurge(request.app[REDIS], settings.bus_stream_key),
            analytics_policy=settings.analytics_policy(),
        )

    # Real time (issue 5): WebSocket ping frames keep the connection alive and drop dead peers;
    # connection_init goes through the admission hook (4403 Forbidden when it refuses).
    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(
            protocols=[subprotocol] if subprotocol else [],
            heartbeat=request.app[SETTINGS].ws_heartbeat_s,
        )
        await ws.prepare(request)
        return ws

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        if not admit_connection(context.connection_params or {}):
            raise ConnectionRejectionError
        unset: UnsetType = UNSET
        return unset
