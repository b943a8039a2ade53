"""Assembles one simulated system: its routes, its seeded state, the shared control plane.

Each system module describes itself with a :class:`SystemSpec` and calls :func:`build_app`; this is
the only place the middlewares (errors outside, faults inside) and the typed app state are wired.
It must never hold business rules of a particular system.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

from aiohttp import web

from simulators._admin import ERASURES, RESET_STATE, SYSTEM_NAME, ErasureLog
from simulators._admin import routes as control_routes
from simulators._config import SimulatorConfig
from simulators._errors import ERROR_SHAPE, ErrorShape, render_errors
from simulators._faults import CLOSING, FAULTS, LATENCY, FaultState, LatencyModel, inject_faults
from simulators._state import SeededState

S = TypeVar("S")


@dataclass(frozen=True)
class SystemSpec(Generic[S]):
    """What makes a system itself: name, error shape, routes and how to build its state.

    Example:
        >>> SPEC = SystemSpec(
        ...     name="webshop",
        ...     error_shape=lambda code, message: {"error": {"code": code, "message": message}},
        ...     state_key=web.AppKey[SeededState[dict[str, int]]]("prices"),
        ...     build_state=lambda config: {"SKU-00001": config.seed},
        ...     routes=web.RouteTableDef(),
        ... )
    """

    name: str
    error_shape: ErrorShape
    state_key: web.AppKey[SeededState[S]]
    build_state: Callable[[SimulatorConfig], S]
    routes: web.RouteTableDef


def build_app(spec: SystemSpec[S], config: SimulatorConfig) -> web.Application:
    """A ready-to-serve app for ``spec``; its state is built when the server starts."""
    app = web.Application(middlewares=[render_errors, inject_faults])
    state = SeededState(partial(spec.build_state, config))
    app[spec.state_key] = state
    app[SYSTEM_NAME] = spec.name
    app[ERROR_SHAPE] = spec.error_shape
    app[FAULTS] = FaultState()
    app[LATENCY] = LatencyModel(
        base_ms=config.latency_ms,
        jitter_ms=config.jitter_ms,
        rng=random.Random(f"{spec.name}:latency:{config.rng_seed}"),  # noqa: S311 - simulated jitter, not secrecy
    )
    app[CLOSING] = asyncio.Event()
    app[ERASURES] = ErasureLog()
    app[RESET_STATE] = state.rebuild
    app.router.add_routes(control_routes)
    app.router.add_routes(spec.routes)

    async def build_state(_: web.Application) -> None:
        state.rebuild()

    async def release_held_requests(_: web.Application) -> None:
        app[CLOSING].set()

    app.on_startup.append(build_state)
    app.on_shutdown.append(release_held_requests)
    return app
