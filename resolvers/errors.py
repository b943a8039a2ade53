"""Coded GraphQL errors: every error a client sees carries ``extensions.code``.

Resolvers raise these; the ``CodedErrors`` extension masks anything else as INTERNAL with the
request id, so a stack trace or a Cypher message never reaches a client.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class ParcoursError(GraphQLError):
    """Base of our own errors: the message is safe to show, the code tells clients what to do.

    Example:
        >>> NotFound("no customer with id 'x'").extensions
        {'code': 'NOT_FOUND'}
    """

    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(ParcoursError):
    code = "BAD_USER_INPUT"


class NotFound(ParcoursError):
    code = "NOT_FOUND"


class Forbidden(ParcoursError):
    code = "FORBIDDEN"


class VersionConflict(ParcoursError):
    code = "VERSION_CONFLICT"


class CustomerMerged(ParcoursError):
    """The customer was merged into another (``survivorId``): a live view of it ends, since
    nothing will happen to that id again; follow the survivor's id instead.

    Example:
        >>> CustomerMerged("merged", survivorId="cus_2").extensions["survivorId"]
        'cus_2'
    """

    code = "CUSTOMER_MERGED"


class ServiceUnavailable(ParcoursError):
    """A store we depend on (Neo4j) failed past our retries: nothing is wrong with the request,
    and trying again shortly may succeed."""

    code = "SERVICE_UNAVAILABLE"


class QueryTimeout(ParcoursError):
    """A statement ran past the statement timeout: asking for less (a shorter window) may help.

    Example:
        >>> QueryTimeout("too long", figure="sales figures").extensions["code"]
        'QUERY_TIMEOUT'
    """

    code = "QUERY_TIMEOUT"
