"""One circuit breaker per channel system, on purgatory, judging calls by what they tell of it.

A call is a *success* when the system answered (2xx, and 4xx too: a "no" is still an answer), a
*failure* when it did not (5xx, a 429 throttling us, connection trouble, its own timeout ran
out), and *neither* when we
stopped waiting for our own reasons (the request's deadline was the tighter limit, or the caller
cancelled): counting those would let a slow gateway open the breaker of a healthy system. This
module must never do network I/O itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog
from purgatory import AsyncCircuitBreakerFactory, ContextChanged, Event
from purgatory.domain.model import OpenedState

from channels._errors import (
    ChannelCircuitOpen,
    ChannelNotFound,
    ChannelRejected,
    ChannelTimeout,
)
from channels._observer import ChannelObserver, NoObserver

log = structlog.get_logger("parcours.channels")


class SystemBreaker:
    """Opens after ``threshold`` consecutive failures, fails fast for ``ttl_s``, then lets calls
    probe: the first answer closes it, the first failure opens it again.

    Breakers are in memory and per client instance, on purpose: each gateway process judges its
    own path to the system (its network, its pool), and no shared store sits on the hot path.

    Example:
        >>> async def order(breaker: SystemBreaker) -> None:
        ...     async with breaker.guard():  # raises ChannelCircuitOpen while open
        ...         ...  # one attempt at the system
    """

    def __init__(
        self,
        channel: str,
        threshold: int,
        ttl_s: float,
        observer: ChannelObserver | None = None,
    ) -> None:
        self.channel = channel
        # purgatory's own state name; an opened breaker stays "opened" past its TTL until the
        # next call probes (it then turns "half-opened").
        self.state = "closed"
        self._observer: ChannelObserver = observer or NoObserver()
        self._factory = AsyncCircuitBreakerFactory(default_threshold=threshold, default_ttl=ttl_s)
        self._factory.add_listener(self._state_changed)

    def _state_changed(self, circuit: str, kind: str, event: Event) -> None:
        if kind == "state_changed" and isinstance(event, ContextChanged):
            log.warning("channel_breaker_state_changed", channel=circuit, state=event.state)
            self.state = event.state
            self._observer.breaker_changed(self.channel, event.state)

    @contextlib.asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """Let one attempt through unless the breaker is open, then record how it went."""
        breaker = await self._factory.get_breaker(self.channel)
        try:
            # purgatory's breaker is an async context manager; we drive it by hand because an
            # attempt can end in "neither success nor failure", which `async with` cannot say.
            await breaker.__aenter__()
        except OpenedState as exc:
            # purgatory raises the same OpenedState instance on every call while open, and each
            # raise would append to its traceback: drop it so an open breaker does not grow memory.
            exc.__traceback__ = None
            raise ChannelCircuitOpen(self.channel) from None
        # A BaseException (the caller cancelled the attempt) passes through unrecorded.
        try:
            yield
        except (ChannelNotFound, ChannelRejected):
            await breaker.__aexit__(None, None, None)
            raise
        except Exception as exc:
            if not (isinstance(exc, ChannelTimeout) and exc.cut_by_deadline):
                await breaker.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        else:
            await breaker.__aexit__(None, None, None)
