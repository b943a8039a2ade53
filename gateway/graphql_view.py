"""Strawberry's aiohttp view, with our request context: one Context (and loaders) per request.

Every HTTP request is authenticated (and counted against its partner's rate limit) before
anything else runs: 401 UNAUTHENTICATED or 429 RATE_LIMITED, as JSON GraphQL errors; when that
cannot be decided (Neo4j or Redis failing under the partner look-up) 503 SERVICE_UNAVAILABLE
(try again shortly), also JSON with the request id, the cause logged. WebSocket
connections authenticate with their ``connection_init`` payload instead, and are held to the
same rules while they live (``gateway/ws_transport.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import structlog
from aiohttp import hdrs, web
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from gateway.auth import (
    AUTHENTICATOR,
    DEPENDENCY_FAILURES,
    Authenticator,
    Credentials,
    Unauthenticated,
    challenge,
)
from gateway.graphql_http import JSON, GraphQLOverHTTPView, response_media_type
from gateway.privacy import RedisCachePurge
from gateway.rate_limits import RATE_LIMITS, RateLimits
from gateway.realtime import admit_connection
from gateway.state import (
    BUS,
    CONTEXT_CACHE,
    CONTEXT_READS,
    GRAPH,
    OPEN_WEBSOCKETS,
    REDIS,
    REQUEST_ID,
    ROUND_TRIPS,
    SETTINGS,
    SYSTEMS,
)
from gateway.ws_transport import TOO_MANY, PartnerTransportWS
from graph import RoundTripCounter
from resolvers import Context
from resolvers.access import Access, Principal

log = structlog.get_logger("parcours.auth")
PRINCIPAL = web.RequestKey("principal", Principal)
# Over a WebSocket, until connection_init authenticates: no scope at all.
_NOBODY = Principal(partner_id=None, scopes=frozenset())


class ParcoursGraphQLView(GraphQLOverHTTPView):
    graphql_transport_ws_handler_class = PartnerTransportWS

    def __init__(self, app: web.Application, **options: Any) -> None:
        super().__init__(**options)
        self._app = app  # its resources (the authenticator) exist once the app has started

    # What the WebSocket transport (gateway/ws_transport.py) asks of its view.
    @property
    def rate_limits(self) -> RateLimits:
        return self._app[RATE_LIMITS]

    @property
    def authenticator(self) -> Authenticator:
        return self._app[AUTHENTICATOR]

    @property
    def reauth_s(self) -> float:
        return self._app[SETTINGS].ws_reauth_s

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if not self.is_websocket_request(request):
            refused = await self._admit(request)
            if refused is not None:
                return refused
        return await super().__call__(request)

    async def _admit(self, request: web.Request) -> web.Response | None:
        credentials = Credentials.from_headers(request.headers)
        try:
            principal = await request.app[AUTHENTICATOR].authenticate(credentials)
            wait = await request.app[RATE_LIMITS].partner_request(principal)
        except Unauthenticated as exc:
            headers = {"WWW-Authenticate": challenge(credentials, exc)}
            return _refused(request, 401, "UNAUTHENTICATED", str(exc), {}, headers)
        except Exception as exc:  # not the caller's fault: coded JSON, never a plain-text 500
            log.exception("authentication failed", error=f"{type(exc).__name__}: {exc}"[:500])
            if isinstance(exc, DEPENDENCY_FAILURES):
                return _refused(
                    request,
                    503,
                    "SERVICE_UNAVAILABLE",
                    "Service unavailable: the caller could not be authenticated now; try again "
                    "shortly",
                    {},
                )
            return _refused(request, 500, "INTERNAL", "Internal server error", {})
        if wait is not None:
            return _refused(
                request,
                429,
                "RATE_LIMITED",
                TOO_MANY,
                {"retryAfter": wait},
                {"Retry-After": str(wait)},
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
            phone_region=settings.phone_default_region,
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
        request.app[OPEN_WEBSOCKETS].add(ws)  # closed with 1001 when the instance shuts down
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
    # In the media type the client asked for, as every other answer of the endpoint: a client
    # accepting only application/graphql-response+json was sent application/json.
    return web.Response(
        status=status,
        body=orjson.dumps({"errors": [error]}),
        content_type=response_media_type(request.headers.get(hdrs.ACCEPT)) or JSON,
        charset="utf-8",
        headers=headers,
    )
