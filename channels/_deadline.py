"""The overall time budget of one gateway request, shared by every channel call it makes.

A deadline only measures time (monotonic clock); it must never sleep, cancel or call anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock after which a request's answer is no longer awaited.

    Example:
        >>> deadline = Deadline.after(0.5)
        >>> 0.0 < deadline.remaining() <= 0.5, deadline.expired
        (True, False)
    """

    expires_at: float

    @classmethod
    def after(cls, budget_s: float) -> Deadline:
        """The deadline ``budget_s`` seconds from now."""
        return cls(time.monotonic() + budget_s)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0
