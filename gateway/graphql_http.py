"""GraphQL over HTTP as the spec drafts it (graphql.github.io/graphql-over-http), on Strawberry.

``GraphQLOverHTTPView`` is Strawberry's aiohttp view with the checks a public endpoint needs,
made before anything is parsed or run:

- the response media type is negotiated from ``Accept``: ``application/graphql-response+json``
  when the client asks for it (then a request that never executed, such as a parse, validation
  or variable error, is a 400 without ``data``), ``application/json`` for legacy clients and for
  ``*/*`` or no ``Accept`` (then every well-formed request is a 200); a type refused by name
  (``q=0``) is never served through a wildcard; neither → 406;
- POST bodies must be ``application/json`` (UTF-8, which is all JSON may be: RFC 8259 §8.1;
  a ``charset`` naming it by one of its WHATWG labels, ``utf8`` say, is accepted) → 415
  otherwise, so no HTML form or ``text/plain`` "simple" request can reach a mutation from
  another site; at most
  ``graphql_max_body_bytes`` → 413; one JSON object with a string ``query``, an object
  ``variables`` and a string ``operationName`` → 400 otherwise, with a message saying which;
- GET carries queries only: a mutation over GET is a 405 with ``Allow: POST``; HEAD is
  answered as GET is, without the body (RFC 9110 §9.3.2), so a monitor or a cache asking for
  the headers of a URL gets the status its GET gets;
- a document of several operations needs ``operationName``, naming one of them (a request error
  coded ``BAD_REQUEST`` otherwise, checked in ``resolvers/document_limits.py``).

Every refusal is a JSON GraphQL response with one coded error and the request id. WebSocket
handshakes go straight to Strawberry untouched. This module never runs a resolver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

import orjson
from aiohttp import hdrs, web
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.aiohttp.views import GraphQLView
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway._json_body import is_json_in_utf8
from gateway.persisted_queries import (
    NOT_FOUND_MESSAGE,
    PersistedQueryNotFound,
    PersistedQueryRefused,
    requested_hash,
)
from gateway.state import PERSISTED_QUERIES, REQUEST_ID, SETTINGS
from resolvers import Context
from resolvers.extensions import coded_error

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

_MEDIA_TYPE = web.ResponseKey("graphql_media_type", str)
_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class RequestRefused(Exception):
    """An HTTP-level refusal: status, a message safe to show, and extra headers (``Allow``)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in for ``accept``, or ``None`` when it allows neither of ours.

    Each of our types takes the ``q`` of the most specific range that matches it (RFC 9110
    §12.5.1: its own name, then ``application/*``, then ``*/*``), so a type refused by name
    (``q=0``) is not served through a wildcard. The highest ``q`` wins, then the earlier entry;
    when one wildcard is all that allows both, ``application/json`` (the spec's advice for clients
    that predate graphql-response+json).

    Example:
        >>> response_media_type("application/graphql-response+json, application/json;q=0.9")
        'application/graphql-response+json'
        >>> response_media_type("application/json;q=0, */*")
        'application/graphql-response+json'
        >>> response_media_type(None), response_media_type("text/html")
        ('application/json', None)
    """
    if accept is None or not accept.strip():
        return JSON
    # Per type of ours: (specificity, q, position) of the most specific range naming it.
    matched: dict[str, tuple[int, float, int]] = {}
    for position, entry in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in entry.split(";"))
        for ours in (GRAPHQL_RESPONSE_JSON, JSON):
            specificity = _SPECIFICITY.get(media.lower(), {}).get(ours)
            known = matched.get(ours)
            if specificity is not None and (known is None or specificity > known[0]):
                matched[ours] = (specificity, _quality(params), position)
    allowed = [(q, -position, ours == JSON, ours) for ours, (_, q, position) in matched.items()]
    best = max((choice for choice in allowed if choice[0] > 0), default=None)
    return best[3] if best is not None else None


_SPECIFICITY = {
    GRAPHQL_RESPONSE_JSON: {GRAPHQL_RESPONSE_JSON: 2},
    JSON: {JSON: 2},
    "application/*": {GRAPHQL_RESPONSE_JSON: 1, JSON: 1},
    "*/*": {GRAPHQL_RESPONSE_JSON: 0, JSON: 0},
}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def _is_request_error(body: GraphQLHTTPResponse) -> bool:
    """True when the operation never executed: no data and no error at a field path."""
    errors = body.get("errors") or []
    return (
        body.get("data") is None
        and bool(errors)
        and all(isinstance(e, dict) and "path" not in e for e in errors)
    )


class GraphQLOverHTTPView(GraphQLView[Context, None]):
    """Strawberry's aiohttp view, answering hostile HTTP with 4xx and JSON, never a 5xx.

    Example:
        >>> view = GraphQLOverHTTPView(schema=build_schema(), graphql_ide=None)  # doctest: +SKIP
    """

    def is_websocket_request(self, request: web.Request) -> TypeGuard[web.Request]:
        # Strawberry asks this several times per request, each time building a
        # WebSocketResponse whose handshake check raises and catches an HTTPException on a plain
        # POST (1-2 % of a cheap request's CPU). Its first test is this header: the same
        # answer, without the objects.
        if request.headers.get(hdrs.UPGRADE, "").lower().strip() != "websocket":
            return False
        return super().is_websocket_request(request)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.is_websocket_request(request):
            return await super().__call__(request)
        if request.method == hdrs.METH_HEAD:
            # Answered as GET (same checks, status and headers); aiohttp sends no body, since
            # it prepares the response for the HEAD request it received.
            request = request.clone(method=hdrs.METH_GET)
        media_type = response_media_type(request.headers.get(hdrs.ACCEPT))
        try:
            await self._screen(request, media_type)
            return await self.run(request=request)
        except RequestRefused as refused:
            return _refusal(request, refused, media_type)
        except HTTPException as exc:
            return _refusal(request, RequestRefused(exc.status_code, exc.reason), media_type)
        except web.HTTPRequestEntityTooLarge:
            return _refusal(
                request, RequestRefused(413, "the request body is too large"), media_type
            )

    async def _screen(self, request: web.Request, media_type: str | None) -> None:
        if request.method not in (hdrs.METH_GET, hdrs.METH_POST):
            raise RequestRefused(
                405,
                "GraphQL is served over GET (queries) and POST",
                {hdrs.ALLOW: "GET, HEAD, POST"},
            )
        if request.method == hdrs.METH_GET:
            if self._wants_ide(request):
                return
        else:
            await self._screen_body(request)
        if media_type is None:
            raise RequestRefused(
                406, f"Accept must allow {GRAPHQL_RESPONSE_JSON} or {JSON}: no other is served"
            )

    def _wants_ide(self, request: web.Request) -> bool:
        accept = request.headers.get(hdrs.ACCEPT, "")
        return _names_no_operation(request.query) and ("text/html" in accept or "*/*" in accept)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # Strawberry looks for `query` only: a persisted query sent over GET (its hash in
        # `extensions`, no text) with `Accept: */*` (curl, fetch, Apollo Client 3) got GraphiQL.
        return _names_no_operation(request.query_params) and super().should_render_graphql_ide(
            request
        )

    async def _screen_body(self, request: web.Request) -> None:
        if not is_json_in_utf8(request):
            given = request.headers.get(hdrs.CONTENT_TYPE, "none")
            raise RequestRefused(415, f"POST bodies must be {JSON} in UTF-8, not {given[:80]!r}")
        limit = request.app[SETTINGS].graphql_max_body_bytes
        too_large = RequestRefused(413, f"the request body is over {limit} bytes")
        if request.content_length is not None and request.content_length > limit:
            raise too_large
        if len(await request.read()) > limit:  # chunked: no Content-Length to trust
            raise too_large

    def decode_json(self, data: str | bytes) -> object:
        # orjson is strict where the standard library is lenient: it refuses invalid UTF-8, lone
        # surrogates, NaN, numbers beyond a double and nesting past 1,024 with a JSONDecodeError
        # (a 400), where json.loads raises other errors (a 500) or accepts them.
        return orjson.loads(data)

    async def get_sub_response(self, request: web.Request) -> web.Response:
        response = await super().get_sub_response(request)
        response[_MEDIA_TYPE] = response_media_type(request.headers.get(hdrs.ACCEPT)) or JSON
        return response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method != "POST":
            return await super().parse_http_body(request)
        body = self.parse_json(await request.get_body())
        if isinstance(body, list):
            raise HTTPException(400, "batching is not enabled: send one operation, a JSON object")
        if not isinstance(body, dict):
            raise HTTPException(400, "the body must be a JSON object with a `query` string")
        return GraphQLRequestData(
            query=_member(body, "query", str, "a string"),
            variables=_member(body, "variables", dict, "an object"),
            operation_name=_member(body, "operationName", str, "a string"),
            extensions=_member(body, "extensions", dict, "an object"),
        )

    async def execute_single(  # noqa: PLR0917 - Strawberry's signature, overridden as is
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Plain HTTP carries queries, and mutations over POST only; subscriptions go over the
        # WebSocket (Strawberry's default would also start them here and fail in the resolver).
        get = request_adapter.method == "GET"
        allowed = {OperationType.QUERY} if get else {OperationType.QUERY, OperationType.MUTATION}
        query = request_data.query
        registry = request.app.get(PERSISTED_QUERIES)
        if registry is not None:
            try:
                query = await registry.resolve(query, request_data.extensions)
            except PersistedQueryNotFound:
                error = GraphQLError(
                    NOT_FOUND_MESSAGE, extensions={"code": "PERSISTED_QUERY_NOT_FOUND"}
                )
                return ExecutionResult(data=None, errors=[error])
            except PersistedQueryRefused as exc:
                raise HTTPException(400, str(exc)) from exc
        try:
            result = await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as exc:
            # No operation of that name: a request error (400 under graphql-response+json, 200
            # under application/json, like a validation error), not an HTTP refusal.
            error = GraphQLError(exc.as_http_error_reason(), extensions={"code": "BAD_REQUEST"})
            return ExecutionResult(data=None, errors=[error])
        except MissingQueryError as exc:
            raise HTTPException(400, "no GraphQL `query` in the request") from exc
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise RequestRefused(
                    400, "subscriptions are served over WebSocket (graphql-transport-ws)"
                ) from exc
            raise RequestRefused(
                405, "only queries may be sent with GET: use POST", {hdrs.ALLOW: "POST"}
            ) from exc
        if registry is not None and request_data.query is not None:
            digest = requested_hash(request_data.extensions)
            if digest is not None and not _document_refused(result):
                await registry.register(digest, request_data.query)
        return result

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            request_id = request.get(REQUEST_ID)
            result.errors = [_coded(error, request_id) for error in result.errors]
        return await super().process_result(request, result)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        media_type = sub_response.get(_MEDIA_TYPE, JSON)
        body: object = response_data
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and _is_request_error(response_data)
        ):
            body = {key: value for key, value in response_data.items() if key != "data"}
            sub_response.set_status(400)
        # orjson: the standard library's encoder was ~2 % of an uncached home screen's CPU. (Not
        # through encode_json, whose bytes would make WebSocket messages binary frames.)
        sub_response.body = orjson.dumps(body)
        sub_response.content_type = media_type
        sub_response.charset = "utf-8"
        return sub_response


_DOCUMENT_REFUSED = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})


def _document_refused(result: ExecutionResult) -> bool:
    """The document did not parse or validate (CodedErrors has coded the errors by now)."""
    return any(
        isinstance(error, GraphQLSyntaxError)
        or (error.extensions or {}).get("code") in _DOCUMENT_REFUSED
        for error in result.errors or []
    )


def _names_no_operation(params: Mapping[str, object]) -> bool:
    """A GET without ``query`` and without ``extensions`` (a persisted query's hash)."""
    return "query" not in params and "extensions" not in params


def _coded(error: GraphQLError, request_id: str | None) -> GraphQLError:
    # Coded and carrying the id (CodedErrors saw it): as is. Else coded here, and the id added
    # (an unknown operation name or persisted query is made by this view, not by the schema).
    extensions = error.extensions or {}
    done = "code" in extensions and ("requestId" in extensions or request_id is None)
    return error if done else coded_error(error, request_id)


def _member(body: dict[str, Any], name: str, kind: type, described: str) -> Any:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise HTTPException(
            400, f"`{name}` must be {described} or null, not {type(value).__name__}"
        )
    return value


def _refusal(request: web.Request, refused: RequestRefused, media_type: str | None) -> web.Response:
    error = {
        "message": refused.message,
        "extensions": {
            "code": _CODES.get(refused.status, "BAD_REQUEST"),
            "requestId": request.get(REQUEST_ID),
        },
    }
    return web.Response(
        status=refused.status,
        body=orjson.dumps({"errors": [error]}),
        content_type=media_type or JSON,
        charset="utf-8",
        headers=refused.headers,
    )


__all__ = ["GRAPHQL_RESPONSE_JSON", "JSON", "GraphQLOverHTTPView", "response_media_type"]
