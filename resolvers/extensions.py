"""Schema extensions of ours: coded, masked errors and per-request diagnostics.

``CodedErrors`` guarantees the contract of DESIGN.md: every error has ``extensions.code``; our own
errors pass through; anything unexpected becomes INTERNAL with the request id, and the original is
logged (never shown).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, StreamExecutionResult

from graph.database import unavailable
from resolvers.errors import ParcoursError, ServiceUnavailable
from resolvers.validation import literal_argument

log = structlog.get_logger("parcours.graphql")


def _request_id(context: object) -> str | None:
    return getattr(context, "request_id", None)


class CodedErrors(SchemaExtension):
    """Give every error a code; mask the unexpected ones (with the request id to find the log)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None:
            return
        self._code(result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Over graphql-transport-ws each result is sent as it is yielded, before on_operation
        # ends: coded (an unexpected error masked) and given its channel notices here, or it went
        # out raw and without them.
        if isinstance(result, ExecutionResult):
            self._code(result)
        yield

    def _code(self, result: Any) -> None:  # any of the execution results: all have errors
        """``result``'s errors coded, with the channel notices not yet sent (taken: a
        subscription's next result or a connection's next operation does not repeat them)."""
        context = self.execution_context.context
        sources = getattr(context, "sources", None)
        notices: list[GraphQLError] = sources.take_notices() if sources is not None else []
        errors = list(getattr(result, "errors", None) or []) + notices
        if not errors:
            return
        request_id = _request_id(context)
        result.errors = [coded_error(error, request_id) for error in errors]


def coded_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """``error`` with an ``extensions.code``: ours kept, syntax and validation errors coded, and
    anything else masked as INTERNAL (the original logged with ``request_id``).

    Also the HTTP view's last word on errors raised where ``CodedErrors`` does not see them
    (a parse error raised by the parser cache, for one).
    """
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if isinstance(original, ParcoursError):
        extensions = {**(original.extensions or {}), **extensions}
    elif isinstance(error, GraphQLSyntaxError) and "code" not in extensions:
        extensions["code"] = "GRAPHQL_PARSE_FAILED"
    elif _is_variable_error(error) and "code" not in extensions:
        # graphql-core keeps the scalar's own complaint as the original error (an Int beyond
        # 32 bits, a DateTime that does not parse): the caller's input, not our failure.
        extensions["code"] = "BAD_USER_INPUT"
    elif original is None and "code" not in extensions:
        extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        argument = literal_argument(error)
        if argument is not None:  # a literal of the wrong type: name it, as BAD_USER_INPUT does
            extensions["argument"] = argument
    elif original is not None and "code" not in extensions and unavailable(original):
        # Neo4j unreachable, out of pool connections or past the statement timeout: a store of
        # ours failed, not the request; the client may try again (a mutation with its key).
        log.warning(
            "graph unavailable", request_id=request_id, path=error.path, error=repr(original)
        )
        coded = ServiceUnavailable(
            "The customer graph did not answer in time; try again shortly.", store="neo4j"
        )
        extensions = {**(coded.extensions or {}), **extensions}
        return _with(error, coded.message, original, extensions, request_id)
    elif original is not None and "code" not in extensions:
        log.error(
            "internal error",
            request_id=request_id,
            path=error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        return GraphQLError(
            "Internal server error",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )
    return _with(error, error.message, original, extensions, request_id)


def _with(
    error: GraphQLError,
    message: str,
    original: Exception | None,
    extensions: dict[str, Any],
    request_id: str | None,
) -> GraphQLError:
    if request_id is not None:
        extensions.setdefault("requestId", request_id)
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


def caused_by_caller(error: GraphQLError) -> bool:
    """True for an error that answers the caller (ours, syntax, validation, a variable's value),
    as opposed to a fault of ours."""
    original = error.original_error
    return original is None or isinstance(original, ParcoursError) or _is_variable_error(error)


def _is_variable_error(error: GraphQLError) -> bool:
    """True for graphql-core's refusal of a variable's value (raised before execution)."""
    return error.path is None and error.message.startswith("Variable '$")


class SourcesReport(SchemaExtension):
    """List the channel systems a request consulted, with outcome and latency (``sources``)."""

    def get_results(self) -> dict[str, Any]:
        sources = getattr(self.execution_context.context, "sources", None)
        return {"sources": sources.summary()} if sources is not None else {}


class Diagnostics(SchemaExtension):
    """Report the request's Cypher round trips in the response ``extensions`` (dev aid, bench)."""

    def get_results(self) -> dict[str, Any]:
        counter = getattr(self.execution_context.context, "round_trips", None)
        count = getattr(counter, "count", None)
        return {"cypherRoundTrips": count} if count is not None else {}
