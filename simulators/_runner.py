"""Serves simulators on loopback ports in one process until SIGINT or SIGTERM.

Binds 127.0.0.1 unless told otherwise (``--host``, for a container). Announces each system's URL
on stdout once it listens, so a supervisor (or a human) knows where to look. On a signal it stops
every server, letting in-flight requests finish for a short grace period (blackholed ones are
released at once). It must never pick ports itself.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from simulators import create_app
from simulators._config import SimulatorConfig

HOST = "127.0.0.1"
SHUTDOWN_GRACE_S = 2.0


def _announce(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def serve(
    assignments: Sequence[tuple[str, int]],
    config: SimulatorConfig,
    announce: Callable[[str], None] = _announce,
    host: str = HOST,
) -> None:
    """Serve each ``(system, port)`` until the process gets SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runners: list[web.AppRunner] = []
    try:
        for system, port in assignments:
            runner = web.AppRunner(
                create_app(system, config), shutdown_timeout=SHUTDOWN_GRACE_S, access_log=None
            )
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, host, port).start()
            announce(f"{system:<8} http://{host}:{port}")
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def run(assignments: Sequence[tuple[str, int]], config: SimulatorConfig, host: str = HOST) -> int:
    """Serve until stopped; 0 on a clean stop, 1 when a port cannot be bound."""
    try:
        asyncio.run(serve(assignments, config, host=host))
    except OSError as exc:
        sys.stderr.write(f"simulators: cannot listen: {exc}\n")
        return 1
    return 0
