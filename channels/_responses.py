"""What one HTTP answer of a channel system means: its JSON data, or the error it amounts to.

Pure decoding of a status and a body already read; this module must never do I/O and never
decides about retries or breakers (it only says which error, the client decides what follows).
"""

from __future__ import annotations

from typing import Any

import orjson

from channels._errors import ChannelNotFound, ChannelRejected, ChannelUnavailable


def decode_answer(channel: str, what: str, status: int, payload: bytes) -> Any:
    """The decoded JSON of a 2xx/3xx answer (``None`` when empty), else raise its error.

    ``what`` names the call in the error message, e.g. ``"GET /carts/c-1"``.
    """
    described = f"{what}: HTTP {status}"
    if status >= 500:
        raise ChannelUnavailable(channel, described, status=status)
    if status == 429:
        # Throttled: the system is not serving us now (a failure, with a stale fallback), not
        # refusing what we asked; trying again at once would only add to its load.
        raise ChannelUnavailable(
            channel, f"{described} (too many requests)", status=status, retryable=False
        )
    if status == 404:
        raise ChannelNotFound(channel, described, body=_decode_loosely(payload))
    if status >= 400:
        raise ChannelRejected(channel, described, status=status, body=_decode_loosely(payload))
    if not payload:
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        # Deterministic garbage (an HTML error page from a proxy): a failure, but not retryable.
        raise ChannelUnavailable(
            channel, f"{described} with a body that is not JSON", status=status, retryable=False
        ) from exc


def _decode_loosely(payload: bytes) -> Any:
    """A 4xx body as JSON when it is JSON, else as text: it is only passed on to the caller."""
    try:
        return orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", errors="replace")
