"""What a successful channel call returns: the data plus where, when and how fresh it is.

Plain frozen values; this module must never do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class ChannelAnswer(Generic[T]):
    """One channel's answer to one call.

    ``stale`` is true when the system failed and this is the last good answer kept for the call;
    ``as_of`` is when the data was fetched from the system (for a stale answer, long ago).

    Example:
        >>> from datetime import UTC, datetime
        >>> answer = ChannelAnswer({"lines": []}, "webshop", False, datetime.now(UTC), 12.5)
        >>> answer.stale, answer.channel
        (False, 'webshop')
    """

    data: T
    channel: str
    stale: bool
    as_of: datetime
    latency_ms: float
    # A stale answer's reason: the failure's code (CHANNEL_TIMEOUT, CHANNEL_UNAVAILABLE) and
    # whether the breaker was open (the system was not even called).
    failure_code: str | None = None
    circuit_open: bool = False

    def with_data(self, data: U) -> ChannelAnswer[U]:
        """The same answer (channel, staleness, time, latency, reason) carrying parsed ``data``."""
        return ChannelAnswer(
            data,
            self.channel,
            self.stale,
            self.as_of,
            self.latency_ms,
            self.failure_code,
            self.circuit_open,
        )
