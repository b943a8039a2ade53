"""Latency and faults, switched at run time: what makes a healthy simulator behave like a bad day.

Every request outside the control plane (``/admin/*`` and ``/healthz``) first waits the configured
latency (base + uniform jitter) plus any injected latency, then may be swallowed (blackhole) or
failed with a 503 in the system's own error shape (error rate). This module must never touch a
system's business state, and never hold a request past its client, the server's shutdown or 300 s.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web
from aiohttp.typedefs import Handler

from simulators._errors import AdminInputError, SimulatorError

BLACKHOLE_CAP_S = 300.0
MAX_INJECTED_LATENCY_MS = 300_000.0
_DISCONNECT_POLL_S = 0.02


@dataclass
class FaultState:
    """The faults currently switched on for one system (all off by default).

    Example:
        >>> faults = FaultState()
        >>> faults.update({"errorRate": 0.5, "blackhole": False})
        >>> faults.as_json()
        {'latencyMs': 0.0, 'errorRate': 0.5, 'blackhole': False}
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    blackhole: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "errorRate": self.error_rate,
            "blackhole": self.blackhole,
        }

    def update(self, body: object) -> None:
        """Apply ``{"latencyMs", "errorRate", "blackhole"}`` (any subset), all or nothing."""
        if not isinstance(body, Mapping):
            raise AdminInputError("body", "must be a JSON object")
        for key in body:
            if key not in ("latencyMs", "errorRate", "blackhole"):
                raise AdminInputError(str(key), "is not a fault (latencyMs, errorRate, blackhole)")
        latency = _number(body, "latencyMs", self.latency_ms, 0.0, MAX_INJECTED_LATENCY_MS)
        error_rate = _number(body, "errorRate", self.error_rate, 0.0, 1.0)
        blackhole = body.get("blackhole", self.blackhole)
        if not isinstance(blackhole, bool):
            raise AdminInputError("blackhole", "must be true or false")
        self.latency_ms, self.error_rate, self.blackhole = latency, error_rate, blackhole

    def clear(self) -> None:
        self.latency_ms, self.error_rate, self.blackhole = 0.0, 0.0, False


def _number(body: Mapping[str, Any], field: str, current: float, low: float, high: float) -> float:
    value = body.get(field, current)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminInputError(field, f"must be a number from {low:g} to {high:g}")
    if not low <= value <= high:
        raise AdminInputError(field, f"must be a number from {low:g} to {high:g}")
    return float(value)


@dataclass
class LatencyModel:
    """How long a healthy system takes to answer: ``base_ms`` + uniform(0, ``jitter_ms``).

    Example:
        >>> LatencyModel(base_ms=20, jitter_ms=0, rng=random.Random(0)).draw_ms()
        20.0
    """

    base_ms: float
    jitter_ms: float
    rng: random.Random

    def draw_ms(self) -> float:
        jitter = self.rng.uniform(0.0, self.jitter_ms) if self.jitter_ms > 0 else 0.0
        return float(self.base_ms) + jitter


FAULTS = web.AppKey("faults", FaultState)
LATENCY = web.AppKey("latency", LatencyModel)
# Set when the server shuts down, so blackholed requests let go instead of holding shutdown up.
CLOSING = web.AppKey("closing", asyncio.Event)


def is_control_path(path: str) -> bool:
    """Whether ``path`` belongs to the control plane, which faults never touch."""
    return path == "/healthz" or path.startswith("/admin/")


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Delay, swallow or fail a request as the latency model and current faults say."""
    if is_control_path(request.path):
        return await handler(request)
    app = request.app
    faults = app[FAULTS]
    delay_s = (app[LATENCY].draw_ms() + faults.latency_ms) / 1000
    if delay_s > 0 and not await _hold(request, app[CLOSING], delay_s):
        _hang_up(request)
    if faults.blackhole:
        await _hold(request, app[CLOSING], BLACKHOLE_CAP_S)
        _hang_up(request)
    if faults.error_rate > 0 and app[LATENCY].rng.random() < faults.error_rate:
        raise SimulatorError(503, "SERVICE_UNAVAILABLE", "simulated outage, try again later")
    return await handler(request)


def _hang_up(request: web.Request) -> NoReturn:
    """Drop the connection of a request that will never be answered (if the client has not)."""
    if request.transport is not None:
        request.transport.abort()
    # Nobody is listening any more; aiohttp logs this status and writes nothing.
    raise SimulatorError(503, "UNANSWERED", "dropped without an answer")


async def _hold(request: web.Request, closing: asyncio.Event, seconds: float) -> bool:
    """Keep the request waiting ``seconds``; False if the client hangs up or the server stops."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        transport = request.transport
        if closing.is_set() or transport is None or transport.is_closing():
            return False
        await asyncio.sleep(min(remaining, _DISCONNECT_POLL_S))
    return True
