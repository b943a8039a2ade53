"""Errors as each system spells them, and the middleware that renders them.

Every system has its own error-body shape (an :class:`ErrorShape`); handlers raise
:class:`SimulatorError` and never build error bodies themselves. The admin control plane is the
same on every system, so its bad-input answers share one shape (:class:`AdminInputError`).
This module must never decide *when* to fail: that is the handlers' and the fault injector's job.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

Json = dict[str, Any]

_CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    422: "UNPROCESSABLE",
    503: "SERVICE_UNAVAILABLE",
}


class ErrorShape(Protocol):
    """Builds one system's error body from a machine code and a human message.

    Example:
        >>> def contact_centre(code: str, message: str) -> Json:
        ...     return {"fault": code, "message": message}
    """

    def __call__(self, code: str, message: str) -> Json: ...


ERROR_SHAPE = web.AppKey[ErrorShape]("error_shape")


class SimulatorError(Exception):
    """A failed request, rendered in the system's own error shape.

    Example:
        >>> raise SimulatorError(404, "PRODUCT_NOT_FOUND", "no product SKU-99999")
        Traceback (most recent call last):
        ...
        simulators._errors.SimulatorError: no product SKU-99999
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class AdminInputError(Exception):
    """Bad input to an ``/admin`` endpoint, naming the field at fault.

    Example:
        >>> AdminInputError("errorRate", "must be a number from 0 to 1").field
        'errorRate'
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def error_response(app: web.Application, status: int, code: str, message: str) -> web.Response:
    return web.json_response(app[ERROR_SHAPE](code, message), status=status)


@web.middleware
async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn raised errors (ours and aiohttp's 4xx/5xx) into the system's error body."""
    try:
        return await handler(request)
    except SimulatorError as exc:
        return error_response(request.app, exc.status, exc.code, exc.message)
    except AdminInputError as exc:
        body = {"error": "INVALID_INPUT", "field": exc.field, "message": exc.message}
        return web.json_response(body, status=400)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _CODES_BY_STATUS.get(exc.status, "ERROR")
        response = error_response(request.app, exc.status, code, f"{exc.reason}: {request.path}")
        if "Allow" in exc.headers:  # a 405 says which methods would do
            response.headers["Allow"] = exc.headers["Allow"]
        return response
