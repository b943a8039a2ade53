"""The live, mutable state of one simulated system, rebuilt from its seed on demand.

Handlers read and change ``holder.current``; ``POST /admin/reset`` calls ``rebuild``. Building is
deferred to server start-up (or first use), so ``create_app`` stays cheap. The holder must never be
replaced on a running app (aiohttp freezes app state): it is rebuilt in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")


class SeededState(Generic[S]):
    """A system's state, built by ``build`` the first time it is needed and on every rebuild.

    Example:
        >>> counter = SeededState(lambda: {"pushes": 0})
        >>> counter.current["pushes"] += 1
        >>> counter.rebuild()
        >>> counter.current
        {'pushes': 0}
    """

    def __init__(self, build: Callable[[], S]) -> None:
        self._build = build
        self._current: S | None = None

    @property
    def current(self) -> S:
        if self._current is None:
            self._current = self._build()
        return self._current

    def rebuild(self) -> None:
        """Back to the seeded initial state."""
        self._current = self._build()
