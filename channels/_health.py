"""A channel client's view of its system's health: breaker state and recent failed calls.

Breakers live in each gateway process (see ``channels/_breaker.py``), so this view is per instance
too: it is what this process saw in the last ``window_s`` seconds. It must never do I/O and never
grow without bound (old timestamps are dropped on every record and read).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SystemHealth:
    """How one system looks from this gateway instance right now.

    ``breaker_state`` is purgatory's (``closed``, ``opened``, ``half-opened``); ``recent_failures``
    the calls that failed (the system did not answer) within ``window_s`` seconds.
    """

    system: str
    breaker_state: str
    recent_failures: int
    window_s: float

    @property
    def degraded(self) -> bool:
        return self.breaker_state != "closed" or self.recent_failures > 0


class RecentFailures:
    """Counts failed calls within a sliding window (at most ``max_kept`` remembered).

    Example:
        >>> failures = RecentFailures(window_s=60)
        >>> failures.record()
        >>> failures.count()
        1
    """

    def __init__(self, window_s: float, max_kept: int = 1000) -> None:
        self.window_s = window_s
        self._at: deque[float] = deque(maxlen=max_kept)

    def record(self) -> None:
        self._at.append(time.monotonic())
        self._drop_old()

    def count(self) -> int:
        self._drop_old()
        return len(self._at)

    def _drop_old(self) -> None:
        horizon = time.monotonic() - self.window_s
        while self._at and self._at[0] < horizon:
            self._at.popleft()
