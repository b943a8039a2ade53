"""What the federation core tells an observer: each call's outcome and latency, breaker changes.

The gateway turns these into metrics; this package only calls
the Protocol. It must never import the gateway, Prometheus or anything that does I/O, and an
observer must never slow a call down: its methods are plain synchronous callbacks.
"""

from __future__ import annotations

from typing import Protocol


class ChannelObserver(Protocol):
    """Receives what happens on the channel clients of one gateway instance.

    ``outcome`` is ``ok``, ``stale`` (the system failed, a stale answer was served) or the error
    code the call ended in (``CHANNEL_UNAVAILABLE``, ``CHANNEL_TIMEOUT``, ``NOT_FOUND``...).
    ``state`` is the breaker's: ``closed``, ``opened`` or ``half-opened``.

    Example:
        >>> class Printer:
        ...     def call_finished(self, system, method, outcome, seconds):
        ...         print(system, method, outcome)
        ...     def breaker_changed(self, system, state):
        ...         print(system, state)
    """

    def call_finished(self, system: str, method: str, outcome: str, seconds: float) -> None: ...

    def breaker_changed(self, system: str, state: str) -> None: ...


class NoObserver:
    """The observer of a client nobody watches."""

    def call_finished(self, system: str, method: str, outcome: str, seconds: float) -> None:
        return None

    def breaker_changed(self, system: str, state: str) -> None:
        return None
