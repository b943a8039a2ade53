"""A subscription's reads of the graph, tried again past a Neo4j failure that may pass.

A subscription lives for hours: a leader switch, a Neo4j restarting or busy for a moment must
not end it with INTERNAL. Each read is tried again a few times with exponential backoff and
jitter (stamina); past that the subscription ends with SERVICE_UNAVAILABLE, telling the client
to subscribe again shortly. Only reads go through here (they have no effect to repeat); any
other failure (a bug) propagates as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina
import structlog

from graph.database import unavailable
from resolvers.errors import ServiceUnavailable

T = TypeVar("T")
log = structlog.get_logger("parcours.realtime")


# Four reads over about 1.4 s (0.2, 0.4, 0.8 s plus jitter): a leader switch or a brief stall.
_RETRYING = stamina.AsyncRetryingCaller(
    attempts=4, timeout=None, wait_initial=0.2, wait_max=2.0, wait_jitter=0.2
)


async def reread(read: Callable[[], Awaitable[T]], what: str) -> T:
    """``read()``, tried again while it fails in a way that may pass; SERVICE_UNAVAILABLE once
    the attempts are spent.

    Each attempt is shielded: a subscriber that leaves mid-read must not cancel the driver
    inside a query (the driver then drops its socket unclosed); the read finishes and is
    discarded. A subscriber that leaves during a backoff stops the retries at once.
    """

    async def attempt() -> T:
        return await asyncio.shield(read())

    try:
        return await _RETRYING(unavailable, attempt)
    except Exception as exc:
        # The failures a later attempt may get past: the rule queries and mutations answer
        # SERVICE_UNAVAILABLE by (the driver's own retry of a read is one attempt more).
        if not unavailable(exc):
            raise
        log.warning("subscription read failed", read=what, error=repr(exc))
        raise ServiceUnavailable(
            f"the {what} could not be read now; subscribe again shortly"
        ) from exc
