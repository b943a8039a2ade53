"""Strawberry's aiohttp view, with our request context: one Context (and loaders) per request.

Every HTTP request is authenticated (and counted against its partner's rate limit) before
anything else runs: 401 UNAUTHENTICATED or 429 RATE_LIMITED, as JSON GraphQL errors. WebSocket
connections authenticate with their ``connection_init`` payload instead, and each operation a
connection starts (a query, a mutation or a subscription) counts against the same limit as an
HTTP request: over it, that operation gets an ``error`` message coded RATE_LIMITED and the
connection stays open.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.unset import UNSET, UnsetType

from gateway.auth import AUTHENTICATOR, Credentials, Unauthenticated
from gateway.graphql_http import JSON, GraphQLOverHTTPView
from gateway.privacy import RedisCachePurge
from gateway.rate_limits import RATE_LIMITS, RateLimits
from gateway.realtime import admit_connection
from gateway.state import (
    BUS,
    CONTEXT_CACHE,
    CONTEXT_READS,
    GRAPH,
    REDIS,
    REQUEST_ID,
    ROUND_TRIPS,
    SETTINGS,
    SYSTEMS,
)
from graph import RoundTripCounter
from resolvers import Context
from resolvers.access import Access, Principal

PRINCIPAL = web.RequestKey("principal", Principal)
# Over a WebSocket, until connection_init authenticates: no scope at all.
_NOBODY = Principal(partner_id=None, scopes=frozenset())


_TOO_MANY = "too many requests for this partner: retry later"


class RateLimitedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, where starting an operation counts as a request of the partner's.

    Without it a partner over its HTTP limit could go on querying (and writing) over one
    WebSocket without bound. A subscription counts once, when it starts; the events it then
    receives do not count.
    """

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Unacknowledged connections and reused ids are closed by Strawberry: nothing to count.
        if self.connection_acknowledged and message["id"] not in self.operations:
            wait = await self._limits().partner_request(self.context.access.principal)
            if wait is not None:
                seconds = max(1, round(wait))
                extensions = {
                    "code": "RATE_LIMITED",
                    "retryAfter": seconds,
                    "requestId": self.context.request_id,
                }
                error = GraphQLError(_TOO_MANY, extensions=extensions)
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [error.formatted]}
                )
                return
        await super().handle_subscribe(message)

    def _limits(self) -> RateLimits:
        view = self.view
        assert isinstance(view, ParcoursGraphQLView)  # noqa: S101 - the only view using it
        return view.rate_limits


class ParcoursGraphQLView(GraphQLOverHTTPView):
    graphql_transport_ws_handler_class = RateLimitedTransportWS

    def __init__(self, app: web.Application, **options: Any) -> None:
        super().__init__(**options)
        self._app = app  # its resources (the authenticator) exist once the app has started

    @property
    def rate_limits(self) -> RateLimits:
        return self._app[RATE_LIMITS]

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if not self.is_websocket_request(request):
            refused = await self._admit(request)
            if refused is not None:
                return refused
        return await super().__call__(request)

    async def _admit(self, request: web.Request) -> web.Response | None:
        try:
            credentials = Credentials.from_headers(request.headers)
            principal = await request.app[AUTHENTICATOR].authenticate(credentials)
        except Unauthenticated as exc:
            return _refused(request, 401, "UNAUTHENTICATED", str(exc), {})
        wait = await request.app[RATE_LIMITS].partner_request(principal)
        if wait is not None:
            seconds = max(1, round(wait))
            return _refused(
                request,
                429,
                "RATE_LIMITED",
                _TOO_MANY,
                {"retryAfter": seconds},
                {"Retry-After": str(seconds)},
            )
        request[PRINCIPAL] = principal
        return None

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
            context_reads=None if settings.naive_baseline else request.app.get(CONTEXT_READS),
            cache_purge=RedisCachePurge(
                request.app[REDIS], settings.bus_stream_key, request.app[SYSTEMS]
            ),
            analytics_policy=settings.analytics_policy(),
            access=Access(
                principal=request.get(PRINCIPAL, _NOBODY), limiter=request.app[RATE_LIMITS]
            ),
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
        principal = await admit_connection(
            self._app[AUTHENTICATOR], context.connection_params or {}
        )
        if principal is None:
            raise ConnectionRejectionError
        context.access.principal = principal
        unset: UnsetType = UNSET
        return unset


def _refused(  # noqa: PLR0917 - a private helper, every call site names its arguments' roles
    request: web.Request,
    status: int,
    code: str,
    message: str,
    extensions: dict[str, object],
    headers: dict[str, str] | None = None,
) -> web.Response:
    error = {
        "message": message,
        "extensions": {"code": code, **extensions, "requestId": request.get(REQUEST_ID)},
    }
    return web.Response(
        status=status,
        body=orjson.dumps({"errors": [error]}),
        content_type=JSON,
        charset="utf-8",
        headers=headers,
    )
