"""Per-request plumbing: a request id (echoed in a header), Cypher round-trip count, a log line.

The log line names the route pattern, never the path: paths carry customer ids, which are
personal data a log must not hold; nor the client's address, which is personal data too.

The request id comes from ``X-Request-Id`` when a caller (or a load balancer) sends a sane one, so a
request can be followed across systems; otherwise we make one.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.state import REQUEST_ID, ROUND_TRIPS
from graph import count_round_trips

log = structlog.get_logger("parcours.http")
_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
_INTERNAL_ERROR = "500 Internal Server Error\n\nServer got itself in trouble"


def route_of(request: web.Request) -> str:
    """The route pattern that matched (``/admin/customers/{id}/export``), never the raw path,
    which carries customer ids; ``unmatched`` for a path no route knows (a 404)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    route = route_of(request)
    with (
        count_round_trips() as counter,
        structlog.contextvars.bound_contextvars(request_id=request_id),
    ):
        request[ROUND_TRIPS] = counter

        def logged(status: int, **error: str) -> None:
            if route == "/healthz":
                return
            log.info(
                "request",
                method=request.method,
                route=route,
                status=status,
                cypher_round_trips=counter.count,
                ms=round((time.perf_counter() - started) * 1000, 2),
                **error,
            )

        try:
            response = await handler(request)
        except web.HTTPException as exc:  # a 4xx/5xx raised by a handler carries the id too
            exc.headers["X-Request-Id"] = request_id
            logged(exc.status)
            raise
        except Exception as exc:
            # Answered and logged here: aiohttp's own "Error handling request from <peer>" line
            # carries the client's address (personal data) and neither the route nor the id.
            log.exception("unhandled error", method=request.method, route=route)
            logged(500, error=type(exc).__name__)
            return web.Response(
                status=500, text=_INTERNAL_ERROR, headers={"X-Request-Id": request_id}
            )
        response.headers["X-Request-Id"] = request_id
        logged(response.status)
    return response
