"""Errors a channel call can end in, each with the GraphQL ``extensions.code`` it maps to.

Two families: the system failed us (:class:`ChannelUnavailable`, :class:`ChannelTimeout`, which
trip the breaker and allow a stale fallback) or the system answered no (:class:`ChannelNotFound`,
:class:`ChannelRejected`, which are answers, not failures). This module must never import the
gateway, the resolvers or strawberry: the GraphQL layer reads ``.code`` and maps it.
"""

from __future__ import annotations

from typing import Any

# What a channel system's 4xx means to our own client: the system's "no" is passed on, except when
# it says the gateway itself misbehaved (a 401/403 means our credentials are wrong): that is ours.
_REJECTION_CODES = {
    400: "BAD_USER_INPUT",
    409: "VERSION_CONFLICT",
    412: "VERSION_CONFLICT",
    422: "BAD_USER_INPUT",
}


class ChannelError(Exception):
    """Base of every error a channel call raises; ``channel`` names the system.

    Example:
        >>> err = ChannelTimeout("oms", "GET /orders: no answer in 0.8 s", cut_by_deadline=False)
        >>> (isinstance(err, ChannelError), err.channel, err.code)
        (True, 'oms', 'CHANNEL_TIMEOUT')
    """

    code: str = "INTERNAL"

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel


class ChannelUnavailable(ChannelError):
    """The system failed: a 5xx, a 429 (it throttles us), a refused or dropped connection,
    garbage, or an open breaker.

    ``retryable`` says whether trying again within the same request can help; ``status`` is the
    HTTP status when the system answered at all.

    Example:
        >>> ChannelUnavailable("webshop", "GET /carts/1: HTTP 503", status=503).code
        'CHANNEL_UNAVAILABLE'
    """

    code = "CHANNEL_UNAVAILABLE"

    def __init__(
        self, channel: str, message: str, *, status: int | None = None, retryable: bool = True
    ) -> None:
        super().__init__(channel, message)
        self.status = status
        self.retryable = retryable


class ChannelCircuitOpen(ChannelUnavailable):
    """The breaker for this system is open: the call failed fast, nothing went over the network.

    Example:
        >>> ChannelCircuitOpen("stores").retryable
        False
    """

    def __init__(self, channel: str) -> None:
        super().__init__(channel, "circuit breaker open, not calling", retryable=False)


class ChannelTimeout(ChannelError):
    """No answer in time. ``cut_by_deadline`` is true when the request's own budget, not the
    system's per-call timeout, was the tighter limit: then the system is not to blame.

    Example:
        >>> ChannelTimeout("mobile", "GET /devices: no answer", cut_by_deadline=True).code
        'CHANNEL_TIMEOUT'
    """

    code = "CHANNEL_TIMEOUT"

    def __init__(self, channel: str, message: str, *, cut_by_deadline: bool) -> None:
        super().__init__(channel, message)
        self.cut_by_deadline = cut_by_deadline


class ChannelNotFound(ChannelError):
    """The system answered 404: what was asked for does not exist there.

    Example:
        >>> ChannelNotFound("oms", "GET /orders/9: HTTP 404", body={"error": "no such order"}).code
        'NOT_FOUND'
    """

    code = "NOT_FOUND"
    status = 404

    def __init__(self, channel: str, message: str, *, body: Any = None) -> None:
        super().__init__(channel, message)
        self.body = body


class ChannelRejected(ChannelError):
    """The system answered another 4xx: it refused this request, and says why in ``body``.

    ``code`` follows the status: 400/422 → BAD_USER_INPUT, 409/412 → VERSION_CONFLICT,
    anything else (401, 403...) → INTERNAL, a fault on our side. (A 429 is no refusal: the
    system is throttling us, a :class:`ChannelUnavailable`.)

    Example:
        >>> err = ChannelRejected("webshop", "POST /carts: HTTP 409", status=409, body={})
        >>> (err.status, err.code)
        (409, 'VERSION_CONFLICT')
    """

    def __init__(self, channel: str, message: str, *, status: int, body: Any = None) -> None:
        super().__init__(channel, message)
        self.status = status
        self.body = body
        self.code = _REJECTION_CODES.get(status, "INTERNAL")
