"""How ``POST /webhooks/{channel}`` refuses a request: a status, a code and a message in the
contract's JSON, and nothing written. Used by the parsing (:mod:`gateway.webhook_events`) and the
handler (:mod:`gateway.webhooks`); it must never carry an identifier value or a secret.
"""

from __future__ import annotations

# The code of a request, or of a batch's event, whose content is wrong (a field, an identifier).
BAD_USER_INPUT = "BAD_USER_INPUT"
# How long a sender should wait before posting again a batch the graph could not take (a 503).
RETRY_AFTER_S = 5


class WebhookRefused(Exception):
    """A webhook request answered with an error status and a coded JSON body; nothing written.

    Example:
        >>> WebhookRefused(400, "BAD_USER_INPUT", "events[0].at: is required").status
        400
    """

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


def bad_input(path: str, message: str) -> WebhookRefused:
    """A 400 naming the field at fault by its path in the request (``events[2].at``)."""
    return WebhookRefused(400, BAD_USER_INPUT, f"{path}: {message}")
