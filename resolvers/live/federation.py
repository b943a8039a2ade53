"""Turn a channel outcome into a field value: live, stale (with a notice), or null (with an error).

Resolvers of channel-fed fields await their loader through :func:`live_value`; nothing else in the
schema needs to know how a system failed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry

from channels import (
    ChannelAnswer,
    ChannelCircuitOpen,
    ChannelNotFound,
    ChannelRejected,
    ChannelTimeout,
    ChannelUnavailable,
)
from resolvers.context import Context

T = TypeVar("T")


async def live_value(
    info: strawberry.Info[Context, None], pending: Awaitable[ChannelAnswer[T]]
) -> T | None:
    """The answer's data; a stale answer adds a notice, a failed call a coded error and null."""
    sources = info.context.sources
    path = info.path.as_list()
    try:
        answer = await pending
    except (ChannelTimeout, ChannelUnavailable) as exc:
        sources.degrade(
            path,
            f"the {exc.channel} system did not answer in time"
            if isinstance(exc, ChannelTimeout)
            else f"the {exc.channel} system is unavailable",
            {
                "code": exc.code,
                "channel": exc.channel,
                "stale": False,
                "circuitOpen": isinstance(exc, ChannelCircuitOpen),
            },
        )
        return None
    except ChannelNotFound:
        return None
    except ChannelRejected as exc:
        # The system said no (a 4xx): its code, not INTERNAL, and nothing of the HTTP exchange.
        sources.degrade(
            path,
            f"the {exc.channel} system refused this request",
            {"code": exc.code, "channel": exc.channel, "stale": False},
        )
        return None
    if answer.stale:
        timed_out = answer.failure_code == ChannelTimeout.code
        sources.degrade(
            path,
            f"the {answer.channel} system did not answer in time; showing its last known answer"
            if timed_out
            else f"the {answer.channel} system is unavailable; showing its last known answer",
            {
                "code": answer.failure_code or ChannelUnavailable.code,
                "channel": answer.channel,
                "stale": True,
                "circuitOpen": answer.circuit_open,
                "asOf": answer.as_of.isoformat(),
            },
        )
    return answer.data
