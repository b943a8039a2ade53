"""Clients for the existing channel systems (web shop, stores, OMS, contact centre, mobile).

This package holds the federation core every per-system client is built on: deadlines, a pooled
HTTP client with breaker, retries and stale fallback, and the fan-out. It must never import the
gateway, the resolvers, the graph, strawberry or ``aiohttp.web``; storage it needs (the stale
answers) comes in through the :class:`StaleStore` Protocol, and what it reports (call latency,
breaker changes) goes out through the :class:`ChannelObserver` Protocol.
"""

from channels._answer import ChannelAnswer
from channels._client import ChannelClient, QueryParams
from channels._config import ChannelConfig
from channels._deadline import Deadline
from channels._errors import (
    ChannelCircuitOpen,
    ChannelError,
    ChannelNotFound,
    ChannelRejected,
    ChannelTimeout,
    ChannelUnavailable,
)
from channels._fanout import ChannelOutcome, fan_out
from channels._health import SystemHealth
from channels._observer import ChannelObserver, NoObserver
from channels._stale import StaleEntry, StaleStore
from channels.systems import ChannelSystems

__all__ = [
    "ChannelAnswer",
    "ChannelCircuitOpen",
    "ChannelClient",
    "ChannelConfig",
    "ChannelError",
    "ChannelNotFound",
    "ChannelObserver",
    "ChannelOutcome",
    "ChannelRejected",
    "ChannelSystems",
    "ChannelTimeout",
    "ChannelUnavailable",
    "Deadline",
    "NoObserver",
    "QueryParams",
    "StaleEntry",
    "StaleStore",
    "SystemHealth",
    "fan_out",
]
