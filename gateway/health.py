"""Liveness and readiness: ``/healthz`` says the process runs, ``/readyz`` that it can serve.

Readiness checks each dependency with its own short timeout, concurrently, and reports each one, so
a load balancer stops sending traffic to an instance whose Neo4j or Redis is gone. The endpoint is
public: it says which dependency failed (``unavailable`` or ``timeout``) and never the exception's
text (addresses, driver messages), which goes to the log with the request id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from gateway.state import GRAPH, REDIS

log = structlog.get_logger("parcours.health")
_CHECK_TIMEOUT_S = 2.0


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _check(dependency: str, probe: Callable[[], Awaitable[object]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), timeout=_CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means not ready; the detail is for the log
        log.warning(
            "readiness check failed",
            dependency=dependency,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        return {"ok": False, "error": "timeout" if isinstance(exc, TimeoutError) else "unavailable"}
    return {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def readyz(request: web.Request) -> web.Response:
    graph, redis = request.app[GRAPH], request.app[REDIS]
    neo4j_check, redis_check = await asyncio.gather(
        _check("neo4j", graph.ping), _check("redis", redis.ping)
    )
    checks = {"neo4j": neo4j_check, "redis": redis_check}
    ready = all(check["ok"] for check in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
